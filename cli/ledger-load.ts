/**
 * Loading a large ledger on every core. The decision files are split between this thread and
 * worker threads; each reads, checks and verifies its share (parsing and signature checks are
 * the costly part) and the workers send back what they read. Small ledgers, and runs from
 * TypeScript sources (tests), load in this thread only. COOP_THREADS=1 turns the workers off.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { decisionFileNames, loadGovernance, type Governance } from "../policies/governance/load";
import { primeSignatureResults } from "../policies/governance/signatures";
import { verifyLedger } from "../policies/governance/check";
import type { Finding } from "../policies/governance/findings";
import { readShare, type LedgerShare, type ReadDecision } from "./ledger-worker";

/** Below this many decisions, starting threads costs more than it saves. */
const PARALLEL_FROM = 400;
/** A worker spends its first ~100 ms loading its code, so this thread takes a larger share. */
const MAIN_SHARE_BONUS = 0.8;

/** Threads to use: COOP_THREADS when set (1 = no workers), else every core. */
function threadCount(env: NodeJS.ProcessEnv): number {
  const asked = env.COOP_THREADS && /^\d+$/.test(env.COOP_THREADS) ? Number(env.COOP_THREADS) : availableParallelism();
  return Math.max(1, Math.min(asked, 8));
}

export async function loadGovernanceFast(root: string, env: NodeJS.ProcessEnv = process.env): Promise<Governance> {
  const names = decisionFileNames(root);
  const script = join(__dirname, "ledger-worker.js");
  const threads = threadCount(env);
  if (names.length < PARALLEL_FROM || threads < 2 || !existsSync(script)) return loadGovernance(root);

  const mainCount = Math.ceil((names.length / threads) * MAIN_SHARE_BONUS);
  const rest = names.slice(mainCount);
  const per = Math.ceil(rest.length / (threads - 1));
  const shares = Array.from({ length: threads - 1 }, (_, i) => rest.slice(i * per, (i + 1) * per)).filter((s) => s.length > 0);
  // A larger young generation halves the time these short-lived allocations spend in GC.
  const workers = shares.map(() => new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 64 } }));
  try {
    const answers = shares.map(
      (names, i) =>
        new Promise<ReadDecision[]>((resolve, reject) => {
          workers[i].once("message", resolve);
          workers[i].once("error", reject);
          workers[i].postMessage({ root, names } satisfies LedgerShare);
        }),
    );
    const own = readShare(root, names.slice(0, mainCount));
    const read = own.concat(...(await Promise.all(answers)));
    const gov = loadGovernance(
      root,
      read.map((r) => r.result),
    );
    const signatures = new Map(read.filter((r) => "loaded" in r.result && r.signatures).map((r) => [(r.result as { loaded: { id: string } }).loaded.id, r.signatures!]));
    for (const d of gov.decisions) {
      const s = signatures.get(d.id);
      if (s) primeSignatureResults(d, s);
    }
    return gov;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface LedgerVerification {
  readonly findings: Finding[];
  readonly decisions: number;
  readonly locks: string[];
  readonly members: number;
}

/** `coop verify`'s work: the ledger loaded on every core, then checked. */
export async function verifyLedgerFast(root: string, now: Date, env: NodeJS.ProcessEnv = process.env): Promise<LedgerVerification> {
  const gov = await loadGovernanceFast(root, env);
  return { findings: verifyLedger(gov, now), decisions: gov.decisions.length, locks: [...gov.locks.keys()], members: gov.members?.members.length ?? 0 };
}
