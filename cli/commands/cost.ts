import { resolveStackName } from "../../stacks/load";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { costOfPlan } from "../plan/costing";
import { now } from "../../kernel/clock";
import { makePlan } from "../plan/planning";
import { renderCost } from "../render/cost";

export const command: Command = {
  name: "cost",
  summary: "monthly cost of the stack, per resource, from the dated Hetzner price table",
  usage: `usage: coop cost [--stack NAME] [--json]

Estimates what the stack costs per month at Hetzner: each server, IP address, volume and
Storage Box the plan declares, and Object Storage's base price once when it has buckets,
priced from plan/prices/hetzner.yaml (dated; coop warns when it is older than about six
months). Containers, DNS, keys, firewalls and private networks cost nothing extra. When the stack has an approved lock, its cost is shown too.

  --stack NAME   the stack (optional when exactly one spec exists)
  --json         print {stack, currency, vat, asOf, staleTable, total, lines:[{urn,name,type,what,monthly}], approvedTotal}`,
  options: {},
  async run(ctx) {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const plan = await makePlan(ctx.root, stack);
    const cost = costOfPlan(ctx.root, plan, now());
    if (ctx.json) {
      ctx.io.json({
        stack,
        currency: cost.after.currency,
        vat: cost.after.vat,
        asOf: cost.after.asOf,
        staleTable: cost.stale ?? null,
        total: cost.after.total,
        lines: cost.after.lines,
        unpriced: cost.after.unpriced.length,
        approvedTotal: cost.before?.total ?? null,
      });
    } else {
      ctx.io.out(renderCost(stack, cost.after, cost.before));
    }
    if (cost.stale) ctx.io.err(`coop: warning: ${cost.stale}`);
    return 0;
  },
};
