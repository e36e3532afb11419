/**
 * Where files other than the specs name a co-op's stacks, and how `coop init --stack` rewrites
 * them: the workflows' `matrix.stack` lists (the stacks CI previews and deploys) and
 * package.json's `start` script (`npm start` gates one stack). Pure text → text; every other
 * byte of each file stays as it was.
 */
import { isMap, isSeq, parseDocument } from "yaml";
import { splice, setValue } from "./yaml-splice";

/** The paths of every `jobs.<job>.strategy.matrix.stack` list in a workflow. */
function matrixStackPaths(text: string): Array<Array<string>> {
  const doc = parseDocument(text);
  if (doc.errors.length) return [];
  const jobs = doc.get("jobs", true);
  if (!isMap(jobs)) return [];
  const paths: string[][] = [];
  for (const pair of jobs.items) {
    const job = String((pair.key as { value?: unknown })?.value ?? pair.key);
    const path = ["jobs", job, "strategy", "matrix", "stack"];
    if (isSeq(doc.getIn(path, true))) paths.push(path);
  }
  return paths;
}

/** Whether the workflow names stacks in a matrix. */
export function workflowNamesStacks(text: string): boolean {
  return matrixStackPaths(text).length > 0;
}

/** The workflow with every matrix.stack list set to `stacks` (the comment after it kept). */
export function withMatrixStacks(text: string, stacks: readonly string[]): string {
  const paths = matrixStackPaths(text);
  if (paths.length === 0) return text;
  return splice(text, (d) => {
    for (const p of paths) setValue(d, p, [...stacks]);
  });
}

/**
 * package.json with its `start` script's `--stack OLD` pointed at `replacement` when OLD is no
 * longer a stack; unchanged otherwise (and when it names no stack).
 */
export function withStartStack(text: string, stacks: readonly string[], replacement: string): string {
  const pkg = JSON.parse(text) as { scripts?: Record<string, unknown> };
  const start = pkg.scripts?.start;
  if (typeof start !== "string") return text;
  const m = /--stack[ =]([A-Za-z0-9_.-]+)/.exec(start);
  if (!m || stacks.includes(m[1])) return text;
  const next = start.replace(m[0], `--stack ${replacement}`);
  // The script's value as a JSON string, replaced in place (any spacing around the colon kept).
  const literal = JSON.stringify(start).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text.replace(new RegExp(`("start"\\s*:\\s*)${literal}`), (_all, key: string) => `${key}${JSON.stringify(next)}`);
}
