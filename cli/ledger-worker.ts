/**
 * Worker thread of cli/ledger-load.ts: reads, checks and verifies a share of the decision
 * files (parse, format, canonical payload, signatures) and sends back what it read, so a large
 * ledger is loaded on every core.
 */
import { parentPort } from "node:worker_threads";
import { readDecisionFile, type DecisionFileResult } from "../policies/governance/load";
import { checkRecordSignatures, type SignatureCheckResult } from "../policies/governance/signatures";

export interface LedgerShare {
  readonly root: string;
  readonly names: readonly string[];
}

export interface ReadDecision {
  readonly result: DecisionFileResult;
  /** Signature checks of a loaded decision, in the order of its signatures. */
  readonly signatures?: SignatureCheckResult[];
}

/** Reads and verifies `names` (also used by the main thread for its own share). */
export function readShare(root: string, names: readonly string[]): ReadDecision[] {
  return names.map((name) => {
    const result = readDecisionFile(root, name);
    if (!("loaded" in result)) return { result };
    return { result, signatures: checkRecordSignatures(result.loaded.raw, result.loaded.decision.signatures) };
  });
}

if (parentPort) {
  const port = parentPort;
  port.once("message", (share: LedgerShare) => port.postMessage(readShare(share.root, share.names)));
}
