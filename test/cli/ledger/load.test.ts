import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLedger, type GeneratedLedger } from "../../../bench/ledger";
import { checkBatches, shareBatches, startDecisionWorker } from "../../../cli/ledger/load";
import { readAndCheckDecisions } from "../../../cli/ledger/decision-worker";
import { REPO_ROOT } from "../../helpers/repo";

let ledger: GeneratedLedger;
let batches: string[][];
beforeAll(() => {
  ledger = generateLedger(9, 1, REPO_ROOT);
  const names = readdirSync(join(ledger.root, "governance", "decisions")).sort();
  batches = [names.slice(0, 3), names.slice(3, 6), names.slice(6)];
});
afterAll(() => rmSync(ledger.root, { recursive: true, force: true }));

/** A stand-in worker thread that answers like cli/ledger/decision-worker.ts, marking what it saw. */
function echoWorker(): Worker {
  const script = `
    const { parentPort } = require("node:worker_threads");
    parentPort.on("message", (m) => parentPort.postMessage({ batch: m.batch, files: m.names.map((n) => ({ id: "worker:" + n })) }));
  `;
  return new Worker(script, { eval: true });
}

describe("sharing the decision files between threads", () => {
  it("answers every batch in order, whichever thread took it", async () => {
    const w = echoWorker();
    try {
      const answers = await checkBatches(ledger.root, batches, [w]);
      expect(answers).toHaveLength(3);
      expect(answers.map((a) => a.map((f) => f.id))).toEqual(batches.map((b) => b.map((n) => `worker:${n}`)));
    } finally {
      await w.terminate();
    }
  });

  it("fails, naming what happened, when a worker thread dies instead of hanging", async () => {
    const w = new Worker("process.exit(3)", { eval: true });
    try {
      await expect(checkBatches(ledger.root, batches, [w])).rejects.toThrow(/a verification thread stopped \(exit code 3\)/);
    } finally {
      await w.terminate();
    }
  });

  it("starts a real verification thread through the project's loader, which answers as this thread would", async () => {
    const w = startDecisionWorker();
    try {
      const answers = await checkBatches(ledger.root, batches, [w]);
      const here = batches.map((b) => readAndCheckDecisions(ledger.root, b));
      expect(answers).toEqual(here);
      // Every generated decision is signed, and every signature verifies.
      expect(answers.flat().every((f) => (f.signatures ?? []).length > 0 && f.signatures!.every((s) => s.ok))).toBe(true);
    } finally {
      await w.terminate();
    }
  });

  it("lets the loading thread take the batches no worker has taken, each batch once", async () => {
    const w = echoWorker();
    try {
      const shared = shareBatches(ledger.root, batches, [w]);
      // The worker holds two batches at once; the third is left for this thread.
      const mine: number[] = [];
      for (let b = shared.take(); b !== undefined; b = shared.take()) {
        mine.push(b);
        shared.done(b);
      }
      const answers = await shared.answers;
      expect(mine).toEqual([2]);
      expect(answers[2]).toBeUndefined();
      expect(answers.slice(0, 2).map((a) => a!.map((f) => f.id))).toEqual(batches.slice(0, 2).map((b) => b.map((n) => `worker:${n}`)));
    } finally {
      await w.terminate();
    }
  });
});
