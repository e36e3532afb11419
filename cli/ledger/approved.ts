/**
 * The approved ledger a tree is judged against: a directory (the base branch's checkout, as CI
 * has it) or a git revision of the judged repository (e.g. origin/main), whose governance
 * folder and Pulumi.yaml are extracted into a temporary directory.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { InputError } from "../../kernel/errors";
import { loadLedger, type Ledger } from "../../rulebook";

export interface ApprovedLedger {
  readonly ledger: Ledger;
  readonly cleanup: () => void;
}

export function approvedLedger(root: string, ref: string): ApprovedLedger {
  const dir = resolve(ref);
  if (existsSync(dir) && statSync(dir).isDirectory()) return { ledger: loadLedger(dir), cleanup: () => undefined };
  if (!/^[A-Za-z0-9][A-Za-z0-9._/@^~-]{0,200}$/.test(ref))
    throw new InputError(`--approved must be a directory or a git revision, got '${ref}'`);
  const tmp = mkdtempSync(join(tmpdir(), "coop-approved-"));
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  try {
    const archive = spawnSync("git", ["-C", root, "archive", "--format=tar", ref, "--", "governance", "Pulumi.yaml"], {
      maxBuffer: 1024 * 1024 * 1024,
      timeout: 120_000,
    });
    if (archive.status !== 0)
      throw new InputError(
        `git cannot read revision '${ref}': ${archive.stderr?.toString().trim().split("\n")[0] ?? "unknown error"}`,
        "fetch it first (git fetch origin), or pass the base branch's checkout directory",
      );
    mkdirSync(tmp, { recursive: true });
    const tar = spawnSync("tar", ["-x", "-C", tmp], { input: archive.stdout, timeout: 120_000 });
    if (tar.status !== 0) throw new InputError(`cannot unpack revision '${ref}'`, "check that tar is installed");
    return { ledger: loadLedger(tmp), cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
