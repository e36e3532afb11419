import { CHANGE_CLASSES, loadGovernance, type ChangeClass } from "../../rulebook";
import type { StandingTerms } from "../../rulebook/loomio/binding";
import { chainOf, effectiveDeadline, emergenciesAwaitingVote } from "../../rulebook/checks/check";
import { emergencySummaries } from "../ledger/emergency-summary";
import { CheckFailed, InputError } from "../../kernel/errors";
import { listStacks, loadStackSpec, resolveStackName } from "../../stacks/load";
import { closest } from "../../kernel/yaml-file";
import type { Command, Context } from "../context";
import { stringFlag } from "../context";
import { costOfPlan, costSummary, runsOf } from "../plan/costing";
import { chainTip, nowIso, requireSound } from "../ledger/record";
import { LoomioClient } from "../loomio/client";
import { loomioConfigFromEnv } from "../loomio/config";
import { makePlan } from "../plan/planning";
import { majorSteps, nextcloudSkips } from "../../rulebook/changes/majors";
import { changeRecords } from "../ledger/change-records";
import { renderProposal, renderStandingProposal, type Proposal } from "../render/proposal";
import { votingRulesOf } from "../render/proposal-rules";

export const command: Command = {
  name: "propose",
  summary: "write the proposal members vote on (plain words, monthly cost, binding line); --post creates it in Loomio",
  usage: `usage: coop propose [--stack NAME] [--post] [--closing-days N] [--json]
       coop propose --standing --classes image-patch [--stacks NAME,…|*] [--until YYYY-MM-DD] [--post]

Turns the change from the approved lock into a proposal in Markdown: what changes, per
service, in plain words; the monthly cost before → after; and the line
  coop-plan: stack=<stack> sha256=<digest>
that ties the vote to exactly this plan (coop decide checks it). When the approved state
holds emergency changes awaiting ratification, the proposal names every one of them (why,
what changed, what it costs) and says that approving it also ratifies them, with the line
  coop-ratifies: stack=<stack> ids=<emergency ids>
(a vote ratifies only the emergency changes it names). With nothing else to change, the
proposal only asks the members to ratify them.

  --post              create the proposal in Loomio (b2 API) and print its address. Needs
                      LOOMIO_URL and LOOMIO_API_KEY (a bot's key, sent only in a header). It
                      goes to the group governance/rules.yaml names (electorate.loomioGroupId);
                      LOOMIO_GROUP_ID, if set, must be that group.
  --closing-days N    how long the vote stays open (default 7)
  --standing          propose a standing decision that pre-approves routine changes instead
  --classes LIST      with --standing: change classes (from governance/rules.yaml standing.classes)
  --stacks LIST       with --standing: stacks it covers, or * for all (default *)
  --until DATE        with --standing: when it ends (default: until revoked)
  --json              print {stack, digest, ratifies?, title, markdown, poll?:{key, url}}`,
  options: {
    post: { type: "boolean" },
    "closing-days": { type: "string" },
    standing: { type: "boolean" },
    classes: { type: "string" },
    stacks: { type: "string" },
    until: { type: "string" },
  },
  async run(ctx) {
    const now = new Date(nowIso(ctx.env));
    const closingDays = parseClosingDays(stringFlag(ctx, "closing-days"));
    let proposal: Proposal;
    let doc: Record<string, unknown>;
    const gov = loadGovernance(ctx.root);
    requireSound(gov);
    const voting = votingRulesOf(gov.rules);
    if (ctx.values.standing) {
      const { terms, descriptions } = standingTermsFromFlags(ctx);
      proposal = renderStandingProposal(coopName(ctx), terms, descriptions, voting);
      doc = { standing: terms };
    } else {
      const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
      const tip = chainTip(gov, stack);
      const plan = await makePlan(ctx.root, stack);
      const cost = costOfPlan(ctx.root, plan, now);
      // Every pending emergency is named: a vote ratifies only what its text named.
      const pending = tip.lock
        ? emergencySummaries(
            chainOf(gov, stack).order,
            tip.lock.resources,
            emergenciesAwaitingVote(gov, stack).map((e) => ({
              id: e.id,
              decision: e.decision,
              ratifyBy: effectiveDeadline(gov.rules, e.decision),
            })),
            cost.table,
          )
        : [];
      if (pending.length === 0 && plan.lock && plan.changes.length === 0) {
        throw new InputError(
          `nothing to propose: the plan of '${stack}' equals the approved lock`,
          "change stacks/<stack>.yaml first; coop plan shows the change",
        );
      }
      refuseNextcloudSkip(plan.changes);
      proposal = renderProposal({
        stack,
        coopName: plan.spec.coop.name,
        digest: plan.digest,
        changes: plan.changes,
        runs: runsOf(plan.spec),
        cost: costSummary(cost),
        voting,
        ratifies: pending.length ? pending : undefined,
      });
      doc = { stack, digest: plan.digest, ...(pending.length ? { ratifies: pending.map((e) => e.id) } : {}) };
    }
    if (!ctx.values.post) {
      if (ctx.json) ctx.io.json({ ...doc, title: proposal.title, markdown: proposal.markdown });
      else ctx.io.out(`# ${proposal.title}\n\n${proposal.markdown}`);
      return 0;
    }
    const config = loomioConfigFromEnv(ctx.env);
    const groupId = proposalGroup(gov.rules.electorate.loomioGroupId, config.groupId);
    const client = new LoomioClient(config, { log: (m) => ctx.io.err(`coop: ${m}`), backoffMs: backoffFromEnv(ctx.env) });
    const closingAt = new Date(now.getTime() + closingDays * 86_400_000).toISOString();
    const res = await client.createPoll({
      group_id: groupId,
      title: proposal.title,
      poll_type: "proposal",
      details: proposal.markdown,
      details_format: "md",
      options: ["agree", "abstain", "disagree", "block"],
      closing_at: closingAt,
      specified_voters_only: false,
      hide_results: "until_closed",
      anonymous: false,
      notify_on_closing_soon: "undecided_voters",
      recipient_audience: "group",
      notify_recipients: true,
    });
    const key = (res.body as { polls?: Array<{ key?: unknown }> })?.polls?.[0]?.key;
    if (typeof key !== "string" || !key)
      throw new InputError("Loomio accepted the proposal but its answer names no poll key", "look for the new poll in the Loomio group");
    const url = client.pollUrl(key);
    if (ctx.json) ctx.io.json({ ...doc, title: proposal.title, markdown: proposal.markdown, poll: { key, url, closingAt } });
    else {
      ctx.io.out(url);
      ctx.io.err(
        `coop: proposal posted; voting closes ${closingAt}. When it has closed: coop decide${doc.stack ? ` --stack ${doc.stack}` : " --standing …"} --poll ${key}`,
      );
    }
    return 0;
  },
};

/**
 * The group a proposal is posted to: the rules' electorate, the only group whose polls count.
 * LOOMIO_GROUP_ID may repeat it but not name another, where the vote could never approve anything.
 */
export function proposalGroup(rulesGroup: number | null, envGroup: number | undefined): number {
  if (rulesGroup === null) {
    throw new InputError(
      "governance/rules.yaml sets no electorate.loomioGroupId, so no poll could approve this proposal",
      "set electorate.loomioGroupId in governance/rules.yaml to the co-op's Loomio group (a change to the bylaws), then run coop propose --post again",
    );
  }
  if (envGroup !== undefined && envGroup !== rulesGroup) {
    throw new InputError(
      `LOOMIO_GROUP_ID is ${envGroup}, but the members vote in group ${rulesGroup} (governance/rules.yaml electorate.loomioGroupId): a poll in group ${envGroup} could never approve this. Nothing was posted`,
      `unset LOOMIO_GROUP_ID (coop posts to group ${rulesGroup}) and run coop propose --post again`,
    );
  }
  return rulesGroup;
}

function parseClosingDays(v: string | undefined): number {
  if (v === undefined) return 7;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 90)
    throw new InputError(`--closing-days must be a whole number of days between 1 and 90, got '${v}'`);
  return Number(v);
}

export function backoffFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  // Lets tests and impatient scripts shorten the retry back-off; Retry-After is honoured regardless.
  const v = env.COOP_LOOMIO_BACKOFF_MS;
  return v && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The co-op's name as its first stack spec gives it (standing proposals name no stack). */
function coopName(ctx: Context): string {
  const stacks = listStacks(ctx.root);
  try {
    return stacks.length ? loadStackSpec(ctx.root, stacks[0]).spec.coop.name : "the co-op";
  } catch {
    return "the co-op";
  }
}

/** Reads --classes/--stacks/--until and checks them against the rules. */
export function standingTermsFromFlags(ctx: Context): { terms: StandingTerms; descriptions: Record<string, string> } {
  const gov = loadGovernance(ctx.root);
  requireSound(gov);
  const raw = stringFlag(ctx, "classes");
  if (!raw) throw new InputError("--standing needs --classes", `e.g. --classes ${CHANGE_CLASSES[0]}`);
  const allowed = Object.keys(gov.rules.standing.classes);
  const classes = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const c of classes) {
    if (!allowed.includes(c)) {
      const guess = closest(c, allowed);
      throw new InputError(
        `the rules allow no standing decision for change class '${c}'`,
        allowed.length
          ? `${guess ? `did you mean '${guess}'? ` : ""}classes in governance/rules.yaml: ${allowed.join(", ")}`
          : "add it under standing.classes in governance/rules.yaml first (a change to the bylaws)",
      );
    }
  }
  const stacks = (stringFlag(ctx, "stacks") ?? "*")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const known = listStacks(ctx.root);
  for (const s of stacks)
    if (s !== "*" && !known.includes(s)) throw new InputError(`there is no stack '${s}'`, `stacks here: ${known.join(", ")}`);
  const untilText = stringFlag(ctx, "until");
  let until: string | null = null;
  if (untilText) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(untilText) || Number.isNaN(Date.parse(`${untilText}T00:00:00Z`)))
      throw new InputError(`--until must be a date such as 2027-01-31, got '${untilText}'`);
    until = `${untilText}T00:00:00.000Z`;
  }
  const descriptions: Record<string, string> = {};
  for (const c of classes) descriptions[c] = gov.rules.standing.classes[c as ChangeClass]?.description ?? "";
  return { terms: { classes: classes as ChangeClass[], stacks: stacks.includes("*") ? ["*"] : stacks.sort(), until }, descriptions };
}

/** Nextcloud's upgrader refuses to skip a major version, so such a plan must not reach a vote. */
export function refuseNextcloudSkip(changes: Parameters<typeof changeRecords>[0]): void {
  const skips = nextcloudSkips(majorSteps(changeRecords(changes)));
  if (skips.length === 0) return;
  const s = skips[0];
  throw new CheckFailed(
    `Nextcloud would move from major version ${s.from} to ${s.to}; it upgrades one major version at a time and never back`,
    `set services.nextcloud.version to the latest ${s.from + 1}.x release first, deploy it, then the next (docs/runbook/upgrade-nextcloud.md)`,
  );
}
