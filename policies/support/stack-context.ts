/**
 * Where a policy finds the co-op's record: the repository the pack was taken from (so CI
 * checks the lock of the branch it deploys), the stack named in the resource's URN, the
 * stack's approved lock and the governance record. Each is read once per run: the engine
 * configures the pack at the start of every preview or update, which clears them.
 */
import { loadLedger, stackFindings, type Finding, type Ledger } from "../../rulebook";
import { now } from "../../kernel/clock";
import { readLock, type Lock } from "../../plan/lock";
import { onConfigure } from "../engine-tap";
import { CoopError, FileProblems } from "../../kernel/errors";
import { loadStackSpec } from "../../stacks/load";
import { findRepoRoot } from "../../kernel/repo";
import type { StackSpec } from "../../stacks/schema";

let root: string | undefined;
let governance: Ledger | undefined;
const locks = new Map<string, LockState>();
const verdicts = new Map<string, Finding[]>();
const specs = new Map<string, { spec: StackSpec } | { error: string }>();

function forgetRun(): void {
  governance = undefined;
  locks.clear();
  verdicts.clear();
  specs.clear();
}
onConfigure(forgetRun);

/**
 * Drops what was read for one stack once its policies have run. The engine checks one stack
 * per run; `coop gate --all` checks many in one, and should hold one stack's lock at a time.
 */
export function forgetStack(stack: string): void {
  locks.delete(stack);
  verdicts.delete(stack);
  specs.delete(stack);
}

export function repoRoot(): string {
  root ??= findRepoRoot(__dirname);
  return root;
}

/** Points the policies at another repository (tests and benchmarks with generated co-ops). */
export function setRepoRoot(dir: string | undefined): void {
  root = dir;
  forgetRun();
}

/** urn:pulumi:<stack>::<project>::<qualified type>::<name> */
export function parseUrn(urn: string): { stack: string; project: string; qualifiedType: string; name: string } {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::(.+)::([^:]*)$/.exec(urn);
  if (!m) throw new Error(`not a Pulumi URN: ${urn}`);
  return { stack: m[1], project: m[2], qualifiedType: m[3], name: m[4] };
}

export type LockState =
  | { readonly lock: Lock }
  | { readonly missing: true; readonly file: string }
  | { readonly invalid: string; readonly file: string };

export function lockOf(stack: string): LockState {
  const hit = locks.get(stack);
  if (hit) return hit;
  const file = `governance/approved/${stack}.lock.json`;
  let state: LockState;
  try {
    const lock = readLock(repoRoot(), stack);
    state = lock ? { lock } : { missing: true, file };
  } catch (e) {
    state = { invalid: describeLockProblem(e), file };
  }
  locks.set(stack, state);
  return state;
}

/** One line: what is wrong with the lock (the file is named beside it). */
function describeLockProblem(e: unknown): string {
  if (e instanceof FileProblems) return e.problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join("; ");
  return e instanceof CoopError ? e.message : String(e);
}

export function governanceRecord(): Ledger {
  // Each stack's lock comes from lockOf(), so the record need not hold every stack's.
  governance ??= loadLedger(repoRoot(), { locks: false });
  return governance;
}

/** What the governance model says about the stack's approved lock (errors and warnings), once per run. */
export function lockVerdict(stack: string): Finding[] {
  const hit = verdicts.get(stack);
  if (hit) return hit;
  const state = lockOf(stack);
  const findings =
    "invalid" in state
      ? [
          {
            code: "lock-invalid" as const,
            level: "error" as const,
            stack,
            file: state.file,
            message: state.invalid,
            remediation: `restore it from git (git checkout -- ${state.file}); a lock changes only with a decision: coop decide --stack ${stack}`,
          },
        ]
      : stackFindings(governanceRecord(), stack, "lock" in state ? state.lock : undefined, now());
  verdicts.set(stack, findings);
  return findings;
}

/** The stack's spec (stacks/<stack>.yaml), or why it cannot be read. */
export function specOf(stack: string): { spec: StackSpec } | { error: string } {
  let hit = specs.get(stack);
  if (!hit) {
    try {
      hit = { spec: loadStackSpec(repoRoot(), stack).spec };
    } catch (e) {
      hit = { error: e instanceof CoopError ? e.message : String(e) };
    }
    specs.set(stack, hit);
  }
  return hit;
}
