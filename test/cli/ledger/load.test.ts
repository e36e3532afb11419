import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLedger, type GeneratedLedger } from "../../../bench/ledger";
import { checkBatches } from "../../../cli/ledger/load";
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
});
