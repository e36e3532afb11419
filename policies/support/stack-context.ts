/**
 * Where a policy finds the co-op's record: the repository the pack was taken from (so CI
 * checks the lock of the branch it deploys), the stack named in the resource's URN, and the
 * approved lock of that stack, read once per change of the file.
 */
import { statSync } from "node:fs";
import { lockPath, readLock, type Lock } from "../lock";
import { CoopError } from "../../stacks/errors";
import { findRepoRoot } from "../../stacks/load";

let root: string | undefined;

export function repoRoot(): string {
  root ??= findRepoRoot(__dirname);
  return root;
}

/** Points the policies at another repository (tests and benchmarks with generated co-ops). */
export function setRepoRoot(dir: string | undefined): void {
  root = dir;
  locks.clear();
}

/** urn:pulumi:<stack>::<project>::<qualified type>::<name> */
export function parseUrn(urn: string): { stack: string; project: string; qualifiedType: string; name: string } {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::(.+)::([^:]*)$/.exec(urn);
  if (!m) throw new Error(`not a Pulumi URN: ${urn}`);
  return { stack: m[1], project: m[2], qualifiedType: m[3], name: m[4] };
}

export type LockState = { readonly lock: Lock } | { readonly missing: true; readonly file: string } | { readonly invalid: string; readonly file: string };

const locks = new Map<string, { key: string; state: LockState }>();

export function lockOf(stack: string): LockState {
  const path = lockPath(repoRoot(), stack);
  let key: string;
  try {
    const st = statSync(path);
    key = `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    key = "missing";
  }
  const hit = locks.get(stack);
  if (hit && hit.key === key) return hit.state;
  let state: LockState;
  const file = `governance/approved/${stack}.lock.json`;
  try {
    const lock = readLock(repoRoot(), stack);
    state = lock ? { lock } : { missing: true, file };
  } catch (e) {
    state = { invalid: e instanceof CoopError ? e.message : String(e), file };
  }
  locks.set(stack, { key, state });
  return state;
}
