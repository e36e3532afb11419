/**
 * The example co-op's bundled ledger must approve the code and what the bundled stacks plan
 * today: when the code or a component's plan changes, this fails until the ledger is regenerated
 * (npm run ledger:example).
 */
import { describe, expect, it } from "vitest";
import { formatFinding, loadLedger, verifyLedger } from "../../rulebook";
import { listStacks } from "../../stacks/load";
import { makePlan } from "../../cli/plan/planning";
import { REPO_ROOT } from "../helpers/repo";

describe("the example co-op's ledger", () => {
  const ledger = loadLedger(REPO_ROOT);

  it("verifies: formats, ada's signatures, a founding that approves the bylaws, members and code, one genesis per bundled stack, locks", () => {
    expect(verifyLedger(ledger, new Date()).map(formatFinding), "run npm run ledger:example").toEqual([]);
    const founding = ledger.byId.get("governance-0001-founding")?.decision;
    expect(founding?.kind).toBe("founding");
    expect(founding && "stacks" in founding ? founding.stacks : []).toEqual(listStacks(REPO_ROOT));
    expect(founding?.signatures.map((s) => s.member)).toEqual(["ada"]);
    for (const stack of listStacks(REPO_ROOT)) {
      const d = ledger.byId.get(`${stack}-0001-genesis`)?.decision;
      expect(d, `no genesis decision for stack ${stack}: run npm run ledger:example`).toBeDefined();
      expect(d!.signatures.map((s) => s.member)).toEqual(["ada"]);
    }
  });

  for (const stack of listStacks(REPO_ROOT)) {
    it(`approves exactly what stack ${stack} plans now (else: npm run ledger:example)`, async () => {
      const plan = await makePlan(REPO_ROOT, stack);
      expect(plan.lock, `governance/approved/${stack}.lock.json is missing`).toBeDefined();
      expect(
        plan.changes.map((c) => `${c.op} ${c.name} ${(c.paths ?? []).join(",")}`),
        "the bundled ledger is stale: run npm run ledger:example",
      ).toEqual([]);
      expect(plan.digest).toBe(plan.lock!.digest);
    });
  }
});
