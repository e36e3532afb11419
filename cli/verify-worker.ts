/**
 * Worker thread that verifies a large ledger (cli/ledger-load.ts runs it through
 * verifyLedgerInWorker). Reading 10,000 records allocates a great many short-lived objects;
 * a worker can be given a larger young generation than the main thread got at start-up,
 * which spares most of the garbage collector's work. Only the findings travel back.
 */
import { parentPort } from "node:worker_threads";
import { verifyLedgerFast, type LedgerVerification } from "./ledger-load";

export interface VerifyRequest {
  readonly root: string;
  readonly now: string;
  readonly env: NodeJS.ProcessEnv;
}

export type VerifyAnswer = { readonly ok: LedgerVerification } | { readonly error: string };

if (parentPort && require.main === module) {
  const port = parentPort;
  port.once("message", (req: VerifyRequest) => {
    verifyLedgerFast(req.root, new Date(req.now), req.env).then(
      (ok) => port.postMessage({ ok } satisfies VerifyAnswer),
      (e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e) } satisfies VerifyAnswer),
    );
  });
}
