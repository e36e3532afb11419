/**
 * A throw-away copy of the repository whose stacks are approved as they plan now: a fresh
 * founding signed (in Node) by the fixture's members, with the first states of the stacks.
 * Tests of the gate and the commands start from this green state and then break one thing at a
 * time; the LedgerFixture it returns records further decisions as coop would.
 */
import { LedgerFixture } from "./ledger";
import { tempRepo } from "./repo";

export interface ApprovedRepo extends LedgerFixture {
  readonly cleanup: () => void;
}

export async function approvedRepo(stacks: string[] = ["example"]): Promise<LedgerFixture> {
  const repo = tempRepo();
  const f = await LedgerFixture.forRepo(repo.root, stacks);
  f.cleanup = repo.cleanup;
  return f;
}
