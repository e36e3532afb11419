import { loadGovernance } from "../../policies/governance";
import type { Decision } from "../../policies/governance/decision";
import { InputError } from "../../stacks/errors";
import { resolveStackName } from "../../stacks/load";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { changeRecords } from "../change-records";
import { chainTip, nextDecisionId, nowIso, requireSound, requirementOf, signRecord, signerFor, writeDecision } from "../ledger";
import { makePlan } from "../planning";
import type { JsonObject } from "../../policies/view";

export const command: Command = {
  name: "emergency",
  summary: "record an emergency change applied before a vote (needs the rules' emergency signatures; to be ratified by a deadline)",
  usage: `usage: coop emergency --stack NAME --reason TEXT [--key PATH] [--json]

For when the co-op cannot wait for a vote (a security fix, a broken server): records the plan
rendered now as an emergency decision and makes it the approved lock. It counts once it has
the signatures governance/rules.yaml sets under emergency.signatures, and stays flagged until
the members ratify it with a poll; after emergency.ratificationDays the flag becomes a
violation that stops deploys. To ratify: coop propose --stack NAME --post, then
coop decide --stack NAME --poll <key>.

  --reason TEXT   why it could not wait (members will read this)
  --key PATH      also sign it with this SSH key
  --json          print {stack, decision, digest, ratifyBy, files, signatures}`,
  options: { reason: { type: "string" }, key: { type: "string" } },
  async run(ctx) {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const reason = stringFlag(ctx, "reason")?.trim();
    if (!reason) throw new InputError("--reason is required", 'say why it could not wait, e.g. --reason "Mastodon security release, remote code execution"');
    const gov = loadGovernance(ctx.root);
    requireSound(gov);
    const now = new Date(nowIso(ctx.env));
    const tip = chainTip(gov, stack);
    const plan = await makePlan(ctx.root, stack);
    if (tip.lock && plan.digest === tip.lock.digest) throw new InputError(`nothing changes: the plan of '${stack}' equals the approved lock`);
    const at = now.toISOString();
    const ratifyBy = new Date(now.getTime() + gov.rules.emergency.ratificationDays * 86_400_000).toISOString();
    let record: Decision = {
      kind: "emergency",
      version: 1,
      id: nextDecisionId(gov, stack, "emergency"),
      project: gov.project,
      decidedAt: at,
      recordedAt: at,
      summary: `Emergency change: ${reason}`,
      rulesSha256: gov.rulesSha256!,
      requires: { count: 0, roles: ["admin"] },
      signatures: [],
      stack,
      digest: plan.digest,
      previous: tip.head?.id ?? null,
      replaces: tip.lock?.digest ?? null,
      reason,
      ratifyBy,
      changes: changeRecords(plan.changes),
    };
    const requires = requirementOf(gov, record);
    record = { ...record, requires };
    const keyPath = stringFlag(ctx, "key");
    if (keyPath) record = { ...record, signatures: [signRecord(record as unknown as JsonObject, keyPath, signerFor(gov, keyPath, requires))] };
    const written = writeDecision(ctx.root, record, plan.view);
    const more = Math.max(0, requires.count - record.signatures.length);
    if (ctx.json) ctx.io.json({ stack, decision: record.id, digest: plan.digest, ratifyBy, files: written.files, signatures: { have: record.signatures.length, required: requires.count, roles: requires.roles } });
    else {
      ctx.io.out(`Recorded emergency decision ${record.id}:`);
      for (const f of written.files) ctx.io.out(`  wrote ${f}`);
      if (more) ctx.io.out(`It needs ${more} more signature${more === 1 ? "" : "s"} by ${requires.roles.join(" or ")} before it can be deployed: coop sign ${record.id} --key ~/.ssh/id_ed25519`);
      ctx.io.out(`The members must ratify it by ${ratifyBy.slice(0, 10)}: coop propose --stack ${stack} --post, then coop decide --stack ${stack} --poll <key>.`);
    }
    return 0;
  },
};
