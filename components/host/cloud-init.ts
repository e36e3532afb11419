/**
 * The cloud-init user data that turns a fresh Hetzner server into a hardened Docker host.
 * Pure: the same arguments always render the same text, so the governed view of the Server
 * (its userData) changes only when the spec does.
 */
import { stringify } from "yaml";
import type { ImageName } from "../../stacks/catalog";

/** Where the data volume is mounted; Docker keeps its data (and so every named volume) under it. */
export const DATA_DIR = "/srv/coop";
export const DOCKER_DATA_ROOT = `${DATA_DIR}/docker`;
/** The only account that may log in; admins' keys are authorized for it. */
export const ADMIN_USER = "coop";
/** Where Docker's release signing key is saved, as Docker's install guide does (no gpg or keyserver needed). */
export const DOCKER_APT_KEYRING = "/etc/apt/keyrings/docker.asc";

export interface CloudInitArgs {
  readonly hostname: string;
  readonly image: ImageName;
  readonly adminKeys: readonly string[];
}

const SSHD_HARDENING = `# Written by coop-infra. Key-only login for the admin account; no root, no passwords.
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthenticationMethods publickey
AllowUsers ${ADMIN_USER}
MaxAuthTries 3
X11Forwarding no
`;

const FAIL2BAN_SSHD = `# Written by coop-infra. Debian logs to the journal, so read sshd from there.
[sshd]
enabled = true
backend = systemd
maxretry = 5
findtime = 10m
bantime = 1h
`;

const AUTO_UPGRADES = `// Written by coop-infra: fetch lists and install security updates every day.
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
`;

const UNATTENDED_REBOOT = `// Written by coop-infra: reboot for kernel updates at a quiet hour, after the nightly backup.
Unattended-Upgrade::Automatic-Reboot "true";
Unattended-Upgrade::Automatic-Reboot-Time "05:00";
Unattended-Upgrade::Remove-Unused-Dependencies "true";
`;

const DOCKER_DAEMON = `${JSON.stringify(
  {
    "data-root": DOCKER_DATA_ROOT,
    "live-restore": true,
    "log-driver": "local",
    "log-opts": { "max-size": "20m", "max-file": "5" },
    "no-new-privileges": true,
  },
  null,
  2,
)}\n`;

const DOCKER_WAITS_FOR_DATA = `# Written by coop-infra: Docker keeps its data on the volume, so it must not start before it is mounted.
[Unit]
RequiresMountsFor=${DATA_DIR}
`;

/**
 * Mounts the Hetzner volume at ${DATA_DIR}. The volume is attached after the server is created,
 * so on first boot this waits for it; afterwards /etc/fstab mounts it by UUID.
 */
const MOUNT_DATA_SCRIPT = `#!/bin/bash
# Written by coop-infra: mount the data volume at ${DATA_DIR}, waiting for it to be attached.
set -euo pipefail
target=${DATA_DIR}
if mountpoint -q "$target"; then
  exit 0
fi
devices=()
for _ in $(seq 1 180); do
  shopt -s nullglob
  devices=(/dev/disk/by-id/scsi-0HC_Volume_*)
  shopt -u nullglob
  if [ "\${#devices[@]}" -gt 0 ]; then
    break
  fi
  sleep 5
done
if [ "\${#devices[@]}" -ne 1 ]; then
  echo "coop-mount-data: expected exactly one Hetzner volume, found \${#devices[@]}" >&2
  exit 1
fi
uuid=$(blkid -s UUID -o value "\${devices[0]}")
if [ -z "$uuid" ]; then
  echo "coop-mount-data: \${devices[0]} has no file system" >&2
  exit 1
fi
mkdir -p "$target"
if ! grep -q "UUID=$uuid" /etc/fstab; then
  echo "UUID=$uuid $target ext4 defaults,discard,nofail 0 2" >> /etc/fstab
fi
systemctl daemon-reload
mount "$target"
`;

/**
 * Installs Docker from Docker's apt repository the way Docker's install guide does: its key
 * downloaded over HTTPS to ${DOCKER_APT_KEYRING} and named by signed-by in the source. (apt's
 * keyid method needs gpg, dirmngr and a keyserver, which cloud images may lack.) Run from
 * runcmd, so the source exists only once its key does; each download is retried, as the
 * network may still be settling on first boot.
 */
function installDockerScript(image: ImageName): string {
  const distro = image.startsWith("ubuntu") ? "ubuntu" : "debian";
  return `#!/bin/bash
# Written by coop-infra: install Docker Engine from download.docker.com.
set -euo pipefail
retry() {
  local attempt
  for attempt in 1 2 3 4 5 6; do
    if "$@"; then
      return 0
    fi
    echo "coop-install-docker: attempt \${attempt} failed: $*" >&2
    sleep 10
  done
  return 1
}
install -m 0755 -d /etc/apt/keyrings
retry curl -fsSL https://download.docker.com/linux/${distro}/gpg -o ${DOCKER_APT_KEYRING}.tmp
chmod 0644 ${DOCKER_APT_KEYRING}.tmp
mv -f ${DOCKER_APT_KEYRING}.tmp ${DOCKER_APT_KEYRING}
# shellcheck source=/dev/null
. /etc/os-release
echo "deb [arch=$(dpkg --print-architecture) signed-by=${DOCKER_APT_KEYRING}] https://download.docker.com/linux/${distro} \${VERSION_CODENAME} stable" >/etc/apt/sources.list.d/docker.list
retry apt-get update
DEBIAN_FRONTEND=noninteractive retry apt-get install -y docker-ce docker-ce-cli containerd.io
`;
}

export function renderCloudInit(args: CloudInitArgs): string {
  if (args.adminKeys.length === 0) throw new Error("renderCloudInit: at least one admin key is required");
  // The server's user data is read only at creation (components/host/host.ts ignores later changes),
  // so everything a later feature may need (restic for backups) is installed from the start.
  const packages = ["fail2ban", "python3-systemd", "unattended-upgrades", "apt-listchanges", "ca-certificates", "curl", "restic"];
  const config = {
    hostname: args.hostname,
    preserve_hostname: false,
    groups: ["docker"],
    users: [
      {
        name: ADMIN_USER,
        gecos: "coop-infra admin",
        groups: ["docker", "sudo"],
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        lock_passwd: true,
        ssh_authorized_keys: [...args.adminKeys],
      },
    ],
    disable_root: true,
    ssh_pwauth: false,
    package_update: true,
    package_upgrade: true,
    packages,
    swap: { filename: "/swapfile", size: 2147483648 },
    write_files: [
      { path: "/etc/ssh/sshd_config.d/10-coop-hardening.conf", permissions: "0644", content: SSHD_HARDENING },
      { path: "/etc/fail2ban/jail.d/sshd.local", permissions: "0644", content: FAIL2BAN_SSHD },
      { path: "/etc/apt/apt.conf.d/20auto-upgrades", permissions: "0644", content: AUTO_UPGRADES },
      { path: "/etc/apt/apt.conf.d/52coop-unattended-upgrades", permissions: "0644", content: UNATTENDED_REBOOT },
      { path: "/etc/docker/daemon.json", permissions: "0644", content: DOCKER_DAEMON },
      { path: "/etc/systemd/system/docker.service.d/10-coop-data.conf", permissions: "0644", content: DOCKER_WAITS_FOR_DATA },
      { path: "/usr/local/sbin/coop-mount-data", permissions: "0755", content: MOUNT_DATA_SCRIPT },
      { path: "/usr/local/sbin/coop-install-docker", permissions: "0755", content: installDockerScript(args.image) },
    ],
    runcmd: [
      // Docker is installed only once the data volume is mounted, so it never writes to the root disk.
      ["/usr/local/sbin/coop-mount-data"],
      ["/usr/local/sbin/coop-install-docker"],
      ["systemctl", "enable", "--now", "docker", "fail2ban", "unattended-upgrades"],
      ["systemctl", "restart", "ssh"],
    ],
  };
  return `#cloud-config\n# Rendered by coop-infra. Changing it here has no effect; change the stack spec instead.\n${stringify(config, { lineWidth: 0 })}`;
}
