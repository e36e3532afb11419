/**
 * The admins' SSH keys on the host, kept up to date over SSH rather than through cloud-init or
 * Hetzner's SSH keys: both are read only when a server is created (changing them replaces the
 * server, which is protected), so an admin who joins, leaves or rotates a key would cost the
 * co-op its server. This command rewrites ~coop/.ssh/authorized_keys from host.admins; its text
 * carries the keys verbatim, so the plan shows exactly who may log in, and a change to it is a
 * normal update the members approve.
 * Pure renderer; `home` relocates the file so tests can run the command in a directory.
 */
import { KeyParseError, parsePublicKeyLine } from "../../kernel/ssh-keys";
import { SHORT_NAME_RE } from "../../kernel/names";

/** An admin who reaches the host over SSH as the admin user. */
export interface HostAdmin {
  readonly name: string;
  readonly sshPublicKey: string;
}

const NAME = SHORT_NAME_RE;
const END = "COOP_ADMIN_KEYS";

export interface AuthorizedKeysOptions {
  /** The admin user's home directory; "$HOME" (the connection's user) on the host. */
  readonly home?: string;
}

/** The authorized_keys file: one commented line naming each admin, then their key. */
export function renderAuthorizedKeys(admins: readonly HostAdmin[]): string {
  if (admins.length === 0)
    throw new Error("renderAuthorizedKeys: at least one admin is required, or nobody (not even Pulumi) could log in again");
  const seen = new Set<string>();
  const lines = ["# Written by coop-infra from host.admins in the stack spec; changes made here are overwritten by the next `pulumi up`."];
  for (const a of admins) {
    if (!NAME.test(a.name)) throw new Error(`admin name '${a.name}' must be a short lower-case name`);
    if (seen.has(a.name)) throw new Error(`admin '${a.name}' is listed twice`);
    seen.add(a.name);
    const key = a.sshPublicKey.trim();
    // The line is written verbatim into a heredoc: it must be one key line and cannot end the heredoc.
    if (key.includes(END)) throw new Error(`the SSH key of admin '${a.name}' is not one OpenSSH public key line`);
    try {
      parsePublicKeyLine(key);
    } catch (e) {
      if (!(e instanceof KeyParseError)) throw e;
      throw new Error(`the SSH key of admin '${a.name}' is not one OpenSSH public key line: ${e.message}`);
    }
    lines.push(`# ${a.name}`, key);
  }
  return `${lines.join("\n")}\n`;
}

/** The command that replaces the admin user's authorized_keys atomically (run as that user). */
export function renderAuthorizedKeysCommand(admins: readonly HostAdmin[], opts: AuthorizedKeysOptions = {}): string {
  const home = opts.home ?? "$HOME";
  return [
    "# coop-infra: the admins' SSH keys (host.admins); see components/host/admin-keys.ts",
    "set -euo pipefail",
    "umask 077",
    `dir="${home}/.ssh"`,
    'mkdir -p "$dir"',
    'chmod 700 "$dir"',
    // A temporary file beside the real one, then a rename: a cut connection never leaves a half-written file that locks everyone out.
    'tmp=$(mktemp "$dir/authorized_keys.XXXXXX")',
    `cat >"$tmp" <<'${END}'`,
    renderAuthorizedKeys(admins) + END,
    'chmod 600 "$tmp"',
    'mv -f "$tmp" "$dir/authorized_keys"',
    "",
  ].join("\n");
}
