/**
 * What counts as code: everything in the repository that is not the co-op's declared data. The
 * rule is over paths, not a hand-kept list, so a new file anywhere (a `.js` beside a `.ts`, an
 * `.npmrc`, a root `index.js`, a workflow, a price table) is code unless it is one of:
 *   stacks/<stack>.yaml              the stack specs (governed by the locks)
 *   governance/rules.yaml            the bylaws (their own chain)
 *   governance/members.yaml          the members list (its own chain)
 *   governance/decisions/, approved/, objects/   the ledger
 *   docs/minutes/                    meeting minutes, evidence of meeting decisions
 * The code digest is sha256 of the canonical manifest {path: sha256 of the bytes, with "+x"
 * for executables}; a version of the code is approved by a `code` decision naming it.
 */
import picomatch from "picomatch";
import { z } from "zod";
import { canonicalJson, sha256Hex } from "../../kernel/json";

export const CODE_MANIFEST_VERSION = 1;

const DATA_PATTERNS = [
  /^stacks\/[^/]+\.yaml$/,
  /^governance\/(rules|members)\.yaml$/,
  /^governance\/(decisions|approved|objects)\//,
  /^docs\/minutes\//,
];

export function isDataPath(path: string): boolean {
  return DATA_PATTERNS.some((re) => re.test(path));
}

export const CodeManifestSchema = z
  .object({
    version: z.literal(CODE_MANIFEST_VERSION),
    files: z
      .record(z.string().min(1), z.string().regex(/^[0-9a-f]{64}(\+x)?$/))
      .describe("Every code file: sha256 of its bytes, +x when executable."),
  })
  .strict();
export type CodeManifest = z.output<typeof CodeManifestSchema>;

export function codeDigest(manifest: CodeManifest): string {
  return sha256Hex(canonicalJson(manifest));
}

export interface CodeChange {
  readonly path: string;
  readonly op: "added" | "changed" | "removed";
}

/** Which files differ between two versions of the code, sorted by path. */
export function codeChanges(before: CodeManifest | undefined, after: CodeManifest): CodeChange[] {
  const old = before?.files ?? {};
  const out: CodeChange[] = [];
  for (const path of new Set([...Object.keys(old), ...Object.keys(after.files)])) {
    const a = old[path];
    const b = after.files[path];
    if (a === b) continue;
    out.push({ path, op: a === undefined ? "added" : b === undefined ? "removed" : "changed" });
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** The changed paths that match one of the bylaws' `code.voteWhenChanged` globs. */
export function pathsNeedingVote(changes: readonly CodeChange[], globs: readonly string[]): string[] {
  if (globs.length === 0) return [];
  const match = picomatch([...globs], { dot: true });
  return changes.filter((c) => match(c.path)).map((c) => c.path);
}
