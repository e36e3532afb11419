/**
 * The cloud-init user data that turns a fresh Hetzner server into a hardened Docker host.
 * Pure: the same arguments always render the same text, so the governed view of the Server
 * (its userData) changes only when the spec does.
 */
import { stringify } from "yaml";
import type { ImageName } from "../../stacks/catalog";
import { renderScript, shq } from "../shared/assets";

/** Where the data volume is mounted; Docker and containerd keep their data (every named volume, every image) under it. */
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
 * Where containerd keeps images and container snapshots. Docker 29 uses the containerd image
 * store on a fresh install, and its `data-root` does not move that: Docker's documentation
 * ("Daemon data directory") says to set containerd's own root in /etc/containerd/config.toml.
 * On the data volume, like Docker's own data, so images never fill the root disk.
 */
export const CONTAINERD_ROOT = `${DATA_DIR}/containerd`;

/** containerd's configuration: its root on the volume; CRI off, as the containerd.io package ships it (Docker does not use it). */
const CONTAINERD_CONFIG = `# Written by coop-infra: containerd keeps images and snapshots on the data volume.
version = 2
root = "${CONTAINERD_ROOT}"
disabled_plugins = ["cri"]
`;

const CONTAINERD_WAITS_FOR_DATA = `# Written by coop-infra: containerd keeps its data on the volume, so it must not start before it is mounted.
[Unit]
RequiresMountsFor=${DATA_DIR}
`;

/** Mounts the Hetzner volume at DATA_DIR (components/host/mount-data.sh). */
function mountDataScript(): string {
  return renderScript("host/mount-data.sh", [`readonly DATA_DIR=${shq(DATA_DIR)}`]);
}

/** Installs Docker from Docker's apt repository (components/host/install-docker.sh). */
function installDockerScript(image: ImageName): string {
  const distro = image.startsWith("ubuntu") ? "ubuntu" : "debian";
  return renderScript("host/install-docker.sh", [`readonly DISTRO=${shq(distro)}`, `readonly KEYRING=${shq(DOCKER_APT_KEYRING)}`]);
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
      { path: "/etc/containerd/config.toml", permissions: "0644", content: CONTAINERD_CONFIG },
      { path: "/etc/systemd/system/containerd.service.d/10-coop-data.conf", permissions: "0644", content: CONTAINERD_WAITS_FOR_DATA },
      { path: "/usr/local/sbin/coop-mount-data", permissions: "0755", content: mountDataScript() },
      { path: "/usr/local/sbin/coop-install-docker", permissions: "0755", content: installDockerScript(args.image) },
    ],
    runcmd: [
      // Docker and containerd are installed only once the data volume is mounted, so they never write to the root disk.
      ["/usr/local/sbin/coop-mount-data"],
      ["/usr/local/sbin/coop-install-docker"],
      ["systemctl", "enable", "--now", "docker", "fail2ban", "unattended-upgrades"],
      ["systemctl", "restart", "ssh"],
    ],
  };
  return `#cloud-config\n# Rendered by coop-infra. Changing it here has no effect; change the stack spec instead.\n${stringify(config, { lineWidth: 0 })}`;
}
