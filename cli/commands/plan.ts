import { resolveStackName } from "../../stacks/load";
import type { Command } from "../context";
import { specEdits, stringFlag } from "../context";
import { makePlan } from "../plan/planning";
import { renderChanges, renderTree } from "../render/tree";

export const command: Command = {
  name: "plan",
  summary: "validate the spec and show the desired state and its change from the approved lock",
  usage: `usage: coop plan [--stack NAME] [--json]

Validates stacks/<stack>.yaml, runs the Pulumi program offline (no account, no network) and
shows every resource it declares, with secrets masked, and what changed since the approved
lock (governance/approved/<stack>.lock.json).

  --stack NAME   the stack (optional when exactly one spec exists)
  --json         print {stack, digest, resources:[{urn,type,name,inputs}], changes:[{urn,op,paths?}]}
  --set P=V      plan as if the spec said V at path P (repeatable), without editing the file,
                 e.g. --set host.serverType=cx43`,
  options: { set: { type: "string", multiple: true } },
  async run(ctx) {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const plan = await makePlan(ctx.root, stack, specEdits(ctx));
    if (plan.lockError) throw plan.lockError;
    if (ctx.json) {
      ctx.io.json({
        stack: plan.stack,
        project: plan.view.project,
        digest: plan.digest,
        lockDigest: plan.lock?.digest ?? null,
        resources: plan.view.resources,
        changes: plan.changes.map((c) => ({ urn: c.urn, op: c.op, ...(c.paths ? { paths: c.paths } : {}) })),
      });
      return 0;
    }
    ctx.io.out(
      renderTree({
        stack,
        digest: plan.digest,
        registrations: plan.run.resources,
        governed: plan.view.resources,
        stackUrn: plan.run.stackUrn,
      }),
    );
    ctx.io.out("");
    ctx.io.out(renderChanges(plan.changes, plan.lockFile, plan.lock !== undefined, stack));
    return 0;
  },
};
