/** Monthly cost before (the approved lock) and after (the plan), for `coop cost` and proposals. */
import { estimateMonthlyCost, type CostEstimate } from "../../plan/cost";
import { readPriceTable, type PriceTable } from "../../plan/prices";
import { enabledServices, type StackSpec } from "../../stacks/schema";
import { staleTableWarning } from "../render/cost";
import type { CostSummary } from "../render/proposal";
import type { Plan } from "./planning";

export interface PlanCost {
  readonly table: PriceTable;
  readonly after: CostEstimate;
  /** Undefined when the stack has no approved lock. */
  readonly before?: CostEstimate;
  readonly stale?: string;
}

export function costOfPlan(root: string, plan: Plan, now: Date): PlanCost {
  const table = readPriceTable(root);
  return {
    table,
    after: estimateMonthlyCost(plan.view.resources, table),
    before: plan.lock ? estimateMonthlyCost(plan.lock.resources, table) : undefined,
    stale: staleTableWarning(table, now),
  };
}

export function costSummary(c: PlanCost): CostSummary {
  return {
    before: c.before ? c.before.total : null,
    after: c.after.total,
    asOf: c.table.asOf,
    vat: c.table.vat,
    unpriced: c.after.unpriced.length,
    stale: c.stale,
  };
}

/** What the stack runs, in words: ["Mastodon v4.6.3", "Nextcloud 34.0.2", "mail (docker-mailserver 15.1.0)"]. */
export function runsOf(spec: StackSpec): string[] {
  return enabledServices(spec).map((s) => {
    const version = (spec.services[s] as { version?: string }).version;
    if (s === "mastodon") return `Mastodon${version ? ` ${version}` : ""}`;
    if (s === "nextcloud") return `Nextcloud${version ? ` ${version}` : ""}`;
    return `mail${version ? ` (docker-mailserver ${version})` : ""}`;
  });
}
