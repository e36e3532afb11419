/**
 * A scratch clone of the repository as a co-op gets it: `git clone` of the committed tree, with
 * the installed node_modules linked instead of downloaded (`npm ci` needs the network).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./repo";

export function scratchClone(): { dir: string; root: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "coop-clone-"));
  const root = join(dir, "repo");
  execFileSync("git", ["clone", "--quiet", "--no-hardlinks", REPO_ROOT, root], { stdio: "ignore" });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  // .gitignore's `node_modules/` matches a folder, not a link to one: without this the link
  // would count as code.
  writeFileSync(join(root, ".git", "info", "exclude"), "/node_modules\n");
  return { dir, root, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An ed25519 key pair made by ssh-keygen: the private key's path (the public one is path.pub). */
export function sshKeygen(dir: string, name: string, comment = `${name}@river.coop`): string {
  const path = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], { stdio: "ignore" });
  return path;
}
