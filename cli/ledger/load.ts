/**
 * Loading a large ledger on every core. The decision files are cut into batches; worker threads
 * and this thread take them in turn and each reads, validates and signature-checks its batches
 * (cli/ledger/decision-worker.ts), so the costly work is shared evenly. The records come back in
 * order, then this thread checks the ledger as a whole. Small ledgers load in this thread only.
 * COOP_THREADS=1 turns the workers off.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { decisionFileNames, loadLedger, type Ledger } from "../../rulebook/ledger/load";
import { DECISIONS_DIR } from "../../rulebook/records/decision";
import { primeSignatureResults, signatureResults } from "../../rulebook/signatures/signatures";
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

/**
 * A worker thread running cli/ledger/decision-worker.ts. A thread has its own module loader, so
 * it installs the project's loader first (kernel/load-sources.cjs, by exact path, as every entry
 * point does); the process it belongs to has already passed the start-up checks.
 */
export function startDecisionWorker(): Worker {
  const repo = join(__dirname, "..", "..");
  const boot = [
    `require(${JSON.stringify(join(repo, "kernel", "load-sources.cjs"))}).install(${JSON.stringify(repo)});`,
    `require(${JSON.stringify(join(__dirname, "decision-worker.ts"))}).serve();`,
  ].join("\n");
  return new Worker(boot, { eval: true });
}

/** Batches shared between worker threads and the loading thread, each taken once. */
export interface SharedBatches {
  /** Every batch's answer once all are in; a batch this thread took itself has none. */
  readonly answers: Promise<Array<CheckedDecisionFile[] | undefined>>;
  /** Takes the next batch no thread has taken yet, for this thread to check itself. */
  take(): number | undefined;
  /** Marks a batch taken with take() as done. */
  done(batch: number): void;
}

/** Signature results of every batch, checked on `workers` (which read the files themselves) or by this thread. */
export function shareBatches(root: string, batches: readonly string[][], workers: readonly Worker[]): SharedBatches {
  const checked: Array<CheckedDecisionFile[] | undefined> = new Array(batches.length);
  let next = 0;
  let finished = 0;
  let resolve!: (v: Array<CheckedDecisionFile[] | undefined>) => void;
  let reject!: (e: unknown) => void;
  const answers = new Promise<Array<CheckedDecisionFile[] | undefined>>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let settled = false;
  const fail = (e: unknown) => {
    if (!settled) reject(e);
    settled = true;
  };
  const finish = () => {
    finished++;
    if (finished === batches.length && !settled) {
      settled = true;
      resolve(checked);
    }
  };
  const take = () => (next < batches.length ? next++ : undefined);
  const give = (w: Worker) => {
    const batch = take();
    if (batch !== undefined) w.postMessage({ batch, root, names: batches[batch] } satisfies DecisionBatch);
  };
  for (const w of workers) {
    w.on("message", (r: DecisionBatchResult) => {
      checked[r.batch] = r.files;
      finish();
      give(w);
    });
    w.once("error", fail);
    w.once("exit", (code) => fail(new Error(`a verification thread stopped (exit code ${code}) before it had answered`)));
    for (let i = 0; i < IN_FLIGHT; i++) give(w);
  }
  if (batches.length === 0) resolve(checked);
  return { answers, take, done: finish };
}

/** Signature results of every batch, all checked on `workers`. */
export function checkBatches(root: string, batches: readonly string[][], workers: readonly Worker[]): Promise<CheckedDecisionFile[][]> {
  return shareBatches(root, batches, workers).answers as Promise<CheckedDecisionFile[][]>;
}

/**
 * The ledger, its signatures verified on the other cores while this thread reads and parses the
 * records (the two halves of the work take about as long).
 */
export async function loadLedgerFast(root: string, env: NodeJS.ProcessEnv = process.env): Promise<Ledger> {
  const names = decisionFileNames(root);
  const threads = threadCount(env);
  if (names.length < PARALLEL_FROM || threads < 2) return loadLedger(root);
  const batches: string[][] = [];
  for (let i = 0; i < names.length; i += BATCH) batches.push(names.slice(i, i + BATCH));
  const workers = Array.from({ length: Math.max(1, Math.min(threads - 1, batches.length)) }, startDecisionWorker);
  try {
    const shared = shareBatches(root, batches, workers);
    // Let the workers start before this thread is busy reading the records.
    await new Promise((r) => setImmediate(r));
    const ledger = loadLedger(root);
    // Then this thread checks the batches no worker has taken yet, from the records it has read.
    const byFile = new Map(ledger.decisions.map((d) => [d.file, d]));
    for (let b = shared.take(); b !== undefined; b = shared.take()) {
      for (const name of batches[b]) {
        const d = byFile.get(`${DECISIONS_DIR}/${name}`);
        if (d) signatureResults(d);
      }
      shared.done(b);
      // Lets the workers' answers in, so they are given their next batch without waiting.
      await new Promise((r) => setImmediate(r));
    }
    const byId = new Map(
      (await shared.answers).flatMap((files) => files ?? []).flatMap((f) => (f.signatures ? [[f.id, f.signatures] as const] : [])),
    );
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
