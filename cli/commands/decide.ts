import { loadGovernance, pollFactsFromResponse, MalformedPoll, evaluatePoll, type Governance, type LoadedDecision } from "../../rulebook";
import type { Expectation } from "../../rulebook/loomio/binding";
import type { Decision, DecisionDraft, Evidence, PollEvidence } from "../../rulebook/records/decision";
import { appliedRulesOf, type AppliedRules, type PollEvaluation } from "../../rulebook/loomio/poll-rules";
import type { PollFacts } from "../../rulebook/loomio/poll-facts";
import { InputError } from "../../kernel/errors";
import { resolveStackName } from "../../stacks/load";
import type { Command, Context } from "../context";
import { stringFlag } from "../context";
import {
  chainTip,
  nextDecisionId,
  nowIso,
  recordDecision,
  recordedLines,
  requireSound,
  signatureState,
  type writeDecision,
} from "../ledger/record";
import { LoomioClient, LoomioError } from "../loomio/client";
import { loomioConfigFromEnv } from "../loomio/config";
import { parsePollRef } from "../loomio/poll-ref";
import { makePlan } from "../plan/planning";
import { describeChanges } from "../render/plain-words";
import { backoffFromEnv, standingTermsFromFlags } from "./propose";
import { runsOf } from "../plan/costing";
import { changeRecords } from "../ledger/change-records";
import { detailsText, ratifiedNamesFor, ratifiesBindingLine } from "../../rulebook/loomio/binding";
import { emergenciesAwaitingVote } from "../../rulebook/checks/check";
import type { EmergencyDecision } from "../../rulebook/records/decision";
import { findMajorLines, majorSteps, nextcloudSkips, requiredMajorLines, unnamedMajors } from "../../rulebook/changes/majors";

export const command: Command = {
  name: "decide",
  summary: "record a closed Loomio poll (or a meeting's decision) that approves the plan; writes the decision and the new lock",
  usage: `usage: coop decide [--stack NAME] --poll KEY_OR_URL [--key PATH] [--json]
       coop decide [--stack NAME] --manual --meeting TEXT --minutes REF [--decided-on DATE] [--key PATH]
       coop decide --standing --classes LIST [--stacks LIST|*] [--until DATE] (--poll … | --manual …)

Fetches the poll from Loomio (GET /api/b2/polls/<key>) and checks it against
governance/rules.yaml: closed and not discarded, a supported type, in the co-op's group and
open to all of it, its details carry 'coop-plan: stack=<stack> sha256=<digest>' with the
digest of the plan rendered now, quorum, threshold and blocks met, and closed within the
allowed number of days. Only then does it write governance/decisions/<id>.yaml and the new
governance/approved/<stack>.lock.json, together. Otherwise it names the rule that failed and
writes nothing (exit 1); so does a poll that a decision already recorded (a poll approves
one decision). Loomio errors and malformed answers exit 2.

A decision counts once it has the signatures the rules require: add them with coop sign.

  --poll KEY_OR_URL   the poll's key or address (LOOMIO_URL, LOOMIO_API_KEY); the record keeps
                      the poll's plain address (LOOMIO_URL/p/<key>)
  --manual            record a decision taken outside Loomio (e.g. a general assembly); it
                      needs the signatures the rules set for manual decisions
  --meeting TEXT      with --manual: which meeting decided
  --minutes REF       with --manual: where the minutes are
  --decided-on DATE   with --manual: the meeting's date (default: today)
  --major "F A -> B"  with --manual: a major upgrade the meeting approved, e.g. "mastodon 4 -> 5"
                      (Mastodon and Postgres major upgrades must be named by the decision)
  --ratifies IDS      with --manual: the emergency changes the meeting ratified (comma-separated)

While the stack holds emergency changes awaiting ratification, the poll must name every one of
them (the 'coop-ratifies: stack=<stack> ids=<ids>' line coop propose writes): the decision
records them under ratifies. A poll that does not name them is refused (exit 1).
  --standing …        record a standing decision (see coop propose --help)
  --key PATH          also sign the decision with this SSH key (ssh-keygen -Y sign)
  --json              print {stack, passed, decision?, kind?, digest, files?, outcome:[{rule,passed,detail}]}`,
  options: {
    poll: { type: "string" },
    manual: { type: "boolean" },
    meeting: { type: "string" },
    minutes: { type: "string" },
    "decided-on": { type: "string" },
    key: { type: "string" },
    standing: { type: "boolean" },
    classes: { type: "string" },
    stacks: { type: "string" },
    until: { type: "string" },
    major: { type: "string", multiple: true },
    ratifies: { type: "string" },
  },
  async run(ctx) {
    const poll = stringFlag(ctx, "poll");
    const manual = ctx.values.manual === true;
    if (!!poll === manual)
      throw new InputError(
        poll
          ? "--poll and --manual exclude each other"
          : "say how the decision was taken: --poll KEY_OR_URL, or --manual --meeting … --minutes …",
        "see coop decide --help",
      );
    const gov = loadGovernance(ctx.root);
    requireSound(gov);
    const now = new Date(nowIso(ctx.env));
    if (ctx.values.standing) return decideStanding(ctx, gov, now);
    return decideChange(ctx, gov, now);
  },
};

type SoundGov = Governance & { rules: NonNullable<Governance["rules"]>; members: NonNullable<Governance["members"]>; project: string };

interface Fetched {
  readonly facts: PollFacts;
  readonly url: string;
  readonly sha256: string;
}

interface PollSource {
  readonly client: LoomioClient;
  readonly key: string;
}

/** Checks the Loomio settings and the poll reference before any slow work. */
function pollSource(ctx: Context, arg: string): PollSource {
  const ref = parsePollRef(arg);
  const config = loomioConfigFromEnv(ctx.env, { pollOrigin: ref.origin });
  const client = new LoomioClient(config, { log: (m) => ctx.io.err(`coop: ${m}`), backoffMs: backoffFromEnv(ctx.env) });
  return { client, key: ref.key };
}

async function fetchPoll(source: PollSource): Promise<Fetched> {
  const { client, key } = source;
  const res = await client.getPoll(key);
  let facts: PollFacts;
  try {
    facts = pollFactsFromResponse(res.body, key);
  } catch (e) {
    if (e instanceof MalformedPoll)
      throw new LoomioError(
        `Loomio's answer for poll '${key}' cannot be used: ${client.scrub(e.message)}`,
        "check LOOMIO_URL points at the co-op's Loomio instance",
      );
    throw e;
  }
  // The address as typed may carry anything (a title slug, a query); the record keeps the canonical one.
  return { facts, url: client.pollUrl(facts.key), sha256: res.sha256 };
}

/** The decision that already recorded this poll, by key or by id. */
function recordedBy(gov: Governance, poll: { key: string; pollId?: number }): LoadedDecision | undefined {
  return gov.decisions.find((d) => {
    const ev = "evidence" in d.decision ? d.decision.evidence : undefined;
    return ev?.type === "loomio-poll" && (ev.key === poll.key || String(ev.pollId) === poll.key || ev.pollId === poll.pollId);
  });
}

/** A poll approves one decision: recorded again it would approve a state nobody voted on (e.g. a roll-back). */
function refuseReused(ctx: Context, key: string, by: LoadedDecision, expected: Expectation, label: Record<string, unknown>): number {
  const detail = `poll ${key} was already recorded by decision ${by.id}`;
  if (ctx.json) ctx.io.json({ ...label, passed: false, poll: key, failed: [{ rule: "unused", passed: false, detail }] });
  const again =
    expected.kind === "plan"
      ? `coop propose --stack ${expected.stack} --post, then coop decide --stack ${expected.stack} --poll <new key>`
      : "coop propose --standing … --post, then coop decide --standing … --poll <new key>";
  ctx.io.err(
    `coop: ${detail}; a poll approves one decision, so it cannot approve this one. Nothing was written.\n  hint: let the members vote on this: ${again}`,
  );
  return 1;
}

function pollEvidence(f: Fetched, applied: AppliedRules, evaluation: PollEvaluation, now: Date, expected: Expectation): PollEvidence {
  const { facts } = f;
  // The emergency changes the poll's text named as ratified, kept so coop verify can check the record against them offline.
  const ratifies = expected.kind === "plan" ? ratifiedNamesFor(facts.details, expected.stack) : [];
  return {
    type: "loomio-poll",
    url: f.url,
    key: facts.key,
    pollId: facts.pollId,
    groupId: facts.groupId,
    title: facts.title,
    pollType: facts.pollType,
    closingAt: facts.closingAt,
    closedAt: facts.closedAt,
    discardedAt: facts.discardedAt,
    specifiedVotersOnly: facts.specifiedVotersOnly,
    binding: evaluation.binding,
    majors: findMajorLines(detailsText(facts.details)),
    ...(ratifies.length ? { ratifies: ratifiesBindingLine((expected as { stack: string }).stack, ratifies) } : {}),
    votersCount: facts.votersCount,
    decidedVotersCount: facts.decidedVotersCount,
    counts: facts.counts ?? { agree: 0, abstain: 0, disagree: 0, block: 0 },
    responseSha256: f.sha256,
    fetchedAt: now.toISOString(),
    applied: { ...applied, types: [...applied.types] },
    outcome: evaluation.results.map((r) => ({ rule: r.rule, passed: r.passed, detail: r.detail })),
  };
}

/** Evaluates a poll; on failure prints the rules and returns exit 1 without writing anything. */
async function pollDecision(
  ctx: Context,
  gov: SoundGov,
  source: PollSource,
  expected: Expectation,
  now: Date,
  label: Record<string, unknown>,
): Promise<{ evidence: PollEvidence; decidedAt: string } | number> {
  const known = recordedBy(gov, { key: source.key });
  if (known) return refuseReused(ctx, source.key, known, expected, label);
  const fetched = await fetchPoll(source);
  const again = recordedBy(gov, fetched.facts);
  if (again) return refuseReused(ctx, fetched.facts.key, again, expected, label);
  const applied = appliedRulesOf(gov.rules);
  const evaluation = evaluatePoll(fetched.facts, applied, expected, now);
  if (!evaluation.passed) {
    const names = evaluation.failed.map((r) => r.rule).join(", ");
    if (ctx.json) ctx.io.json({ ...label, passed: false, poll: fetched.facts.key, failed: evaluation.failed, outcome: evaluation.results });
    else ctx.io.out(renderOutcome(fetched.facts.key, evaluation));
    ctx.io.err(
      `coop: poll ${fetched.facts.key} does not approve this: rule ${names} failed (${evaluation.failed[0].detail}). Nothing was written.`,
    );
    return 1;
  }
  return { evidence: pollEvidence(fetched, applied, evaluation, now, expected), decidedAt: fetched.facts.closedAt! };
}

function renderOutcome(key: string, e: PollEvaluation): string {
  return [`Poll ${key}:`, ...e.results.map((r) => `  ${r.passed ? "✓" : "✗"} ${r.rule.padEnd(13)} ${r.detail}`)].join("\n");
}

function meetingEvidence(ctx: Context, now: Date): { evidence: Evidence; decidedAt: string } {
  const meeting = stringFlag(ctx, "meeting");
  const minutes = stringFlag(ctx, "minutes");
  if (!meeting || !minutes)
    throw new InputError(
      "--manual needs --meeting (which meeting decided) and --minutes (where its minutes are)",
      'e.g. --meeting "General assembly 2026-03-01" --minutes docs/minutes/2026-03-01.md',
    );
  const on = stringFlag(ctx, "decided-on");
  let decidedAt = now.toISOString();
  if (on) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(on) || Number.isNaN(Date.parse(`${on}T00:00:00Z`)))
      throw new InputError(`--decided-on must be a date such as 2026-03-01, got '${on}'`);
    decidedAt = new Date(`${on}T00:00:00Z`).toISOString();
    if (Date.parse(decidedAt) > now.getTime()) throw new InputError("--decided-on is in the future");
  }
  const majors = findMajorLines(((ctx.values.major as string[] | undefined) ?? []).map((m) => `coop-major: ${m}`).join("\n"));
  return { evidence: { type: "meeting", meeting, minutes, ...(majors.length ? { majors } : {}) }, decidedAt };
}

/** Signs with --key (if given), writes, and reports. */
function finish(
  ctx: Context,
  gov: SoundGov,
  record: DecisionDraft,
  view: Parameters<typeof writeDecision>[2],
  extra: Record<string, unknown>,
): number {
  const r = recordDecision(ctx.root, gov, record, view, stringFlag(ctx, "key"));
  if (ctx.json)
    ctx.io.json({ ...extra, passed: true, decision: r.record.id, kind: r.record.kind, files: r.files, signatures: signatureState(r) });
  else for (const line of recordedLines(r, `${r.record.kind} decision`)) ctx.io.out(line);
  return 0;
}

async function decideChange(ctx: Context, gov: SoundGov, now: Date): Promise<number> {
  const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
  const tip = chainTip(gov, stack);
  const poll = stringFlag(ctx, "poll");
  const source = poll ? pollSource(ctx, poll) : undefined;
  if (!source) meetingEvidence(ctx, now);
  const plan = await makePlan(ctx.root, stack);
  const pending = emergenciesAwaitingVote(gov, stack);
  const ratifyOnly = pending.length > 0 && tip.lock !== undefined && plan.digest === tip.lock.digest;
  if (!ratifyOnly && tip.lock && plan.digest === tip.lock.digest) {
    throw new InputError(
      `nothing to decide: the plan of '${stack}' already equals the approved lock`,
      "coop plan shows the change; change the spec, propose it, then decide",
    );
  }
  const label = { stack, digest: plan.digest };
  const expected: Expectation = { kind: "plan", stack, digest: plan.digest };
  let evidence: Evidence;
  let decidedAt: string;
  if (source) {
    const r = await pollDecision(ctx, gov, source, expected, now, label);
    if (typeof r === "number") return r;
    ({ evidence, decidedAt } = r);
  } else {
    ({ evidence, decidedAt } = meetingEvidence(ctx, now));
  }
  const unnamed = unnamedEmergencies(
    pending,
    evidence.type === "loomio-poll" ? ratifiedNamesFor(evidence.ratifies, stack) : manualRatifies(ctx),
  );
  if (unnamed) return refuseUnnamed(ctx, stack, unnamed, evidence, label);
  const ratified = pending.map((e) => e.id);
  const common = { version: 1 as const, project: gov.project, decidedAt, recordedAt: now.toISOString(), rulesSha256: gov.rulesSha256! };
  if (ratifyOnly) {
    const summary =
      pending.length === 1
        ? `Ratifies emergency change ${pending[0].id}: ${pending[0].decision.reason}`
        : `Ratifies emergency changes ${pending.map((e) => `${e.id} (${e.decision.reason})`).join(", ")}`;
    // One name stays a plain id, as ratifications have always recorded it.
    const record: DecisionDraft = {
      kind: "ratification",
      id: nextDecisionId(gov, stack, "ratification"),
      ...common,
      summary,
      stack,
      ratifies: ratified.length === 1 ? ratified[0] : ratified,
      digest: plan.digest,
      evidence,
    };
    return finish(ctx, gov, record, undefined, label);
  }
  const changes = changeRecords(plan.changes);
  const refused = majorProblems(changes, evidence);
  if (refused) {
    if (ctx.json) ctx.io.json({ ...label, passed: false, failed: [{ rule: refused.rule, passed: false, detail: refused.detail }] });
    ctx.io.err(
      `coop: this decision cannot approve the plan: rule ${refused.rule} failed (${refused.detail}). Nothing was written.\n  hint: ${refused.hint}`,
    );
    return 1;
  }
  const sentences = describeChanges(
    plan.changes,
    runsOf(plan.spec).map((r) => r.split(" ")[0]),
  ).flatMap((s) => s.sentences);
  const summary = tip.lock ? sentences.join(" ") || "Technical settings change." : `First approved state of stack ${stack}.`;
  const record: DecisionDraft = {
    kind: "change",
    id: nextDecisionId(gov, stack, "change"),
    ...common,
    summary,
    stack,
    digest: plan.digest,
    previous: tip.head?.id ?? null,
    replaces: tip.lock?.digest ?? null,
    evidence,
    changes,
    ...(ratified.length ? { ratifies: ratified } : {}),
  };
  return finish(ctx, gov, record, plan.view, label);
}

async function decideStanding(ctx: Context, gov: SoundGov, now: Date): Promise<number> {
  const { terms } = standingTermsFromFlags(ctx);
  const poll = stringFlag(ctx, "poll");
  let evidence: Evidence;
  let decidedAt: string;
  const label = { standing: terms };
  if (poll) {
    const r = await pollDecision(ctx, gov, pollSource(ctx, poll), { kind: "standing", terms }, now, label);
    if (typeof r === "number") return r;
    ({ evidence, decidedAt } = r);
  } else {
    ({ evidence, decidedAt } = meetingEvidence(ctx, now));
  }
  const record: DecisionDraft = {
    kind: "standing",
    id: nextDecisionId(gov, "standing", terms.classes.join("-")),
    version: 1,
    project: gov.project,
    decidedAt,
    recordedAt: now.toISOString(),
    summary: `Pre-approves ${terms.classes.join(", ")} on ${terms.stacks.includes("*") ? "every stack" : terms.stacks.join(", ")}${terms.until ? ` until ${terms.until.slice(0, 10)}` : ""}.`,
    rulesSha256: gov.rulesSha256!,
    terms: { classes: [...terms.classes] as StandingTermsClasses, stacks: [...terms.stacks], until: terms.until },
    evidence,
  };
  return finish(ctx, gov, record, undefined, label);
}

/** The pending emergencies a decision's vote did not name; undefined when it named them all. */
export function unnamedEmergencies<E extends { id: string }>(pending: readonly E[], named: readonly string[]): E[] | undefined {
  const missing = pending.filter((e) => !named.includes(e.id));
  return missing.length ? missing : undefined;
}

/** --ratifies ID,…: the emergency changes a meeting ratified, as its minutes say. */
function manualRatifies(ctx: Context): string[] {
  return (stringFlag(ctx, "ratifies") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * A vote ratifies only the emergency changes its text named. Recording one that did not name a
 * pending emergency would leave the state approved with that change still unratified, and the
 * members would have approved a state without knowing what it holds: refuse, write nothing.
 */
function refuseUnnamed(
  ctx: Context,
  stack: string,
  unnamed: ReadonlyArray<{ id: string; decision: EmergencyDecision }>,
  evidence: Evidence,
  label: Record<string, unknown>,
): number {
  const list = unnamed.map((e) => `${e.id} (${e.decision.reason}, recorded ${e.decision.recordedAt.slice(0, 10)})`).join(", ");
  const by = evidence.type === "loomio-poll" ? `poll ${evidence.key} does not name` : "the meeting's decision does not name (--ratifies)";
  const detail = `${by} the emergency change${unnamed.length === 1 ? "" : "s"} awaiting ratification on '${stack}': ${list}`;
  if (ctx.json) ctx.io.json({ ...label, passed: false, failed: [{ rule: "ratifies-named", passed: false, detail }] });
  const hint =
    evidence.type === "loomio-poll"
      ? `let the members vote on a proposal that names ${unnamed.length === 1 ? "it" : "them"}: coop propose --stack ${stack} --post (it adds the coop-ratifies line), then coop decide --stack ${stack} --poll <new key>`
      : `if the meeting ratified ${unnamed.length === 1 ? "it" : "them"}, record that with --ratifies ${unnamed.map((e) => e.id).join(",")}; otherwise the members vote on it: coop propose --stack ${stack} --post`;
  ctx.io.err(
    `coop: ${detail}. A vote ratifies only the emergency changes it names, so this one cannot approve a new state of '${stack}' while they await ratification. Nothing was written.\n  hint: ${hint}`,
  );
  return 1;
}

type StandingTermsClasses = Extract<Decision, { kind: "standing" }>["terms"]["classes"];

/**
 * The bylaws' rules on major upgrades, checked before anything is written: Nextcloud never
 * skips a major version, and a Mastodon or Postgres major upgrade must be named by the
 * decision (the proposal's coop-major lines, or --major for a meeting).
 */
function majorProblems(
  changes: ReturnType<typeof changeRecords>,
  evidence: Evidence,
): { rule: string; detail: string; hint: string } | undefined {
  const steps = majorSteps(changes);
  const skip = nextcloudSkips(steps)[0];
  if (skip) {
    return {
      rule: "nextcloud-major-step",
      detail: `Nextcloud would move from major version ${skip.from} to ${skip.to}`,
      hint: "upgrade one major version at a time (docs/runbook/upgrade-nextcloud.md)",
    };
  }
  const missing = unnamedMajors(steps, evidence.majors ?? []);
  if (missing.length > 0) {
    const lines = requiredMajorLines(missing);
    return {
      rule: "major-named",
      detail: `the decision does not name ${lines.map((l) => `'${l}'`).join(", ")}`,
      hint:
        evidence.type === "meeting"
          ? `record the meeting's approval with ${lines.map((l) => `--major "${l.slice("coop-major: ".length)}"`).join(" ")}`
          : "propose again with coop propose --post (it adds the coop-major lines) and let the members vote on that poll",
    };
  }
  return undefined;
}
