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
  ledger = generateLedger(9, 1, join(REPO_ROOT, "governance", "rules.yaml"));
  const names = readdirSync(join(ledger.root, "governance", "decisions")).sort();
  batches = [names.slice(0, 3), names.slice(3, 6), names.slice(6)];
});
afterAll(() => rmSync(ledger.root, { recursive: true, force: true }));

/** A stand-in worker thread that answers like cli/ledger/decision-worker.ts from the same function. */
function echoWorker(): Worker {
  const script = `
    const { parentPort } = require("node:worker_threads");
    parentPort.on("message", (m) => parentPort.postMessage({ batch: m.batch, files: m.names.map((n) => ({ result: { problems: [{ file: n, message: "seen by the worker" }] } })) }));
  `;
  return new Worker(script, { eval: true });
}

describe("sharing the decision files between threads", () => {
  it("answers every batch in order, whichever thread took it", async () => {
    const w = echoWorker();
    try {
      const answers = await checkBatches(ledger.root, batches, [w]);
      expect(answers).toHaveLength(3);
      // The worker takes the first two batches, this thread the third.
      expect(answers[0].map((f) => ("problems" in f.result ? f.result.problems[0].file : ""))).toEqual(batches[0]);
      expect(answers[1].map((f) => ("problems" in f.result ? f.result.problems[0].message : ""))).toEqual([
        "seen by the worker",
        "seen by the worker",
        "seen by the worker",
      ]);
      expect(answers[2].map((f) => ("loaded" in f.result ? f.result.loaded.id : ""))).toEqual(
        batches[2].map((n) => n.slice(0, -".yaml".length)),
      );
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
