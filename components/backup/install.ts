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
import { shq } from "./shell";

export interface HostFile {
  readonly path: string;
  /** Octal mode, e.g. "0755". */
  readonly mode: string;
  readonly content: string;
}

export interface InstallOptions {
  /** Prefix for every path (tests only; "" on the host). */
  readonly root?: string;
}

/** The bash limit for one argument is 128 KiB; the command travels as one. */
const MAX_COMMAND_BYTES = 100_000;

const PUT = `# put MODE PATH: writes stdin to PATH atomically (a temporary file beside it, then rename).
put() {
  local mode=$1 path=$2 tmp
  tmp=$(sudo mktemp "\${path}.XXXXXX")
  sudo chmod "$mode" "$tmp"
  sudo tee "$tmp" >/dev/null
  sudo mv -f "$tmp" "$path"
}`;

export function renderInstallFilesCommand(files: readonly HostFile[], units: { timer: string }, opts: InstallOptions = {}): string {
  const root = opts.root ?? "";
  const dirs = [...new Set(files.map((f) => dirOf(f.path)))].sort();
  const parts = [
    "# coop-infra: install the nightly backup (scripts, systemd units, login banner); see components/backup/install.ts",
    "set -euo pipefail",
    PUT,
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
 * Reads four things from stdin, one per line except the last: the repository password, the
 * Storage Box user, its host name, then the OpenSSH private key. See credentialsStdin.
 *
 * The Storage Box's host key is accepted on first contact (accept-new) and pinned after: its
 * keys are not known before the box exists, the box is reached only from Hetzner's network,
 * and restic encrypts and authenticates everything it stores with the repository password, so
 * an impostor box could neither read the backups nor pass off forged ones as ours.
 */
export function renderCredentialsCommand(p: CredentialPaths, opts: InstallOptions = {}): string {
  const r = (path: string) => shq((opts.root ?? "") + path);
  return checkedSize(`# coop-infra: write the backup's credentials, read from stdin, to root-only files; see components/backup/install.ts
# Nothing here echoes them.
set -euo pipefail
IFS= read -r restic_password
IFS= read -r box_user
IFS= read -r box_server
key=$(cat)
if [ -z "$restic_password" ] || [ \${#restic_password} -lt 32 ]; then
  echo "coop-backup: the repository password is missing or too short" >&2
  exit 1
fi
case "$box_user" in
  ''|*[!a-z0-9-]*) echo "coop-backup: unexpected Storage Box user name '\${box_user}'" >&2; exit 1 ;;
  *) ;;
esac
case "$box_server" in
  ''|*[!a-z0-9.-]*) echo "coop-backup: unexpected Storage Box host name '\${box_server}'" >&2; exit 1 ;;
  *) ;;
esac
case "$key" in
  '-----BEGIN OPENSSH PRIVATE KEY-----'*) ;;
  *) echo "coop-backup: the SSH key is not an OpenSSH private key" >&2; exit 1 ;;
esac
${PUT}
sudo install -d -m 0700 ${r(p.configDir)} ${r(p.sshDir)}
printf '%s\\n' "$restic_password" | put 0600 ${r(p.passwordFile)}
printf '%s\\n' "$key" | put 0600 ${r(p.keyFile)}
put 0600 ${r(p.sshConfigFile)} <<SSH_CONFIG
# Rendered by coop-infra: how restic reaches the Storage Box (SFTP on port 23, key only).
Host ${p.hostAlias}
  HostName \${box_server}
  User \${box_user}
  Port 23
  IdentityFile ${p.keyFile}
  IdentitiesOnly yes
  UserKnownHostsFile ${p.knownHostsFile}
  StrictHostKeyChecking accept-new
  BatchMode yes
  ServerAliveInterval 60
  ServerAliveCountMax 10
SSH_CONFIG
`);
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
