/**
 * Loading a large ledger on every core. The decision files are cut into batches; worker threads
 * and this thread take them in turn and each reads, validates and signature-checks its batches
 * (cli/ledger/decision-worker.ts), so the costly work is shared evenly. The records come back in
 * order, then this thread checks the ledger as a whole. Small ledgers, and runs from
 * TypeScript sources (tests), load in this thread only. COOP_THREADS=1 turns the workers off.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { decisionFileNames, loadLedger, type Ledger } from "../../rulebook/ledger/load";
import { primeSignatureResults } from "../../rulebook/signatures/signatures";
import type { CheckedDecisionFile, DecisionBatch, DecisionBatchResult } from "./decision-worker";

/** Below this many decisions, starting threads costs more than it saves. */
const PARALLEL_FROM = 400;
/** Small enough that no thread is left with much to do while the others wait at the end. */
const BATCH = 100;
/** Batches a worker holds at once, so it never idles while this thread is busy with its own. */
const IN_FLIGHT = 2;

/** Threads to use: COOP_THREADS when set (1 = no workers), else every core. */
function threadCount(env: NodeJS.ProcessEnv): number {
  const asked = env.COOP_THREADS && /^\d+$/.test(env.COOP_THREADS) ? Number(env.COOP_THREADS) : availableParallelism();
  return Math.max(1, Math.min(asked, 8));
}

/** Signature results of every batch, checked on `workers` (which read the files themselves). */
export function checkBatches(root: string, batches: readonly string[][], workers: readonly Worker[]): Promise<CheckedDecisionFile[][]> {
  const checked: CheckedDecisionFile[][] = new Array(batches.length);
  let next = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (!settled) reject(e);
      settled = true;
    };
    const give = (w: Worker) => {
      if (next >= batches.length) return;
      const batch = next++;
      w.postMessage({ batch, root, names: batches[batch] } satisfies DecisionBatch);
    };
    for (const w of workers) {
      w.on("message", (r: DecisionBatchResult) => {
        checked[r.batch] = r.files;
        done++;
        if (done === batches.length && !settled) {
          settled = true;
          resolve(checked);
        }
        give(w);
      });
      w.once("error", fail);
      w.once("exit", (code) => fail(new Error(`a verification thread stopped (exit code ${code}) before it had answered`)));
      for (let i = 0; i < IN_FLIGHT; i++) give(w);
    }
    if (batches.length === 0) resolve(checked);
  });
}

/**
 * The ledger, its signatures verified on the other cores while this thread reads and parses the
 * records (the two halves of the work take about as long).
 */
export async function loadLedgerFast(root: string, env: NodeJS.ProcessEnv = process.env): Promise<Ledger> {
  const names = decisionFileNames(root);
  const script = join(__dirname, "decision-worker.js");
  const threads = threadCount(env);
  if (names.length < PARALLEL_FROM || threads < 2 || !existsSync(script)) return loadLedger(root);
  const batches: string[][] = [];
  for (let i = 0; i < names.length; i += BATCH) batches.push(names.slice(i, i + BATCH));
  const workers = Array.from({ length: Math.max(1, Math.min(threads - 1, batches.length)) }, () => new Worker(script));
  try {
    const signatures = checkBatches(root, batches, workers);
    // Let the workers start before this thread is busy with its own half.
    await new Promise((r) => setImmediate(r));
    const ledger = loadLedger(root);
    const byId = new Map((await signatures).flat().flatMap((f) => (f.signatures ? [[f.id, f.signatures] as const] : [])));
    for (const d of ledger.decisions) {
      const s = byId.get(d.id);
      if (s) primeSignatureResults(d, s);
    }
    return ledger;
  } finally {
    for (const w of workers) w.removeAllListeners("exit");
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
