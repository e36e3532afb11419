/**
 * The order of the whole ledger, from its chains alone: every governance entry records the
 * latest decision of every stack it saw (`seen`), every stack decision the governance entry in
 * force when it was recorded (`under`). Both must tell the same story: a stack decision that
 * comes after what an entry saw was recorded under that entry or a later one, and one that
 * comes at or before it under an earlier one. So a member who left cannot record a decision
 * "before" their departure, and a decision cannot pick the bylaws it likes.
 */
import type { Finding } from "../findings";
import type { Ledger } from "../ledger/load";
import { governanceChain, stackChain, stacksWithDecisions } from "./chains";
import { base } from "./common";

const cache = new WeakMap<Ledger, Finding[]>();

export function orderFindings(ledger: Ledger): Finding[] {
  const hit = cache.get(ledger);
  if (hit) return hit;
  const findings: Finding[] = [];
  const gov = governanceChain(ledger);
  const entries = gov.order;
  const restore =
    "the ledger's order was edited: restore the ledger from git (git restore governance/); a decision recorded on an outdated ledger is recorded again on top of the current one";
  for (const stack of stacksWithDecisions(ledger)) {
    const chain = stackChain(ledger, stack);
    // t[g]: the position, in this stack's chain, of the latest decision entry g saw (-1: none).
    const t: number[] = [];
    entries.forEach((e, g) => {
      const seen = e.decision.seen[stack];
      let pos = -1;
      if (seen !== undefined && seen !== null) {
        const p = chain.position.get(seen);
        if (p === undefined) {
          findings.push({
            ...base(e),
            field: `seen.${stack}`,
            code: "order-inconsistent",
            level: "error",
            message: `it says the latest decision of stack '${stack}' was '${seen}', which is not in that stack's chain`,
            remediation: restore,
          });
        } else pos = p;
      }
      if (g > 0 && pos < t[g - 1]) {
        findings.push({
          ...base(e),
          field: `seen.${stack}`,
          code: "order-inconsistent",
          level: "error",
          message: `it saw an older state of stack '${stack}' than the governance entry before it`,
          remediation: restore,
        });
        pos = t[g - 1];
      }
      t.push(pos);
    });
    chain.order.forEach((d, p) => {
      let expected = -1;
      for (let g = 0; g < t.length; g++) if (t[g] < p) expected = g;
      const under = d.decision.under;
      const actual = gov.position.get(under);
      if (actual === undefined) {
        findings.push({
          ...base(d),
          field: "under",
          code: "order-inconsistent",
          level: "error",
          message: `it names '${under}' as the governance entry in force, which is not in the governance chain`,
          remediation: restore,
        });
        return;
      }
      if (expected >= 0 && actual !== expected) {
        const should = entries[expected];
        findings.push({
          ...base(d),
          field: "under",
          code: "order-inconsistent",
          level: "error",
          message:
            actual < expected
              ? `it was recorded under '${under}', but its place in the ledger is after '${should.id}' (which did not see it): it claims the bylaws and members of an earlier time`
              : `it was recorded under '${under}', but '${under}' says it came later`,
          remediation: restore,
        });
      }
    });
  }
  // A governance entry that names a stack nobody decided on is out of order too.
  const known = new Set(stacksWithDecisions(ledger));
  for (const e of entries) {
    for (const [stack, id] of Object.entries(e.decision.seen)) {
      if (!known.has(stack) && id !== null)
        findings.push({
          ...base(e),
          field: `seen.${stack}`,
          code: "order-inconsistent",
          level: "error",
          message: `it names '${id}' as the latest decision of stack '${stack}', which has none`,
          remediation: restore,
        });
    }
  }
  cache.set(ledger, findings);
  return findings;
}

/** The latest decision of every stack: what a new governance entry records as `seen`. */
export function stackHeads(ledger: Ledger): Record<string, string> {
  const out: Record<string, string> = {};
  for (const stack of stacksWithDecisions(ledger)) {
    const head = stackChain(ledger, stack).head;
    if (head) out[stack] = head.id;
  }
  return out;
}
