import { appendFileSync, readFileSync } from "node:fs";
import { InputError } from "../../stacks/errors";
import { resolveStackName } from "../../stacks/load";
import type { Command, Context } from "../context";
import { stringFlag } from "../context";
import { runGate, type GateResult, type PolicyConfig } from "../gate/run-gate";
import { makePlan } from "../planning";
import { renderGateMarkdown, renderGateReport } from "../render/gate-report";

export const command: Command = {
  name: "gate",
  summary: "run the policy pack over the offline plan: is this change approved? (the reviewers' check)",
  usage: `usage: coop gate [--stack NAME] [--json] [--policy-config FILE]

Runs the Pulumi program offline and the real policy pack (policies/) over it, through the
analyzer protocol the Pulumi engine uses: the same verdict as
\`pulumi preview --policy-pack policies\`, without cloud credentials.

Exit 0 when no mandatory policy is violated, 1 when one is, 2 on bad input.
When GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to that file.

  --stack NAME           the stack (optional when exactly one spec exists)
  --json                 print {stack, passed, violations:[{policy,urn,message,level}]}
  --policy-config FILE   the JSON policy config CI passes to --policy-pack-config (checked too)`,
  options: { "policy-config": { type: "string" } },
  async run(ctx) {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const config = readPolicyConfig(ctx);
    const plan = await makePlan(ctx.root, stack);
    const result = await runGate(ctx.root, plan.run, config);
    report(ctx, result);
    return result.passed ? 0 : 1;
  },
};

function readPolicyConfig(ctx: Context): PolicyConfig {
  const file = stringFlag(ctx, "policy-config");
  if (!file) return {};
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(`cannot read the policy config ${file}: ${(e as Error).message}`, "pass the JSON file given to `pulumi … --policy-pack-config`");
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new InputError(`${file}: expected a JSON object of policy names`);
  return data as PolicyConfig;
}

function report(ctx: Context, result: GateResult): void {
  if (ctx.json) {
    ctx.io.json({ stack: result.stack, passed: result.passed, violations: result.violations });
  } else {
    ctx.io.out(renderGateReport(result));
  }
  const summary = ctx.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      appendFileSync(summary, renderGateMarkdown(result));
    } catch (e) {
      ctx.io.err(`coop: could not write the step summary to ${summary}: ${(e as Error).message}`);
    }
  }
}
