/** Monthly cost before (the approved lock) and after (the plan), for `coop cost` and proposals. */
import { estimateMonthlyCost, type CostEstimate } from "../../plan/cost";
import { readPriceTable, type PriceTable } from "../../plan/prices";
import { staleTableWarning } from "../render/cost";
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
