/**
 * The shell commands that put the backup on the host over SSH (run by @pulumi/command as the
 * admin user, who has passwordless sudo). Not cloud-init: Hetzner replaces a server whose user
 * data changes, and a new backup script must never cost the co-op its server.
 *
 * Two commands, split by what the governed view may show:
 * - the files command carries the scripts and units verbatim, so a reviewer sees every line
 *   that will run as root, and a changed line is a visible change to approve;
 * - the credentials command is a fixed text that reads the generated secrets (repository
 *   password, SSH key) and the Storage Box's address from stdin and writes root-only files.
 *   The values are unknown at preview and never part of any command line or script.
 * Pure renderers; `root` relocates every path so tests can run the commands in a directory.
 */
import { createHash } from "node:crypto";
import { readAsset, renderScript, shq } from "../shared/assets";

export interface HostFile {
  readonly path: string;
  /** Octal mode, e.g. "0755". */
  readonly mode: string;
  readonly content: string;
}

export interface InstallOptions {
  /** Prefix for every path (tests only; "" on the host). */
  readonly root?: string;
  /** The command's first line, saying what it installs (the backup's by default). */
  readonly title?: string;
}

/** The bash limit for one argument is 128 KiB; the command travels as one. */
const MAX_COMMAND_BYTES = 100_000;

/** The `put MODE PATH` function both commands write files with (components/backup/put.sh). */
function putFunction(): string {
  return readAsset("backup/put.sh")
    .replace(/^# shellcheck shell=bash\n/, "")
    .trimEnd();
}

export function renderInstallFilesCommand(files: readonly HostFile[], units: { timer: string }, opts: InstallOptions = {}): string {
  const root = opts.root ?? "";
  const dirs = [...new Set(files.map((f) => dirOf(f.path)))].sort();
  const parts = [
    opts.title ?? "# coop-infra: install the nightly backup (scripts, systemd units, login banner); see components/backup/install.ts",
    "set -euo pipefail",
    putFunction(),
    `sudo mkdir -p ${dirs.map((d) => shq(root + d)).join(" ")}`,
    ...files.map((f) => heredoc(f, root)),
    "sudo systemctl daemon-reload",
    `sudo systemctl enable ${shq(units.timer)}`,
    "# restart, not start: a changed OnCalendar takes effect only when the timer restarts.",
    `sudo systemctl restart ${shq(units.timer)}`,
    "",
  ];
  return checkedSize(parts.join("\n"));
}

export interface CredentialPaths {
  /** Root-only directory for the repository password (0700). */
  readonly configDir: string;
  readonly passwordFile: string;
  /** Root-only directory for the SSH key, config and known hosts (0700). */
  readonly sshDir: string;
  readonly keyFile: string;
  readonly sshConfigFile: string;
  readonly knownHostsFile: string;
  /** The Host alias restic's SFTP command connects to. */
  readonly hostAlias: string;
}

/**
 * The credentials command: components/backup/credentials.sh, which reads the secrets from stdin
 * (see credentialsStdin) and writes them root-only; only the paths are rendered here.
 */
export function renderCredentialsCommand(p: CredentialPaths, opts: InstallOptions = {}): string {
  const r = (path: string) => shq((opts.root ?? "") + path);
  return checkedSize(
    renderScript("backup/credentials.sh", [
      `readonly CONFIG_DIR=${r(p.configDir)}`,
      `readonly SSH_DIR=${r(p.sshDir)}`,
      `readonly PASSWORD_FILE=${r(p.passwordFile)}`,
      `readonly KEY_FILE=${r(p.keyFile)}`,
      `readonly SSH_CONFIG_FILE=${r(p.sshConfigFile)}`,
      "# What the SSH config names: the paths as the host sees them.",
      `readonly HOST_ALIAS=${shq(p.hostAlias)}`,
      `readonly KEY_PATH_ON_HOST=${shq(p.keyFile)}`,
      `readonly KNOWN_HOSTS_PATH_ON_HOST=${shq(p.knownHostsFile)}`,
      "",
      putFunction(),
    ]),
  );
}

/** The stdin renderCredentialsCommand expects. */
export function credentialsStdin(v: { resticPassword: string; boxUser: string; boxServer: string; privateKeyOpenssh: string }): string {
  for (const [k, x] of Object.entries({ resticPassword: v.resticPassword, boxUser: v.boxUser, boxServer: v.boxServer })) {
    if (/[\r\n]/.test(x)) throw new Error(`credentialsStdin: ${k} must be a single line`);
  }
  return `${v.resticPassword}\n${v.boxUser}\n${v.boxServer}\n${v.privateKeyOpenssh}`;
}

function heredoc(f: HostFile, root: string): string {
  if (!/^0[0-7]{3}$/.test(f.mode)) throw new Error(`${f.path}: mode ${f.mode} is not an octal mode such as 0644`);
  if (!f.path.startsWith("/")) throw new Error(`${f.path}: the path must be absolute`);
  if (!f.content.endsWith("\n")) throw new Error(`${f.path}: the content must end with a newline (a heredoc always adds one)`);
  const tag = `COOP_EOF_${createHash("sha256").update(f.content).digest("hex").slice(0, 12)}`;
  if (f.content.split("\n").includes(tag)) throw new Error(`${f.path}: the content contains its own end marker`);
  return `put ${f.mode} ${shq(root + f.path)} <<'${tag}'\n${f.content}${tag}`;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

function checkedSize(command: string): string {
  if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
    throw new Error(
      `the rendered command is ${Buffer.byteLength(command)} bytes; over ${MAX_COMMAND_BYTES} it may not pass as one shell argument`,
    );
  }
  return command;
}
