import { appendFileSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { now } from "../../kernel/clock";
import { formatFinding } from "../../rulebook";
import { InputError } from "../../kernel/errors";
import { listStacks, resolveStackName } from "../../stacks/load";
import type { Command, Context } from "../context";
import { specEdits, stringFlag } from "../context";
import { openGate, parsePolicyConfig, PolicyConfigError, runGate, type GateResult, type PolicyConfig } from "../gate/run-gate";
import { runOffline } from "../plan/planning";
import { gateWithTreeCode, judgeTreeCode } from "../gate/tree-code";
import { renderGateMarkdown, renderGateReport } from "../render/gate-report";

export const command: Command = {
  name: "gate",
  summary: "run the policy pack over the offline plan: is this change approved? (the reviewers' check)",
  usage: `usage: coop gate [--stack NAME | --all] [--json] [--verbose] [--policy-config FILE]

Runs the Pulumi program offline and the real policy pack (policies/) over it, through the
analyzer protocol the Pulumi engine uses: the same verdict as
\`pulumi preview --policy-pack policies\`, without cloud credentials.

Exit 0 when no mandatory policy is violated, 1 when one is, 2 on bad input.
When GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to that file.

  --stack NAME           the stack (optional when exactly one spec exists)
  --all                  every stack with a spec, in one run (JSON: {passed, stacks:[…]})
  --verbose              list every resource a cause was reported at (by default: the first three)
  --json                 print {stack, passed, violations:[{policy,urn,message,level}]}
  --policy-config FILE   the JSON policy config CI passes to --policy-pack-config, read as
                         pulumi reads it ("all", level strings) and checked too
  --set P=V              gate the plan as if the spec said V at path P (repeatable), e.g.
                         --set host.serverType=cx43 shows the gate refusing an unapproved change`,
  options: {
    "policy-config": { type: "string" },
    all: { type: "boolean" },
    set: { type: "string", multiple: true },
    verbose: { type: "boolean" },
  },
  async run(ctx) {
    const config = readPolicyConfig(ctx);
    if (typeof ctx.values.tree === "string") {
      const judged = judgeTreeCode(ctx.root, now());
      if (judged.kind === "refused") {
        ctx.io.err(
          `coop: the pull request's code${judged.digest ? ` (sha256 ${judged.digest.slice(0, 12)}…)` : ""} is not this coop's and is not approved: none of it runs, and the gate fails\n${judged.findings
            .slice(0, 8)
            .map((f) => formatFinding(f))
            .join("\n")}\n  fix: coop verify --tree ${ctx.root} says what the pull request lacks`,
        );
        if (ctx.json) ctx.io.json({ passed: false, codeApproved: false, findings: judged.findings });
        return 1;
      }
      if (judged.kind === "approved") {
        ctx.io.err(
          `coop: the pull request's code (sha256 ${judged.digest.slice(0, 12)}…) differs from this coop's (${judged.own.slice(0, 12)}…) and its ledger approves it: gating with its own program and pack`,
        );
        const r = gateWithTreeCode(ctx.root, delegatedArgs(ctx), ctx.env);
        if (r.stdout) ctx.io.out(r.stdout.replace(/\n$/, ""));
        if (r.stderr) ctx.io.err(r.stderr.replace(/\n$/, ""));
        return r.code;
      }
    }
    try {
      return await gate(ctx, config);
    } catch (e) {
      // Only the pack knows its policies, so a config naming none of them is found at Configure.
      if (e instanceof PolicyConfigError)
        throw new InputError(`the policy config ${stringFlag(ctx, "policy-config")}: ${e.message}`, CONFIG_HINT);
      throw e;
    }
  },
};

/** The same gate for the tree's own coop, run in the tree: file arguments made absolute. */
function delegatedArgs(ctx: Context): string[] {
  const args: string[] = [];
  if (ctx.values.all) args.push("--all");
  const stack = stringFlag(ctx, "stack");
  if (stack) args.push("--stack", stack);
  const config = stringFlag(ctx, "policy-config");
  if (config) args.push("--policy-config", resolve(config));
  for (const edit of (ctx.values.set as string[] | undefined) ?? []) args.push("--set", edit);
  if (ctx.values.verbose) args.push("--verbose");
  if (ctx.json) args.push("--json");
  return args;
}

const CONFIG_HINT =
  "give each policy (or `all`) an enforcement level (advisory, mandatory, remediate, disabled) or an object of properties, as `pulumi … --policy-pack-config` accepts";

async function gate(ctx: Context, config: PolicyConfig): Promise<number> {
  if (ctx.values.all) {
    if (ctx.values.stack) throw new InputError("give either --stack or --all, not both");
    const stacks = listStacks(ctx.root);
    if (stacks.length === 0)
      throw new InputError("there is no stack spec in stacks/", "copy the example: cp stacks/example.yaml stacks/<your-stack>.yaml");
    // One run for every stack, as the engine's one Configure per run: the record is read once.
    const session = await openGate(ctx.root, config);
    const results: GateResult[] = [];
    for (const stack of stacks) results.push(await session.gate(await runOffline(ctx.root, stack, specEdits(ctx))));
    const passed = results.every((r) => r.passed);
    if (ctx.json) ctx.io.json({ passed, stacks: results.map(summary) });
    else ctx.io.out(results.map((r) => renderGateReport(r, ctx.values.verbose === true)).join("\n\n"));
    for (const r of results) writeStepSummary(ctx, r);
    return passed ? 0 : 1;
  }
  const result = await gateStack(ctx, resolveStackName(ctx.root, stringFlag(ctx, "stack")), config);
  if (ctx.json) ctx.io.json(summary(result));
  else ctx.io.out(renderGateReport(result, ctx.values.verbose === true));
  writeStepSummary(ctx, result);
  return result.passed ? 0 : 1;
}

async function gateStack(ctx: Context, stack: string, config: PolicyConfig): Promise<GateResult> {
  return runGate(ctx.root, await runOffline(ctx.root, stack, specEdits(ctx)), config);
}

function summary(r: GateResult) {
  return { stack: r.stack, passed: r.passed, violations: r.violations };
}

function readPolicyConfig(ctx: Context): PolicyConfig {
  const file = stringFlag(ctx, "policy-config");
  if (!file) return {};
  let data: unknown;
  try {
    const text = readFileSync(file, "utf8");
    // The CLI takes an empty file as no config.
    data = text.trim() === "" ? {} : JSON.parse(text);
  } catch (e) {
    throw new InputError(
      `cannot read the policy config ${file}: ${(e as Error).message}`,
      "pass the JSON file given to `pulumi … --policy-pack-config`",
    );
  }
  // Refuse what the CLI refuses before anything runs, naming the file and the entry.
  try {
    parsePolicyConfig(data);
  } catch (e) {
    if (e instanceof PolicyConfigError) throw new InputError(`the policy config ${file}: ${e.message}`, CONFIG_HINT);
    throw e;
  }
  return (data ?? {}) as PolicyConfig;
}

function writeStepSummary(ctx: Context, result: GateResult): void {
  const summary = ctx.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      appendFileSync(summary, renderGateMarkdown(result));
    } catch (e) {
      ctx.io.err(`coop: could not write the step summary to ${summary}: ${(e as Error).message}`);
    }
  }
}
