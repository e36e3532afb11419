/**
 * Worker thread of cli/ledger/load.ts: reads, validates and signature-checks a share of the
 * decision files. That is all of `coop verify`'s costly work (YAML, schema, canonical JSON,
 * sshsig), so every core does the same as the loading thread does with its own share; the
 * loaded records and what their signatures say travel back.
 */
import { parentPort } from "node:worker_threads";
import { readDecisionFile, type DecisionFileResult } from "../../rulebook/ledger/load";
import { checkRecordSignatures, type SignatureCheckResult } from "../../rulebook/signatures/signatures";

export interface DecisionBatch {
  readonly batch: number;
  readonly root: string;
  readonly names: readonly string[];
}

export interface CheckedDecisionFile {
  readonly id: string;
  /** What each signature says, before anyone looks up the members (absent for an unreadable file). */
  readonly signatures?: SignatureCheckResult[];
}

export interface DecisionBatchResult {
  readonly batch: number;
  readonly files: CheckedDecisionFile[];
}

/** Only what the signatures say travels back: the loading thread reads the records itself. */
export function readAndCheckDecisions(root: string, names: readonly string[]): CheckedDecisionFile[] {
  return names.map((name) => {
    const result: DecisionFileResult = readDecisionFile(root, name);
    if (!("loaded" in result)) return { id: name };
    return { id: result.loaded.id, signatures: checkRecordSignatures(result.loaded.decision) };
  });
}

/** Answers the loading thread's batches (called by the thread's start-up code in cli/ledger/load.ts). */
export function serve(): void {
  const port = parentPort;
  if (!port) throw new Error("cli/ledger/decision-worker.ts serves a worker thread's parent; it was loaded outside a worker");
  port.on("message", (m: DecisionBatch) =>
    port.postMessage({ batch: m.batch, files: readAndCheckDecisions(m.root, m.names) } satisfies DecisionBatchResult),
  );
}
