import { loadGovernance } from "../../rulebook";
import type { DecisionDraft } from "../../rulebook/records/decision";
import { InputError } from "../../kernel/errors";
import { resolveStackName } from "../../stacks/load";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { changeRecords } from "../ledger/change-records";
import { chainTip, nextDecisionId, nowIso, recordDecision, recordedLines, requireSound, signatureState } from "../ledger/record";
import { makePlan } from "../plan/planning";

export const command: Command = {
  name: "emergency",
  summary: "record an emergency change applied before a vote (needs the rules' emergency signatures; to be ratified by a deadline)",
  usage: `usage: coop emergency --stack NAME --reason TEXT [--key PATH] [--json]

For when the co-op cannot wait for a vote (a security fix, a broken server): records the plan
rendered now as an emergency decision and makes it the approved lock. It counts once it has
the signatures governance/rules.yaml sets under emergency.signatures, and stays flagged until
the members ratify it with a poll; after emergency.ratificationDays the flag becomes a
violation that stops deploys. To ratify: coop propose --stack NAME --post, then
coop decide --stack NAME --poll <key>. Until it is ratified, every proposal for the stack
names it (a vote ratifies only the emergency changes it names), and coop decide refuses a
poll that does not.

  --reason TEXT   why it could not wait (members will read this)
  --key PATH      also sign it with this SSH key
  --json          print {stack, decision, digest, ratifyBy, files, signatures}`,
  options: { reason: { type: "string" }, key: { type: "string" } },
  async run(ctx) {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const reason = stringFlag(ctx, "reason")?.trim();
    if (!reason)
      throw new InputError(
        "--reason is required",
        'say why it could not wait, e.g. --reason "Mastodon security release, remote code execution"',
      );
    const gov = loadGovernance(ctx.root);
    requireSound(gov);
    const now = new Date(nowIso(ctx.env));
    const tip = chainTip(gov, stack);
    const plan = await makePlan(ctx.root, stack);
    if (tip.lock && plan.digest === tip.lock.digest)
      throw new InputError(`nothing changes: the plan of '${stack}' equals the approved lock`);
    const at = now.toISOString();
    const ratifyBy = new Date(now.getTime() + gov.rules.emergency.ratificationDays * 86_400_000).toISOString();
    const record: DecisionDraft = {
      kind: "emergency",
      version: 1,
      id: nextDecisionId(gov, stack, "emergency"),
      project: gov.project,
      decidedAt: at,
      recordedAt: at,
      summary: `Emergency change: ${reason}`,
      rulesSha256: gov.rulesSha256!,
      stack,
      digest: plan.digest,
      previous: tip.head?.id ?? null,
      replaces: tip.lock?.digest ?? null,
      reason,
      ratifyBy,
      changes: changeRecords(plan.changes),
    };
    const r = recordDecision(ctx.root, gov, record, plan.view, stringFlag(ctx, "key"));
    if (ctx.json)
      ctx.io.json({ stack, decision: r.record.id, digest: plan.digest, ratifyBy, files: r.files, signatures: signatureState(r) });
    else {
      for (const line of recordedLines(r, "emergency decision")) ctx.io.out(line);
      ctx.io.out(
        `The members must ratify it by ${ratifyBy.slice(0, 10)}: coop propose --stack ${stack} --post, then coop decide --stack ${stack} --poll <key>.`,
      );
    }
    return 0;
  },
};
