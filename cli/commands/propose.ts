import { now } from "../../kernel/clock";
import { CheckFailed, InputError } from "../../kernel/errors";
import {
  changeRecordsOf,
  changesBetween,
  type Decision,
  type EmergencyState,
  type L,
  processOf,
  withRecords,
  type Evidence,
  majorSteps,
  nextcloudSkips,
  primaryStorageSwitches,
  describeSwitch,
  STORAGE_SWITCH_REMEDIATION,
  requiredMajorsOf,
  type StandingTerms,
} from "../../rulebook";
import { technicalLines } from "../../rulebook/summary/plain-words";
import { resolveStackName } from "../../stacks/load";
import type { Command, Context } from "../context";
import { stringFlag } from "../context";
import { governanceDraft, stackState, standingDraft, voteDraft } from "../ledger/drafts";
import { completed, type Draft, type SoundLedger, soundLedger } from "../ledger/record";
import { loomioClient } from "../loomio/poll-evidence";
import { renderProposal, type Proposal } from "../render/proposal";
import { standingTermsFromFlags, subjectOf } from "./subjects";

export const command: Command = {
  name: "propose",
  summary: "write the proposal members vote on (plain words, monthly cost, binding lines); --post creates it in Loomio",
  usage: `usage: coop propose [--stack NAME | --bylaws | --members | --code | --standing --classes LIST [--stacks LIST|*] [--until DATE]]
                    [--post] [--closing-days N] [--json]

Turns what changed into a proposal in Markdown: for a stack, the change from its approved state
in plain words and the monthly cost before → after (from plan/prices); for --bylaws, --members
or --code, what changes from the version the ledger approved; for --standing, what it
pre-approves. The summary block is exactly what coop decide renders again from the ledger, and
the lines at the end (coop-plan / coop-bylaws / …, coop-summary, coop-major, coop-ratifies) tie
the vote to it: a poll whose text differs approves nothing. When a stack holds emergency changes
awaiting ratification, the proposal names every one of them.

  --post              create the proposal in the co-op's Loomio group (governance/rules.yaml
                      loomio.url and loomio.groupId; the bot's key in LOOMIO_API_KEY, sent only
                      in a header) and print its address
  --closing-days N    how long the vote stays open (default 7)
  --json              print {subject, title, markdown, poll?:{key, url, closingAt}}`,
  options: {
    post: { type: "boolean" },
    "closing-days": { type: "string" },
    bylaws: { type: "boolean" },
    members: { type: "boolean" },
    code: { type: "boolean" },
    standing: { type: "boolean" },
    classes: { type: "string" },
    stacks: { type: "string" },
    until: { type: "string" },
  },
  async run(ctx) {
    const closingDays = parseClosingDays(stringFlag(ctx, "closing-days"));
    const ledger = soundLedger(ctx.root);
    const subject = subjectOf(ctx);
    const { proposal, label, groupId: voters } = await proposalFor(ctx, ledger, subject);
    if (!ctx.values.post) {
      if (ctx.json) ctx.io.json({ subject: label, title: proposal.title, markdown: proposal.markdown });
      else ctx.io.out(`# ${proposal.title}\n\n${proposal.markdown}`);
      return 0;
    }
    const rules = ledger.inForce.rules;
    const client = loomioClient(ctx, rules);
    const groupId = proposalGroup(voters, client.groupId);
    const closingAt = new Date(now().getTime() + closingDays * 86_400_000).toISOString();
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
    if (ctx.json) ctx.io.json({ subject: label, title: proposal.title, markdown: proposal.markdown, poll: { key, url, closingAt } });
    else {
      ctx.io.out(url);
      ctx.io.err(
        `coop: proposal posted; voting closes ${closingAt}. When it has closed: coop decide ${label === subject ? `--${subject}` : `--stack ${label}`} --poll ${key}`,
      );
    }
    return 0;
  },
};

/** A stand-in for the evidence a decision will carry: the summary and binding do not depend on it. */
const PENDING: Evidence = {
  type: "loomio-poll",
  url: "(the vote this proposal asks for)",
  fetchedAt: "2000-01-01T00:00:00.000Z",
  answer: {},
};

async function proposalFor(
  ctx: Context,
  ledger: SoundLedger,
  subject: ReturnType<typeof subjectOf>,
): Promise<{ proposal: Proposal; label: string; groupId: number | null }> {
  if (subject === "stack") {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const state = await stackState(ledger, stack);
    if (state.pending.length === 0 && state.tip.lock && state.tip.lock.digest === state.lock.digest) {
      throw new InputError(
        `nothing to propose: the plan of '${stack}' is the approved state`,
        "change stacks/<stack>.yaml first; coop plan shows the change",
      );
    }
    const skip = nextcloudSkips(majorSteps(changeRecordsOf(changesBetween(state.tip.lock ?? null, state.lock))))[0];
    if (skip) {
      throw new CheckFailed(
        `Nextcloud would move from major version ${skip.from} to ${skip.to}; it upgrades one major version at a time and never back`,
        `set services.nextcloud.version to the latest ${skip.from + 1}.x release first, deploy it, then the next (docs/runbook/upgrade-nextcloud.md)`,
      );
    }
    const storageSwitch = primaryStorageSwitches(state.tip.lock ?? null, state.lock)[0];
    if (storageSwitch) throw new CheckFailed(describeSwitch(storageSwitch), STORAGE_SWITCH_REMEDIATION);
    const draft = voteDraft(ledger, state, PENDING, now().toISOString(), state.pending);
    const emergencies: EmergencyState[] = state.pending.map((id) => {
      const e = ledger.byId.get(id)!.decision as Extract<Decision, { kind: "emergency" }>;
      return {
        id,
        reason: e.reason,
        recordedAt: e.recordedAt,
        before: e.replaces ? ledger.objects.get("lock", e.replaces) : null,
        after: ledger.objects.get("lock", e.digest),
      };
    });
    const before = state.tip.lock ?? null;
    const majors = requiredMajorsOf({ stack, before, after: state.lock, emergencies });
    const technical = technicalLines(changesBetween(before, state.lock));
    return { ...render(ledger, draft, { stack, coopName: state.plan.spec.coop.name, majors, technical }), label: stack };
  }
  if (subject === "standing") {
    const terms: StandingTerms = standingTermsFromFlags(ctx, ledger);
    return { ...render(ledger, standingDraft(ledger, terms, PENDING, now().toISOString()), {}), label: "standing" };
  }
  return { ...render(ledger, governanceDraft(ledger, subject, PENDING, undefined), {}), label: subject };
}

function render(
  ledger: SoundLedger,
  draft: Draft,
  about: { stack?: string; coopName?: string; majors?: string[]; technical?: string[] },
): { proposal: Proposal; groupId: number | null } {
  const record = completed(ledger, draft);
  // The rulebook says which process will judge the vote: its group, poll rules and signatures.
  const candidate = withRecords(ledger, [record], draft.objects as never);
  const p = processOf(candidate, candidate.byId.get(record.id) as L<Decision>);
  if (!("ok" in p) || !p.ok.poll)
    throw new CheckFailed(
      `this change cannot be put to a vote: ${"findings" in p ? (p.findings[0]?.message ?? "its process is unknown") : "no poll decides it"}`,
      "coop verify shows why",
    );
  const { quorum, threshold, blocksAllowed, groupId } = p.ok.poll;
  return {
    proposal: renderProposal({
      record,
      voting: { quorum, threshold, blocksAllowed },
      recorders: p.ok.requirement,
      area: p.ok.area,
      ...about,
    }),
    groupId,
  };
}

/**
 * The group a proposal is posted to: the bylaws' group, the only one whose polls count.
 * LOOMIO_GROUP_ID may repeat it but not name another, where the vote could never approve anything.
 */
export function proposalGroup(rulesGroup: number | null, envGroup: number | undefined): number {
  if (rulesGroup === null) {
    throw new InputError(
      "governance/rules.yaml sets no loomio.groupId, so no poll could approve this proposal",
      "set loomio.groupId in governance/rules.yaml to the co-op's Loomio group (a bylaws change), then run coop propose --post again",
    );
  }
  if (envGroup !== undefined && envGroup !== rulesGroup) {
    throw new InputError(
      `LOOMIO_GROUP_ID is ${envGroup}, but the members vote in group ${rulesGroup} (governance/rules.yaml loomio.groupId): a poll in group ${envGroup} could never approve this. Nothing was posted`,
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
