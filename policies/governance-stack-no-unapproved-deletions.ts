/**
 * Resources in the approved lock that the program no longer declares would be deleted.
 *
 * Deletions never reach resource policies, and the engine runs stack policies after the
 * changes in `pulumi up`, so this gate holds at preview: CI must preview with the pack before
 * anything is deployed (see the README's CI setup).
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { reportAt } from "./support/report";
import { lockOf, parseUrn } from "./support/stack-context";

export const NAME = "governance-stack-no-unapproved-deletions";

export const governanceStackNoUnapprovedDeletions: StackValidationPolicy = {
  name: NAME,
  description: "No resource of the approved lock disappears from the program without a decision.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "If the removal is intended, propose it (`coop propose --stack <stack>`) and record the decision (`coop decide`); otherwise restore the resource in the spec.",
  validateStack: (args, report) => {
    const byStack = new Map<string, Set<string>>();
    for (const r of args.resources) {
      const { stack } = parseUrn(r.urn);
      const set = byStack.get(stack) ?? new Set<string>();
      set.add(r.urn);
      byStack.set(stack, set);
    }
    for (const [stack, present] of byStack) {
      const state = lockOf(stack);
      if (!("lock" in state)) continue; // the resource policy reports a missing or broken lock
      const gone = state.lock.resources.filter((r) => !present.has(r.urn));
      if (gone.length === 0) continue;
      const list = gone.map((r) => `  ${r.type} '${r.name}'`).join("\n");
      reportAt(
        report,
        "mandatory",
        `${gone.length} approved resource${gone.length === 1 ? " is" : "s are"} no longer declared and would be deleted from stack '${stack}':\n${list}\nA deletion needs a decision: coop propose --stack ${stack}`,
      );
    }
  },
};
