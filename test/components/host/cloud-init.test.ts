import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ADMIN_USER, DATA_DIR, DOCKER_APT_KEYRING, renderCloudInit } from "../../../components/host/cloud-init";
import { withTool } from "../../helpers/tools";

const KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01 ada@example.coop"];
const text = renderCloudInit({ hostname: "example-co-op", image: "debian-12", adminKeys: KEYS });
const config = parse(text) as Record<string, any>;
const file = (path: string): string => {
  const f = (config.write_files as Array<{ path: string; content: string }>).find((x) => x.path === path);
  if (!f) throw new Error(`cloud-init writes no ${path}`);
  return f.content;
};

describe("the host's cloud-init", () => {
  it("is a cloud-config document", () => {
    expect(text.startsWith("#cloud-config\n")).toBe(true);
  });

  it("lets only the admins' keys log in, as a non-root user, never with a password", () => {
    expect(config.users).toEqual([
      expect.objectContaining({ name: ADMIN_USER, lock_passwd: true, ssh_authorized_keys: KEYS, groups: ["docker", "sudo"] }),
    ]);
    expect(config.disable_root).toBe(true);
    expect(config.ssh_pwauth).toBe(false);
    const sshd = file("/etc/ssh/sshd_config.d/10-coop-hardening.conf");
    for (const line of ["PermitRootLogin no", "PasswordAuthentication no", "KbdInteractiveAuthentication no", `AllowUsers ${ADMIN_USER}`])
      expect(sshd).toContain(line);
  });

  it("installs Docker from Docker's apt repository, signed by Docker's key fetched over HTTPS (no gpg, no keyserver)", () => {
    expect(config.apt).toBeUndefined();
    const script = file("/usr/local/sbin/coop-install-docker");
    expect(script).toContain(`readonly DISTRO='debian'\nreadonly KEYRING='${DOCKER_APT_KEYRING}'\n`);
    expect(script).toContain('retry curl -fsSL "https://download.docker.com/linux/${DISTRO}/gpg" -o "${KEYRING}.tmp"');
    expect(script).toContain("signed-by=${KEYRING}] https://download.docker.com/linux/${DISTRO} ${VERSION_CODENAME} stable");
    // The source is written only after its key, and docker-ce installed only after both.
    const key = script.indexOf('mv -f "${KEYRING}.tmp" "$KEYRING"');
    const source = script.indexOf("/etc/apt/sources.list.d/docker.list");
    const install = script.indexOf("docker-ce docker-ce-cli containerd.io");
    expect(key).toBeGreaterThan(0);
    expect(key).toBeLessThan(source);
    expect(source).toBeLessThan(install);
    expect(config.packages).toContain("curl");
    expect(config.runcmd).toContainEqual(["/usr/local/sbin/coop-install-docker"]);
    const ubuntu = parse(renderCloudInit({ hostname: "h", image: "ubuntu-24.04", adminKeys: KEYS })) as Record<string, any>;
    const ubuntuScript = (ubuntu.write_files as Array<{ path: string; content: string }>).find(
      (f) => f.path === "/usr/local/sbin/coop-install-docker",
    )!.content;
    expect(ubuntuScript).toContain("readonly DISTRO='ubuntu'");
  });

  withTool("shellcheck", "shellcheck")("its Docker install script passes shellcheck, and retries a failed download", () => {
    const dir = mkdtempSync(join(tmpdir(), "coop-cloud-init-"));
    const path = join(dir, "coop-install-docker");
    writeFileSync(path, file("/usr/local/sbin/coop-install-docker"));
    execFileSync("shellcheck", ["-s", "bash", path], { stdio: "pipe" });
    expect(file("/usr/local/sbin/coop-install-docker")).toMatch(/for attempt in 1 2 3 4 5 6; do\n\s+if "\$@"; then\n\s+return 0/);
  });

  it("keeps Docker's data on the data volume and only starts Docker once it is mounted", () => {
    expect(JSON.parse(file("/etc/docker/daemon.json"))["data-root"]).toBe(`${DATA_DIR}/docker`);
    expect(file("/etc/systemd/system/docker.service.d/10-coop-data.conf")).toContain(`RequiresMountsFor=${DATA_DIR}`);
    // Docker 29's containerd image store keeps images in containerd's root, which data-root does
    // not move (Docker's "Daemon data directory" documentation): containerd's own root is set.
    const containerd = file("/etc/containerd/config.toml");
    expect(containerd).toMatch(/^version = 2$/m);
    expect(containerd).toContain(`\nroot = "${DATA_DIR}/containerd"\n`);
    expect(file("/etc/systemd/system/containerd.service.d/10-coop-data.conf")).toContain(`RequiresMountsFor=${DATA_DIR}`);
    // Written before the package that ships the same file: the install keeps ours without a prompt.
    expect(file("/usr/local/sbin/coop-install-docker")).toContain("-o Dpkg::Options::=--force-confold");
    const mount = config.runcmd.findIndex((c: string[]) => c[0] === "/usr/local/sbin/coop-mount-data");
    const install = config.runcmd.findIndex((c: string[]) => c[0] === "/usr/local/sbin/coop-install-docker");
    expect(mount).toBeGreaterThanOrEqual(0);
    expect(mount).toBeLessThan(install);
  });

  it("installs security upgrades unattended and bans SSH brute force", () => {
    expect(config.packages).toEqual(expect.arrayContaining(["unattended-upgrades", "fail2ban", "python3-systemd"]));
    expect(file("/etc/apt/apt.conf.d/20auto-upgrades")).toContain('APT::Periodic::Unattended-Upgrade "1";');
    expect(file("/etc/fail2ban/jail.d/sshd.local")).toMatch(/\[sshd\]\nenabled = true\nbackend = systemd/);
    expect(config.runcmd).toContainEqual(["systemctl", "enable", "--now", "docker", "fail2ban", "unattended-upgrades"]);
  });

  it("renders the same text for the same arguments (the server's user data must not drift)", () => {
    expect(renderCloudInit({ hostname: "example-co-op", image: "debian-12", adminKeys: KEYS })).toBe(text);
  });

  it("refuses to render a host nobody can log in to", () => {
    expect(() => renderCloudInit({ hostname: "h", image: "debian-12", adminKeys: [] })).toThrow(/at least one admin key/);
  });

  const withCloudInit = withTool("cloud-init", "cloud-init");
  withCloudInit("passes `cloud-init schema`", () => {
    const dir = mkdtempSync(join(tmpdir(), "coop-cloud-init-"));
    const path = join(dir, "user-data.yaml");
    writeFileSync(path, text);
    const out = execFileSync("cloud-init", ["schema", "--config-file", path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toMatch(/Valid cloud-config/);
  });

  withCloudInit("`cloud-init schema` does reject a broken document (the check has teeth)", () => {
    const dir = mkdtempSync(join(tmpdir(), "coop-cloud-init-"));
    const path = join(dir, "broken.yaml");
    writeFileSync(path, text.replace("ssh_pwauth: false", "ssh_pwauth: 3"));
    expect(() => execFileSync("cloud-init", ["schema", "--config-file", path], { stdio: "pipe" })).toThrow();
  });

  const withShellcheck = withTool("shellcheck", "shellcheck");
  withShellcheck("its data-volume mount script passes shellcheck", () => {
    const dir = mkdtempSync(join(tmpdir(), "coop-cloud-init-"));
    const path = join(dir, "coop-mount-data");
    writeFileSync(path, file("/usr/local/sbin/coop-mount-data"));
    execFileSync("shellcheck", ["-s", "bash", path], { stdio: "pipe" });
  });
});
