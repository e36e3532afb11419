/**
 * Signing a decision with a member's SSH key through `ssh-keygen -Y sign`, so that keys with a
 * passphrase, keys held by ssh-agent and hardware keys all work the way members already use
 * them. (Verification never needs ssh-keygen: it runs in Node, see rulebook/signatures/sshsig.ts.)
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { InputError } from "../../kernel/errors";
import { DECISION_NAMESPACE, verifySshsig } from "../../rulebook/signatures/sshsig";
import { type KeyParseError, parsePublicKeyLine, type SshPublicKey } from "../../kernel/ssh-keys";

function ssh(args: string[], input: string | undefined, what: string): string {
  const r = spawnSync("ssh-keygen", args, { input, encoding: "utf8", timeout: 120_000 });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === "ENOENT")
      throw new InputError("ssh-keygen is not installed", "install OpenSSH (Debian/Ubuntu: apt-get install openssh-client)");
    throw new InputError(`ssh-keygen could not ${what}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const detail = (r.stderr || "")
      .split("\n")
      .filter((l) => l && !l.startsWith("Signing data on standard input"))
      .join("; ");
    throw new InputError(
      `ssh-keygen could not ${what}${detail ? `: ${detail}` : ""}`,
      "check the key path; a key with a passphrase needs a terminal or ssh-agent (pass the .pub file when the key is in the agent)",
    );
  }
  return r.stdout;
}

/** The public key of a signing key: the .pub file itself, the file beside the private key, or ssh-keygen -y. */
export function publicKeyOf(keyPath: string): SshPublicKey {
  const path = resolve(keyPath);
  if (!existsSync(path)) throw new InputError(`there is no key file ${keyPath}`, "pass your private key, e.g. --key ~/.ssh/id_ed25519");
  const candidates = path.endsWith(".pub") ? [path] : [`${path}.pub`];
  for (const c of candidates) {
    if (existsSync(c)) {
      try {
        return parsePublicKeyLine(readFileSync(c, "utf8").trim());
      } catch (e) {
        throw new InputError(`${c} is not a usable public key: ${(e as KeyParseError).message}`);
      }
    }
  }
  const line = ssh(["-y", "-f", path], "", `read the public key of ${keyPath}`).trim();
  try {
    return parsePublicKeyLine(line);
  } catch (e) {
    throw new InputError(`the public key of ${keyPath} cannot be used: ${(e as KeyParseError).message}`);
  }
}

/** Signs `payload` in the decision namespace; checks the result in Node before returning it. */
export function signWithSshKeygen(keyPath: string, payload: string, expected: SshPublicKey): string {
  const signature = ssh(["-Y", "sign", "-f", resolve(keyPath), "-n", DECISION_NAMESPACE], payload, `sign with ${keyPath}`);
  const check = verifySshsig(signature, payload, DECISION_NAMESPACE);
  if (!check.ok) throw new InputError(`ssh-keygen produced a signature that does not verify: ${check.reason}`);
  if (check.key.id !== expected.id)
    throw new InputError(
      `ssh-keygen signed with ${check.key.fingerprint}, not ${expected.fingerprint} (the agent may hold another key)`,
      "pass the private key file itself",
    );
  return signature;
}
