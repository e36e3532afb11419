/**
 * Loading a large ledger on every core. This thread reads and validates the decision files;
 * worker threads verify their signatures (ed25519/RSA/ECDSA, the costly part) in batches as
 * they come, so both run at once. Each batch goes to a worker as one transferred buffer and
 * only small results come back. Small ledgers, and runs from TypeScript sources (tests), load
 * in this thread only. COOP_THREADS=1 turns the workers off.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { signaturePayload } from "../policies/governance/decision";
import { decisionFileNames, loadGovernance, readDecisionFile, type DecisionFileResult, type Governance } from "../policies/governance/load";
import { primeSignatureResults, type SignatureCheckResult } from "../policies/governance/signatures";
import { verifyLedger } from "../policies/governance/check";
import type { Finding } from "../policies/governance/findings";
import { packBatch, type SignatureBatch, type SignatureBatchResult } from "./signature-worker";
import type { VerifyAnswer, VerifyRequest } from "./verify-worker";

/** Below this many decisions, starting threads costs more than it saves. */
const PARALLEL_FROM = 400;
const BATCH = 250;

/** Threads to use: COOP_THREADS when set (1 = no workers), else every core. */
function threadCount(env: NodeJS.ProcessEnv): number {
  const asked = env.COOP_THREADS && /^\d+$/.test(env.COOP_THREADS) ? Number(env.COOP_THREADS) : availableParallelism();
  return Math.max(1, Math.min(asked, 8));
}

export async function loadGovernanceFast(root: string, env: NodeJS.ProcessEnv = process.env): Promise<Governance> {
  const names = decisionFileNames(root);
  const script = join(__dirname, "signature-worker.js");
  const threads = threadCount(env);
  if (names.length < PARALLEL_FROM || threads < 2 || !existsSync(script)) return loadGovernance(root);

  const workers = Array.from({ length: Math.min(threads - 1, Math.ceil(names.length / BATCH)) }, () => new Worker(script));
  const answers = new Map<number, (r: SignatureBatchResult) => void>();
  const failed = new Promise<never>((_, reject) => {
    for (const w of workers) {
      w.on("message", (r: SignatureBatchResult) => answers.get(r.batch)?.(r));
      w.once("error", reject);
    }
  });
  try {
    const results: DecisionFileResult[] = [];
    const pending: Array<Promise<SignatureBatchResult>> = [];
    const owners: string[][] = [];
    let items: Array<{ payload: string; signatures: string[] }> = [];
    let ids: string[] = [];
    const flush = () => {
      if (items.length === 0) return;
      const batch = pending.length;
      pending.push(new Promise<SignatureBatchResult>((resolve) => answers.set(batch, resolve)));
      owners.push(ids);
      const buffer = packBatch(items);
      workers[batch % workers.length].postMessage({ batch, buffer } satisfies SignatureBatch, [buffer]);
      items = [];
      ids = [];
    };
    for (const name of names) {
      const result = readDecisionFile(root, name);
      results.push(result);
      if ("loaded" in result && result.loaded.decision.signatures.length > 0) {
        items.push({ payload: signaturePayload(result.loaded.raw), signatures: result.loaded.decision.signatures.map((s) => s.signature) });
        ids.push(result.loaded.id);
        if (items.length >= BATCH) flush();
      }
    }
    flush();
    const done = await Promise.race([Promise.all(pending), failed]);
    const byId = new Map<string, SignatureCheckResult[]>();
    done.forEach((r, i) => r.results.forEach((sigs, j) => byId.set(owners[i][j], sigs)));
    const gov = loadGovernance(root, results);
    for (const d of gov.decisions) {
      const s = byId.get(d.id);
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

/** Ledgers at least this large are verified in a worker with a young generation sized for them. */
const WORKER_FROM = 2000;
const YOUNG_GENERATION_MB = 64;

/**
 * `coop verify`'s work for any ledger: large ones in a worker thread (see cli/verify-worker.ts),
 * small ones (and runs from TypeScript sources) right here.
 */
export async function verifyLedgerAnywhere(root: string, now: Date, env: NodeJS.ProcessEnv = process.env): Promise<LedgerVerification> {
  const script = join(__dirname, "verify-worker.js");
  if (decisionFileNames(root).length < WORKER_FROM || !existsSync(script) || env.COOP_THREADS === "1") return verifyLedgerFast(root, now, env);
  const worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
  try {
    const answer = await new Promise<VerifyAnswer>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.postMessage({ root, now: now.toISOString(), env: { COOP_THREADS: env.COOP_THREADS } } satisfies VerifyRequest);
    });
    if ("error" in answer) throw new Error(answer.error);
    return answer.ok;
  } finally {
    await worker.terminate();
  }
}
