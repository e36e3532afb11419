import { checkChangeClass, decisionFindingsInForce, errorsOf, formatFinding, loadGovernance, type ChangeClass } from "../../rulebook";
import type { DecisionDraft, StandingDecision } from "../../rulebook/records/decision";
import { CheckFailed, InputError } from "../../kernel/errors";
import { resolveStackName } from "../../stacks/load";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { changeRecords } from "../ledger/change-records";
import { runsOf } from "../plan/costing";
import { chainTip, nextDecisionId, nowIso, recordDecision, recordedLines, requireSound, signatureState } from "../ledger/record";
import { makePlan } from "../plan/planning";
import { describeChanges } from "../render/plain-words";

export const command: Command = {
  name: "approve",
  summary: "approve a routine change that a standing decision pre-approved (e.g. a patch upgrade); writes the decision and the lock",
  usage: `usage: coop approve --stack NAME --standing ID [--key PATH] [--json]

Records a routine decision: the change from the approved lock must fall entirely into a class
of change that the standing decision ID pre-approved for this stack (e.g. image-patch: only
pinned images, each moving up by a patch version). coop checks this from the change itself.
The decision counts once it has the signatures governance/rules.yaml sets for that class.

  --standing ID   the standing decision (coop decide --standing … recorded it)
  --key PATH      also sign it with this SSH key
  --json          print {stack, decision, class, digest, files, signatures}`,
  options: { standing: { type: "string" }, key: { type: "string" } },
  async run(ctx) {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const standingId = stringFlag(ctx, "standing");
    if (!standingId)
      throw new InputError(
        "--standing is required",
        "name the standing decision that pre-approved this class of change, e.g. --standing standing-0001-image-patch",
      );
    const gov = loadGovernance(ctx.root);
    requireSound(gov);
    const now = new Date(nowIso(ctx.env));
    const s = gov.byId.get(standingId);
    if (s?.decision.kind !== "standing")
      throw new InputError(
        `there is no standing decision '${standingId}'`,
        "coop verify lists the decisions; standing decisions are recorded with coop decide --standing",
      );
    const standing = s.decision as StandingDecision;
    // The routine decision will rest on it, so it must meet today's rules, not only its own.
    const bad = errorsOf(decisionFindingsInForce(gov, s));
    if (bad.length)
      throw new CheckFailed(
        `standing decision ${standingId} is not valid under the rules in force:\n${bad.map((f) => `  ${formatFinding(f)}`).join("\n")}`,
        `it needs the signatures governance/rules.yaml requires (coop sign ${standingId} --key <key>) and a passing poll before it can pre-approve anything`,
      );
    if (!(standing.terms.stacks.includes("*") || standing.terms.stacks.includes(stack)))
      throw new CheckFailed(
        `standing decision ${standingId} covers ${standing.terms.stacks.join(", ")}, not '${stack}'`,
        "this change needs a vote: coop propose --post",
      );
    if (standing.terms.until && now.getTime() > Date.parse(standing.terms.until))
      throw new CheckFailed(
        `standing decision ${standingId} ended on ${standing.terms.until.slice(0, 10)}`,
        "this change needs a vote, or the members adopt a new standing decision",
      );
    const tip = chainTip(gov, stack);
    if (!tip.lock)
      throw new InputError(
        `stack '${stack}' has no approved state yet; its first state needs a vote`,
        `coop propose --stack ${stack} --post`,
      );
    const plan = await makePlan(ctx.root, stack);
    if (plan.changes.length === 0) throw new InputError(`nothing to approve: the plan of '${stack}' equals the approved lock`);
    let cls: ChangeClass | undefined;
    const reasons: string[] = [];
    for (const c of standing.terms.classes) {
      const check = checkChangeClass(c, plan.changes);
      if (check.ok) {
        cls = c;
        break;
      }
      reasons.push(...check.outside.map((o) => `  ${c}: ${o.urn.split("::").pop()}${o.path ? ` ${o.path}` : ""}: ${o.reason}`));
    }
    if (!cls) {
      if (ctx.json) ctx.io.json({ stack, passed: false, outside: reasons });
      else ctx.io.out(`Outside the classes ${standingId} pre-approved:\n${reasons.join("\n")}`);
      ctx.io.err(
        `coop: this change is not routine under ${standingId}: it needs a vote (coop propose --stack ${stack} --post). Nothing was written.`,
      );
      return 1;
    }
    const sentences = describeChanges(
      plan.changes,
      runsOf(plan.spec).map((r) => r.split(" ")[0]),
    ).flatMap((x) => x.sentences);
    const at = now.toISOString();
    const record: DecisionDraft = {
      kind: "routine",
      version: 1,
      id: nextDecisionId(gov, stack, "routine"),
      project: gov.project,
      decidedAt: at,
      recordedAt: at,
      summary: sentences.join(" ") || "Routine change.",
      rulesSha256: gov.rulesSha256!,
      stack,
      digest: plan.digest,
      previous: tip.head!.id,
      replaces: tip.lock.digest,
      standing: standingId,
      class: cls,
      changes: changeRecords(plan.changes),
    };
    const r = recordDecision(ctx.root, gov, record, plan.view, stringFlag(ctx, "key"));
    if (ctx.json)
      ctx.io.json({
        stack,
        passed: true,
        decision: r.record.id,
        class: cls,
        digest: plan.digest,
        files: r.files,
        signatures: signatureState(r),
      });
    else for (const line of recordedLines(r, "routine decision", `${cls}, under ${standingId}`)) ctx.io.out(line);
    return 0;
  },
};
