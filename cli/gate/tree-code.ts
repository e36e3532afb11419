/**
 * Which code gates a pull request's tree (`coop gate --tree DIR`, CI's governance job).
 *
 * After merge, the engine runs the tree's own program and pack. When the tree's code is this
 * coop's, gating in this process is the same thing. When it differs, the tree's program is the
 * one to plan with — but only once this coop, the version already approved, has found that code
 * approved by the tree's ledger; until then none of the tree's code runs.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../kernel/errors";
import { findRepoRoot } from "../../kernel/repo";
import { codeDigest, errorsOf, type Finding, loadLedger, readCodeManifest, verifyLedger } from "../../rulebook";

export type TreeCode =
  | { readonly kind: "same" }
  | { readonly kind: "approved"; readonly digest: string; readonly own: string }
  | { readonly kind: "refused"; readonly digest?: string; readonly findings: Finding[] };

/** What this coop (at `codeRoot`) says of the code of the tree at `treeRoot`, as of `now`. */
export function judgeTreeCode(treeRoot: string, now: Date, codeRoot: string = findRepoRoot(__dirname)): TreeCode {
  const own = codeDigest(readCodeManifest(codeRoot));
  const ledger = loadLedger(treeRoot);
  const code = ledger.code();
  if ("problem" in code)
    return {
      kind: "refused",
      findings: [
        {
          file: code.problem.file,
          code: "code-unapproved",
          level: "error",
          message: `the code cannot be read to check it: ${code.problem.message}`,
          remediation: code.problem.hint ?? "gate from a clone of the pull request",
        },
      ],
    };
  if (code.digest === own) return { kind: "same" };
  // The tree's code would run next: its whole ledger must verify under this coop's rulebook first.
  const errors = errorsOf(verifyLedger(ledger, now));
  return errors.length > 0 ? { kind: "refused", digest: code.digest, findings: errors } : { kind: "approved", digest: code.digest, own };
}

/**
 * Runs the tree's own `coop gate` with `args` (paths already absolute), as a child process in the
 * tree, with its own installed dependencies. Returns its exit code and output.
 */
export function gateWithTreeCode(
  treeRoot: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { code: number; stdout: string; stderr: string } {
  const entry = join(treeRoot, "bin", "coop.js");
  if (!existsSync(entry))
    throw new InputError(
      `${treeRoot} holds approved code other than this coop's, but no bin/coop.js to gate it with`,
      "gate from a full clone of the pull request",
    );
  if (!existsSync(join(treeRoot, "node_modules", "@pulumi", "policy")))
    throw new InputError(
      `the pull request's approved code is not installed in ${treeRoot}`,
      `install it first: (cd ${treeRoot} && npm ci), as the governance workflow does`,
    );
  const r = spawnSync(process.execPath, [entry, "gate", ...args], {
    cwd: treeRoot,
    env,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw new InputError(`could not run the pull request's coop: ${r.error.message}`);
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}
