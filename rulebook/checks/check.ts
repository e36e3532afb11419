/**
 * The checks over the co-op's record: is a stack's approved lock backed by a valid decision
 * (the policy pack's question), and is the whole ledger sound (`coop verify`'s question).
 *
 * Two principles:
 * - Decisions are judged by the rules recorded in them (a poll that passed under last year's
 *   bylaws stays passed), except that every decision the approved state rests on today (the
 *   stack's decisions since the last vote on its whole state, the standing decisions they cite,
 *   the ratifications of its emergency changes) must also carry the signatures today's rules
 *   require: signatures are cheap to add, the bar for deploying is the bylaws in force, and a
 *   record cannot lower its own bar.
 * - Nothing is trusted because a field says so: outcomes are recomputed from the recorded
 *   counts, routine changes re-classified from the recorded changes, chains followed by id and
 *   digest.
 */
import type { Lock } from "../../plan/lock";
import { checkChangeClass } from "../changes/change-classes";
import { findPlanBindings, ratifiedNamesFor, type Expectation } from "../loomio/binding";
import {
  isLockDecision,
  ratifiedIds,
  type ChangeRecord,
  type Decision,
  type EmergencyDecision,
  type LockDecision,
  type PollEvidence,
  type StandingDecision,
} from "../records/decision";
import { majorSteps, nextcloudSkips, requiredMajorLines, unnamedMajors } from "../changes/majors";
import type { Finding, FindingCode } from "../findings";
import type { Governance, LoadedDecision } from "../ledger/load";
import { appliedDifferences, appliedRulesOf, evaluatePoll, type PollRule } from "../loomio/poll-rules";
import type { Rules } from "../records/rules";
import { checkSignatures, requirementFor, sameRequirement } from "../signatures/signatures";

const DAY_MS = 86_400_000;

const RULE_CODES: Record<PollRule, FindingCode> = {
  closed: "poll-not-closed",
  "not-discarded": "poll-discarded",
  "poll-type": "poll-type",
  group: "poll-group",
  electorate: "poll-electorate",
  binding: "poll-binding",
  quorum: "poll-quorum",
  threshold: "poll-threshold",
  blocks: "poll-blocks",
  age: "decision-stale",
};

type L<D extends Decision = Decision> = LoadedDecision & { readonly decision: D };

function base(d: LoadedDecision): Pick<Finding, "file" | "decision" | "stack"> {
  return { file: d.file, decision: d.id, stack: "stack" in d.decision ? d.decision.stack : undefined };
}

function expectationOf(d: Decision): Expectation | undefined {
  if (d.kind === "change" || d.kind === "ratification") return { kind: "plan", stack: d.stack, digest: d.digest };
  if (d.kind === "standing") return { kind: "standing", terms: d.terms };
  return undefined;
}

/** Where the co-op can be asked to vote again on what a decision approved. */
function voteAgain(dec: Decision): string {
  return "stack" in dec
    ? `coop propose --stack ${dec.stack} --post, then coop decide --stack ${dec.stack} --poll <key>`
    : "coop propose --standing … --post, then coop decide --standing … --poll <key>";
}

/**
 * Re-evaluates recorded poll evidence offline, at the time it was recorded. The parameters it
 * was evaluated under are the record's own, but a record naming the rules in force must have
 * used their values: otherwise a record could name today's bylaws and apply laxer ones.
 */
export function evidenceFindings(gov: Governance, d: LoadedDecision): Finding[] {
  const dec = d.decision;
  if (!("evidence" in dec) || dec.evidence.type !== "loomio-poll") return [];
  const ev: PollEvidence = dec.evidence;
  const expected = expectationOf(dec)!;
  const mismatch = gov.rules && dec.rulesSha256 === gov.rulesSha256 ? appliedDifferences(ev.applied, appliedRulesOf(gov.rules)) : [];
  const result = evaluatePoll({ ...ev, details: undefined, counts: ev.counts }, ev.applied, expected, new Date(dec.recordedAt));
  const findings: Finding[] = [];
  if (mismatch.length > 0) {
    findings.push({
      ...base(d),
      field: "evidence.applied",
      code: "poll-rules-mismatch",
      level: "error",
      message: `poll ${ev.key} was evaluated under ${mismatch.join(", ")}, yet the record names the rules in force (rulesSha256 ${dec.rulesSha256.slice(0, 12)}…)`,
      remediation: `restore the record from git; coop decide evaluates a poll under governance/rules.yaml, so let the members vote again: ${voteAgain(dec)}`,
    });
  }
  for (const f of result.failed) {
    let code = RULE_CODES[f.rule];
    if (f.rule === "binding" && expected.kind === "plan" && findPlanBindings(ev.binding).some((b) => b.stack === expected.stack))
      code = "digest-mismatch";
    findings.push({
      ...base(d),
      field: "evidence",
      code,
      level: "error",
      message: `poll ${ev.key}: ${f.detail} (rule ${f.rule})`,
      remediation:
        "a decision needs a poll that passes every rule: propose the change again (coop propose --post) and record the new poll (coop decide)",
    });
  }
  const recordedFail = ev.outcome.filter((o) => !o.passed);
  const recomputed = new Map(result.results.map((r) => [r.rule as string, r.passed]));
  const disagree = ev.outcome.filter((o) => recomputed.has(o.rule) && recomputed.get(o.rule) !== o.passed);
  if (recordedFail.length > 0 || disagree.length > 0) {
    findings.push({
      ...base(d),
      field: "evidence.outcome",
      code: "poll-outcome",
      level: "error",
      message: `the recorded outcome (${[...recordedFail, ...disagree].map((o) => `${o.rule}: ${o.passed ? "passed" : "failed"}`).join(", ")}) does not match a passing evaluation of the recorded counts`,
      remediation: "the record was edited; restore it from git",
    });
  }
  if (ev.closedAt !== null && dec.decidedAt !== ev.closedAt) {
    findings.push({
      ...base(d),
      field: "decidedAt",
      code: "poll-outcome",
      level: "error",
      message: `decidedAt (${dec.decidedAt}) is not the poll's closing time (${ev.closedAt})`,
      remediation: "the record was edited; restore it from git",
    });
  }
  return findings;
}

const pollIndexCache = new WeakMap<Governance, Map<string, LoadedDecision>>();

/** The first decision (by recording time) to record each poll, by key and by id. */
function pollFirstUses(gov: Governance): Map<string, LoadedDecision> {
  let index = pollIndexCache.get(gov);
  if (index) return index;
  index = new Map();
  const polled = gov.decisions.filter((d) => "evidence" in d.decision && d.decision.evidence.type === "loomio-poll");
  polled.sort((a, b) => Date.parse(a.decision.recordedAt) - Date.parse(b.decision.recordedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const d of polled) {
    const ev = (d.decision as { evidence: PollEvidence }).evidence;
    for (const k of [`key:${ev.key}`, `id:${ev.pollId}`]) if (!index.has(k)) index.set(k, d);
  }
  pollIndexCache.set(gov, index);
  return index;
}

/**
 * A poll approves one decision. Recorded again, it would let an old vote approve a state the
 * members have since replaced (a roll-back nobody voted on).
 */
function pollReuseFindings(gov: Governance, d: LoadedDecision): Finding[] {
  const dec = d.decision;
  if (!("evidence" in dec) || dec.evidence.type !== "loomio-poll") return [];
  const ev = dec.evidence;
  const index = pollFirstUses(gov);
  const first = [index.get(`key:${ev.key}`), index.get(`id:${ev.pollId}`)].find((x) => x !== undefined && x !== d);
  if (!first) return [];
  return [
    {
      ...base(d),
      field: "evidence",
      code: "poll-reused",
      level: "error",
      message: `poll ${ev.key} (id ${ev.pollId}) was already recorded by '${first.id}'; a poll approves one decision, so this one has no vote of its own`,
      remediation: `the members vote on this state: ${voteAgain(dec)}`,
    },
  ];
}

/**
 * An emergency may wait for its ratification at most the days the rules allow. A later
 * `ratifyBy` would let the admins' own signatures stand in for a vote indefinitely.
 */
function deadlineFindings(rules: Rules, d: L<EmergencyDecision>): Finding[] {
  const dec = d.decision;
  const allowed = rules.emergency.ratificationDays;
  const days = (Date.parse(dec.ratifyBy) - Date.parse(dec.recordedAt)) / DAY_MS;
  if (days <= allowed) return [];
  return [
    {
      ...base(d),
      field: "ratifyBy",
      code: "emergency-deadline",
      level: "error",
      message: `its ratification deadline (${dec.ratifyBy}) is ${Number(days.toFixed(1))} days after it was recorded (${dec.recordedAt}); the rules allow at most ${allowed} days (emergency.ratificationDays)`,
      remediation: `coop emergency sets the deadline the rules allow, so the record was edited: restore it from git, and let the members ratify the change: ${voteAgain(dec)}`,
    },
  ];
}

const decisionCache = new WeakMap<LoadedDecision, Finding[]>();

/**
 * Everything that can be said about one decision on its own terms: signatures against the
 * requirement recorded in it, its evidence, and its kind's links (standing, ratified emergency).
 */
export function decisionFindings(gov: Governance, d: LoadedDecision): Finding[] {
  const hit = decisionCache.get(d);
  if (hit) return hit;
  decisionCache.set(d, []); // guards against cycles between decisions
  const dec = d.decision;
  const findings: Finding[] = [];
  findings.push(...checkSignatures(gov, d, dec.requires, "the rules when it was recorded").findings);
  findings.push(...evidenceFindings(gov, d));
  findings.push(...pollReuseFindings(gov, d));
  if (dec.kind === "routine") findings.push(...routineFindings(gov, d as L<Extract<Decision, { kind: "routine" }>>));
  if (dec.kind === "change" || dec.kind === "routine" || dec.kind === "emergency")
    findings.push(...majorFindings(d, dec.changes, dec.kind === "change" ? (dec.evidence.majors ?? []) : []));
  if (dec.kind === "ratification" || dec.kind === "change") findings.push(...ratifiesFindings(gov, d));
  if (dec.kind === "emergency" && Date.parse(dec.ratifyBy) <= Date.parse(dec.recordedAt)) {
    findings.push({
      ...base(d),
      field: "ratifyBy",
      code: "emergency-overdue",
      level: "error",
      message: "its ratification deadline is not after the time it was recorded",
      remediation: "the record was edited; restore it from git",
    });
  }
  // Rules recorded under other bylaws are unknown here; emergencyFindings bounds those still pending.
  if (dec.kind === "emergency" && gov.rules && dec.rulesSha256 === gov.rulesSha256)
    findings.push(...deadlineFindings(gov.rules, d as L<EmergencyDecision>));
  decisionCache.set(d, findings);
  return findings;
}

/**
 * The signatures the rules in force require of a decision, beside those it recorded: a record
 * sets its own `requires`, so on its own it could ask for less than the bylaws do.
 */
export function inForceFindings(gov: Governance, d: LoadedDecision): Finding[] {
  if (!gov.rules) return [];
  const now = requirementFor(gov.rules, d.decision);
  if (!now) {
    return [
      {
        ...base(d),
        code: "standing-scope",
        level: "error",
        message: `the rules in force no longer list the change class '${(d.decision as { class?: string }).class}'`,
        remediation: `this state needs a vote: ${voteAgain(d.decision)}`,
      },
    ];
  }
  if (sameRequirement(now, d.decision.requires)) return [];
  return checkSignatures(gov, d, now, "the rules in force").findings.filter(
    (f) => f.code === "signatures-insufficient" || f.code === "signature-wrong-role",
  );
}

/** decisionFindings and inForceFindings: what a decision the approved state rests on must pass. */
export function decisionFindingsInForce(gov: Governance, d: LoadedDecision): Finding[] {
  return [...decisionFindings(gov, d), ...inForceFindings(gov, d)];
}

/**
 * The bylaws' rules on major upgrades, over what a decision recorded: Nextcloud never skips a
 * major version; a Mastodon or Postgres major upgrade is named by the decision that approves
 * it (routine decisions cannot name one; an emergency's ratification poll names it).
 */
function majorFindings(d: LoadedDecision, changes: readonly ChangeRecord[], named: readonly string[]): Finding[] {
  const steps = majorSteps(changes);
  const findings: Finding[] = [];
  for (const s of nextcloudSkips(steps)) {
    findings.push({
      ...base(d),
      field: "changes",
      code: "nextcloud-major-step",
      level: "error",
      message: `${s.urn}: Nextcloud moves from major version ${s.from} to ${s.to}; it upgrades one major version at a time`,
      remediation: "upgrade one major version at a time (docs/runbook/upgrade-nextcloud.md)",
    });
  }
  if (d.decision.kind !== "emergency") {
    for (const line of requiredMajorLines(unnamedMajors(steps, named))) {
      findings.push({
        ...base(d),
        field: "changes",
        code: "major-unnamed",
        level: "error",
        message: `it approves '${line}' without naming it`,
        remediation: "a major upgrade needs a vote that names it: coop propose --post (it adds the coop-major line), then coop decide",
      });
    }
  }
  return findings;
}

function routineFindings(gov: Governance, d: L<Extract<Decision, { kind: "routine" }>>): Finding[] {
  const dec = d.decision;
  const findings: Finding[] = [];
  const s = gov.byId.get(dec.standing);
  if (s?.decision.kind !== "standing") {
    findings.push({
      ...base(d),
      field: "standing",
      code: "standing-missing",
      level: "error",
      message: `it cites standing decision '${dec.standing}', which ${s ? `is a ${s.decision.kind} decision` : "does not exist"}`,
      remediation: "routine changes need a standing decision adopted by the members (coop decide --standing …)",
    });
  } else {
    const standing = s.decision as StandingDecision;
    if (decisionFindings(gov, s).some((f) => f.level === "error")) {
      findings.push({
        ...base(d),
        field: "standing",
        code: "standing-missing",
        level: "error",
        message: `its standing decision '${standing.id}' is not valid (see its own findings)`,
        remediation: `fix ${s.file} first (coop verify lists why)`,
      });
    }
    if (
      !standing.terms.classes.includes(dec.class) ||
      !(standing.terms.stacks.includes("*") || standing.terms.stacks.includes(dec.stack))
    ) {
      findings.push({
        ...base(d),
        field: "class",
        code: "standing-scope",
        level: "error",
        message: `standing decision '${standing.id}' pre-approves ${standing.terms.classes.join(", ")} on ${standing.terms.stacks.join(", ")}, not ${dec.class} on '${dec.stack}'`,
        remediation: "this change needs a vote: coop propose --post, then coop decide",
      });
    }
    if (
      Date.parse(dec.recordedAt) < Date.parse(standing.recordedAt) ||
      (standing.terms.until !== null && Date.parse(dec.recordedAt) > Date.parse(standing.terms.until))
    ) {
      findings.push({
        ...base(d),
        field: "standing",
        code: "standing-expired",
        level: "error",
        message: `it was recorded ${dec.recordedAt}, outside the time standing decision '${standing.id}' applies (${standing.recordedAt} – ${standing.terms.until ?? "until revoked"})`,
        remediation: "this change needs a vote, or the members adopt a new standing decision",
      });
    }
  }
  const cls = checkChangeClass(dec.class, dec.changes);
  for (const o of cls.outside) {
    findings.push({
      ...base(d),
      field: "changes",
      code: "routine-out-of-class",
      level: "error",
      message: `${o.urn}${o.path ? ` ${o.path}` : ""}: ${o.reason}`,
      remediation: "this change needs a vote: coop propose --post, then coop decide",
    });
  }
  return findings;
}

export interface Chain {
  /** Decisions in order from the first; empty when the chain cannot be followed. */
  readonly order: LoadedDecision[];
  /** The latest decision, when the chain is sound enough to have one. */
  readonly head?: LoadedDecision;
  readonly findings: Finding[];
}

const chainCache = new WeakMap<Governance, Map<string, Chain>>();

/** The stack's lock-setting decisions as a chain from the first to the latest. */
export function chainOf(gov: Governance, stack: string): Chain {
  let perGov = chainCache.get(gov);
  if (!perGov) {
    perGov = new Map();
    chainCache.set(gov, perGov);
  }
  const hit = perGov.get(stack);
  if (hit) return hit;
  const chain = buildChain(gov, stack);
  perGov.set(stack, chain);
  return chain;
}

function buildChain(gov: Governance, stack: string): Chain {
  const mine = gov.decisions.filter((d) => isLockDecision(d.decision) && d.decision.stack === stack) as Array<L<LockDecision>>;
  const findings: Finding[] = [];
  if (mine.length === 0) return { order: [], findings };
  const next = new Map<string | null, Array<L<LockDecision>>>();
  for (const d of mine) {
    const dec = d.decision;
    const list = next.get(dec.previous) ?? [];
    list.push(d);
    next.set(dec.previous, list);
    if (dec.previous === null) {
      if (dec.replaces !== null)
        findings.push({
          ...base(d),
          field: "replaces",
          code: "chain-replaces-mismatch",
          level: "error",
          message: "the first decision of a stack replaces nothing, but this one names a replaced digest",
          remediation: "restore the record from git",
        });
      continue;
    }
    const prev = gov.byId.get(dec.previous);
    if (!prev || !isLockDecision(prev.decision) || prev.decision.stack !== stack) {
      findings.push({
        ...base(d),
        field: "previous",
        code: "chain-broken",
        level: "error",
        message: `it follows '${dec.previous}', which ${!prev ? "does not exist" : !isLockDecision(prev.decision) ? "sets no lock" : `is a decision for stack '${prev.decision.stack}'`}`,
        remediation: "restore the missing decision from git; decisions are never deleted",
      });
    } else if (dec.replaces !== prev.decision.digest) {
      findings.push({
        ...base(d),
        field: "replaces",
        code: "chain-replaces-mismatch",
        level: "error",
        message: `it replaces ${dec.replaces?.slice(0, 12)}…, but '${prev.id}' approved ${prev.decision.digest.slice(0, 12)}…`,
        remediation: "restore the record from git",
      });
    }
    if (prev && isLockDecision(prev.decision) && prev.decision.stack === stack) findings.push(...timeOrderFindings(d, prev));
  }
  for (const [prev, list] of next) {
    if (list.length > 1) {
      findings.push({
        file: list[1].file,
        stack,
        decision: list[1].id,
        code: prev === null ? "chain-no-genesis" : "chain-fork",
        level: "error",
        message:
          prev === null
            ? `the stack has ${list.length} first decisions (${list.map((d) => d.id).join(", ")})`
            : `the chain forks: ${list.map((d) => d.id).join(" and ")} both follow '${prev}'`,
        remediation: "keep one branch: the later decision must be recorded again on top of the other (coop decide after merging)",
      });
    }
  }
  findings.push(...genesisFindings(mine, stack));
  const roots = next.get(null) ?? [];
  if (roots.length === 0) {
    findings.push({
      file: mine[0].file,
      stack,
      decision: mine[0].id,
      code: "chain-no-genesis",
      level: "error",
      message: `no decision of stack '${stack}' is its first (previous: null)`,
      remediation: "restore the stack's first decision from git",
    });
    return { order: [], findings };
  }
  if (roots.length > 1) return { order: [], findings };
  const order: LoadedDecision[] = [];
  const seen = new Set<string>();
  let cur: L<LockDecision> | undefined = roots[0];
  let forked = false;
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    order.push(cur);
    const after: Array<L<LockDecision>> = next.get(cur.id) ?? [];
    if (after.length > 1) forked = true;
    cur = after.length === 1 ? after[0] : undefined;
  }
  for (const d of mine) {
    if (!seen.has(d.id) && !findings.some((f) => f.decision === d.id)) {
      findings.push({
        ...base(d),
        field: "previous",
        code: "chain-broken",
        level: "error",
        message: "it is not reachable from the stack's first decision",
        remediation: "restore the records from git",
      });
    }
  }
  return { order, head: forked ? undefined : order[order.length - 1], findings };
}

/**
 * A decision is recorded after the one it follows. Otherwise its recording time, which dates its
 * signatures (a member who has left no longer signs), could be set before the state it changes
 * existed, and count signatures of members who had left by then.
 */
function timeOrderFindings(d: LoadedDecision, prev: LoadedDecision): Finding[] {
  if (Date.parse(d.decision.recordedAt) >= Date.parse(prev.decision.recordedAt)) return [];
  return [
    {
      ...base(d),
      field: "recordedAt",
      code: "recorded-out-of-order",
      level: "error",
      message: `it was recorded ${d.decision.recordedAt}, before '${prev.id}' (recorded ${prev.decision.recordedAt}), which it follows in the chain; a decision cannot change a state that did not exist yet, and its signatures are judged at the time it claims`,
      remediation: `coop writes recordedAt itself, so the record was edited: restore it from git, and let the members approve the state again: ${voteAgain(d.decision)}`,
    },
  ];
}

/**
 * A genesis approves a state on an admin's signature alone, which is sound only where nothing
 * was approved before: as the stack's one first decision. Anywhere else it would replace any
 * state without a vote.
 */
function genesisFindings(mine: ReadonlyArray<L<LockDecision>>, stack: string): Finding[] {
  const geneses = mine.filter((d) => d.decision.kind === "genesis");
  const first = geneses.find((d) => d.decision.previous === null && d.decision.replaces === null) ?? geneses[0];
  const remediation = `a stack's later states need a vote: coop propose --stack ${stack} --post, then coop decide --stack ${stack} --poll <key>; restore the ledger from git if coop did not write this record`;
  const findings: Finding[] = [];
  for (const d of geneses) {
    const dec = d.decision;
    if (dec.previous !== null || dec.replaces !== null) {
      const after = dec.previous !== null ? `follows '${dec.previous}'` : `replaces ${dec.replaces!.slice(0, 12)}…`;
      findings.push({
        ...base(d),
        field: dec.previous !== null ? "previous" : "replaces",
        code: "genesis-misplaced",
        level: "error",
        message: `a genesis starts a stack's chain (previous: null, replaces: null), but this one ${after}`,
        remediation,
      });
    } else if (d !== first) {
      findings.push({
        ...base(d),
        code: "genesis-misplaced",
        level: "error",
        message: `stack '${stack}' already has a genesis ('${first.id}'); a stack has one`,
        remediation,
      });
    }
  }
  return findings;
}

/** Whether a decision approved a stack's whole state (its poll or signers saw all of it), not only a change to it. */
function approvesWholeState(dec: LockDecision): boolean {
  return dec.kind === "change" || (dec.kind === "genesis" && dec.previous === null && dec.replaces === null);
}

/** The chain's decisions the approved state rests on: from the latest back to the last that approved the whole state. */
export function stateSegment(chain: Chain): LoadedDecision[] {
  const out: LoadedDecision[] = [];
  for (let i = chain.order.length - 1; i >= 0; i--) {
    out.push(chain.order[i]);
    if (approvesWholeState(chain.order[i].decision as LockDecision)) break;
  }
  return out;
}

/**
 * What a ratification or change decision says it ratifies must be emergency changes of its own
 * stack that the approved state it votes on contains, named by its vote, and older than the vote.
 * A ratification ratifies the state with its digest, so every emergency up to the latest decision
 * with that digest is in it: ratifying the latest state can name several, back to the first
 * still unratified (a ratification of a later one alone would leave an earlier one stranded).
 */
function ratifiesFindings(gov: Governance, d: LoadedDecision): Finding[] {
  const dec = d.decision;
  if (dec.kind !== "ratification" && dec.kind !== "change") return [];
  const ids = ratifiedIds(dec);
  if (ids.length === 0) return [];
  const order = chainOf(gov, dec.stack).order;
  const position = new Map(order.map((x, i) => [x.id, i]));
  // The last chain position the decision's vote saw: its ratified state, or the state its change replaces.
  const upTo =
    dec.kind === "ratification"
      ? lastIndexWhere(order, (x) => (x.decision as LockDecision).digest === dec.digest)
      : (position.get(d.id) ?? 0) - 1;
  // A change decision outside a sound chain is reported by chainOf; nothing to place its names against.
  if (dec.kind === "change" && !position.has(d.id)) return [];
  const named =
    dec.evidence.type === "loomio-poll" && (dec.kind === "change" || dec.evidence.ratifies !== undefined)
      ? ratifiedNamesFor(dec.evidence.ratifies, dec.stack)
      : undefined;
  const target = (message: string): Finding => ({
    ...base(d),
    field: "ratifies",
    code: "ratification-target",
    level: "error",
    message,
    remediation: `restore the records from git; to ratify an emergency change the members vote on a proposal that names it: ${voteAgain(dec)}`,
  });
  const findings: Finding[] = [];
  for (const id of ids) {
    const t = gov.byId.get(id)?.decision;
    if (!t) findings.push(target(`it ratifies '${id}', which does not exist`));
    else if (t.kind !== "emergency") findings.push(target(`it ratifies '${id}', which is a ${t.kind} decision, not an emergency`));
    else if (t.stack !== dec.stack)
      findings.push(target(`it ratifies '${id}', an emergency change of stack '${t.stack}', not '${dec.stack}'`));
    else if (!position.has(id) || position.get(id)! > upTo) {
      findings.push(
        target(
          dec.kind === "ratification"
            ? `it ratifies '${id}', which is not part of the state it ratifies (sha256 ${dec.digest.slice(0, 12)}…)`
            : `it ratifies '${id}', which does not come before it in the chain of stack '${dec.stack}'`,
        ),
      );
    } else if (named && !named.includes(id)) {
      findings.push(
        target(
          `it ratifies '${id}', but poll ${(dec.evidence as PollEvidence).key} did not name it (${(dec.evidence as PollEvidence).ratifies ?? "its details carry no coop-ratifies line"}); a vote ratifies only the emergency changes its text named`,
        ),
      );
    } else if (Date.parse(dec.recordedAt) < Date.parse(t.recordedAt) || Date.parse(dec.decidedAt) < Date.parse(t.recordedAt)) {
      findings.push({
        ...base(d),
        field: "decidedAt",
        code: "recorded-out-of-order",
        level: "error",
        message: `it ratifies '${id}', recorded ${t.recordedAt}, but it was decided ${dec.decidedAt} and recorded ${dec.recordedAt}; a vote cannot ratify a change made after it`,
        remediation: `restore the records from git, and let the members ratify the change: ${voteAgain(dec)}`,
      });
    }
  }
  return findings;
}

function lastIndexWhere<T>(xs: readonly T[], p: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i])) return i;
  return -1;
}

/** Codes that mean a record cannot ratify what it names at all (rather than lacking a signature). */
const NOT_A_RATIFICATION: ReadonlySet<FindingCode> = new Set(["ratification-target", "recorded-out-of-order"]);

export interface EmergencyStatus {
  readonly emergency: L<EmergencyDecision>;
  /** The decisions naming it as ratified (ratifications, later change decisions of its chain), with their errors. */
  readonly tried: ReadonlyArray<{ readonly r: LoadedDecision; readonly errors: Finding[] }>;
  /** Whether one of them is valid under the rules in force. */
  readonly ratified: boolean;
  /** Whether it still needs a vote: no record names it that could ratify it (at most missing signatures). */
  readonly awaitingVote: boolean;
}

/**
 * Every emergency change in the stack's chain and what ratifies it. Only a decision naming it
 * does: a later vote on something else does not clear it, whatever it approved.
 */
export function emergencyStatuses(gov: Governance, chain: Chain): EmergencyStatus[] {
  const out: EmergencyStatus[] = [];
  chain.order.forEach((d, i) => {
    if (d.decision.kind !== "emergency") return;
    const e = d as L<EmergencyDecision>;
    const laterChanges = chain.order.slice(i + 1).filter((x) => x.decision.kind === "change");
    const ratifications = gov.decisions.filter((r) => r.decision.kind === "ratification" && r.decision.stack === e.decision.stack);
    const naming = [...ratifications, ...laterChanges].filter((r) => ratifiedIds(r.decision).includes(e.id));
    const tried = naming.map((r) => ({ r, errors: decisionFindingsInForce(gov, r).filter((f) => f.level === "error") }));
    out.push({
      emergency: e,
      tried,
      ratified: tried.some((t) => t.errors.length === 0),
      awaitingVote: !tried.some((t) => !t.errors.some((f) => NOT_A_RATIFICATION.has(f.code))),
    });
  });
  return out;
}

/** The emergency changes of a stack that still need a vote naming them (coop propose and decide). */
export function emergenciesAwaitingVote(gov: Governance, stack: string): Array<L<EmergencyDecision>> {
  return emergencyStatuses(gov, chainOf(gov, stack))
    .filter((s) => !s.ratified && s.awaitingVote)
    .map((s) => s.emergency);
}

/** The deadline that binds a pending emergency: its own, or the rules' bound when its own is later. */
export function effectiveDeadline(rules: Rules | undefined, e: EmergencyDecision): string {
  if (!rules) return e.ratifyBy;
  const bound = Date.parse(e.recordedAt) + rules.emergency.ratificationDays * DAY_MS;
  return Date.parse(e.ratifyBy) > bound ? new Date(bound).toISOString() : e.ratifyBy;
}

/** Emergency changes in the approved state that no valid ratification covers. */
export function emergencyFindings(gov: Governance, chain: Chain, now: Date): Finding[] {
  const findings: Finding[] = [];
  for (const { emergency: d, tried, ratified } of emergencyStatuses(gov, chain)) {
    if (ratified) continue;
    const e = d.decision;
    // The rules bound a pending emergency whatever rules its record names.
    const late = gov.rules ? deadlineFindings(gov.rules, d) : [];
    findings.push(...late);
    const deadline = late.length ? effectiveDeadline(gov.rules, e) : e.ratifyBy;
    const overdue = now.getTime() > Date.parse(deadline);
    const why = tried.length ? `; its ratification '${tried[0].r.id}' does not count: ${tried[0].errors[0].message}` : "";
    findings.push({
      ...base(d),
      code: overdue ? "emergency-overdue" : "emergency-unratified",
      level: overdue ? "error" : "warning",
      message: overdue
        ? `emergency change '${e.id}' (${e.reason}) was not ratified by ${deadline}${why}`
        : `emergency change '${e.id}' (${e.reason}) awaits ratification by ${deadline}${why}`,
      remediation: tried.length
        ? `make ratification '${tried[0].r.id}' count: coop verify lists what it lacks; a missing signature is added with coop sign ${tried[0].r.id} --key <key>`
        : `the members ratify it: ${voteAgain(e)} (the proposal names every emergency change awaiting ratification)`,
    });
  }
  return findings;
}

/** The emergencies the approved state rests on: those since the last vote on the whole state, and any still unratified. */
function reliedOnEmergencies(gov: Governance, chain: Chain): EmergencyStatus[] {
  const segment = new Set(stateSegment(chain).map((d) => d.id));
  return emergencyStatuses(gov, chain).filter((s) => segment.has(s.emergency.id) || !s.ratified);
}

/**
 * Every decision some stack's approved state rests on: the state's chain segments, the
 * standing decisions their routine changes cite, the ratifications of their emergency changes.
 * Their signatures must meet the rules in force (what `coop sign` asks of a new signer).
 */
export function reliedOn(gov: Governance): Set<string> {
  const ids = new Set<string>();
  const stacks = new Set(gov.decisions.flatMap((d) => (isLockDecision(d.decision) ? [d.decision.stack] : [])));
  for (const stack of stacks) {
    const chain = chainOf(gov, stack);
    for (const d of stateSegment(chain)) {
      ids.add(d.id);
      if (d.decision.kind === "routine") ids.add(d.decision.standing);
    }
    for (const st of reliedOnEmergencies(gov, chain)) {
      ids.add(st.emergency.id);
      for (const t of st.tried) ids.add(t.r.id);
    }
  }
  return ids;
}

/**
 * What the approved state rests on beyond its chain: the standing decision each routine change
 * in it cites must meet the rules in force too.
 */
function standingFindings(gov: Governance, segment: readonly LoadedDecision[]): Finding[] {
  const findings: Finding[] = [];
  for (const d of segment) {
    if (d.decision.kind !== "routine") continue;
    const s = gov.byId.get(d.decision.standing);
    if (s?.decision.kind !== "standing") continue; // routineFindings reports it
    const own = decisionFindings(gov, s).some((f) => f.level === "error");
    const inForce = inForceFindings(gov, s);
    findings.push(...decisionFindings(gov, s), ...inForce);
    if (!own && inForce.some((f) => f.level === "error")) {
      findings.push({
        ...base(d),
        field: "standing",
        code: "standing-missing",
        level: "error",
        message: `its standing decision '${s.id}' does not meet the rules in force (see its findings)`,
        remediation: `the standing decision needs the signatures the rules in force require: coop sign ${s.id} --key <key>`,
      });
    }
  }
  return findings;
}

/**
 * Whether `lock` (the approved state of `stack`) is backed by a valid decision: the policy pack's
 * check. `now` decides whether an unratified emergency change is still within its deadline.
 */
export function checkLockBacked(gov: Governance, stack: string, lock: Lock | undefined, now: Date): Finding[] {
  const findings: Finding[] = [];
  if (!gov.rules)
    findings.push({
      file: "governance/rules.yaml",
      stack,
      code: "rules-missing",
      level: "error",
      message: "the rules cannot be read, so no decision can be checked",
      remediation: "fix governance/rules.yaml (coop verify shows where)",
    });
  if (!gov.members)
    findings.push({
      file: "governance/members.yaml",
      stack,
      code: "members-missing",
      level: "error",
      message: "the members cannot be read, so no signature can be checked",
      remediation: "fix governance/members.yaml (coop verify shows where)",
    });
  const lockFileName = `governance/approved/${stack}.lock.json`;
  if (!lock) {
    findings.push({
      file: lockFileName,
      stack,
      code: "lock-missing",
      level: "error",
      message: `stack '${stack}' has no approved lock`,
      remediation: `the members approve the plan: coop propose --stack ${stack} --post, then coop decide --stack ${stack} --poll <key>`,
    });
    return findings;
  }
  if (lock.stack !== stack || (gov.project !== undefined && lock.project !== gov.project)) {
    findings.push({
      file: lockFileName,
      stack,
      code: "lock-other-stack",
      level: "error",
      message: `the lock is for ${lock.project}/${lock.stack}, not ${gov.project ?? "?"}/${stack}`,
      remediation: "restore the lock from git",
    });
  }
  const chain = chainOf(gov, stack);
  findings.push(...chain.findings);
  const approving = chain.order.filter((d) => (d.decision as LockDecision).digest === lock.digest);
  const head = chain.head;
  if (!head || (head.decision as LockDecision).digest !== lock.digest) {
    const elsewhere = gov.decisions.find(
      (d) => "digest" in d.decision && d.decision.digest === lock.digest && isLockDecision(d.decision) && d.decision.stack !== stack,
    );
    if (elsewhere) {
      findings.push({
        file: lockFileName,
        stack,
        decision: elsewhere.id,
        code: "lock-other-stack",
        level: "error",
        message: `the lock's digest was approved by '${elsewhere.id}', a decision for stack '${(elsewhere.decision as LockDecision).stack}'`,
        remediation: "restore the lock from git",
      });
    } else if (approving.length > 0 && head) {
      findings.push({
        file: lockFileName,
        stack,
        decision: head.id,
        code: "lock-not-latest",
        level: "error",
        message: `the lock is the state '${approving[approving.length - 1].id}' approved, but the latest decision '${head.id}' approved ${(head.decision as LockDecision).digest.slice(0, 12)}…`,
        remediation: "restore the lock from git (locks are written with their decision)",
      });
    } else if (head || chain.order.length === 0) {
      findings.push({
        file: lockFileName,
        stack,
        code: "lock-unbacked",
        level: "error",
        message: `no decision approved this lock (sha256 ${lock.digest.slice(0, 12)}…)${head ? `; the latest decision '${head.id}' approved ${(head.decision as LockDecision).digest.slice(0, 12)}…` : ""}`,
        remediation: `restore the lock from git, or let the members approve the plan: coop propose --stack ${stack} --post`,
      });
    }
    return findings;
  }
  const segment = stateSegment(chain);
  for (const d of segment) findings.push(...decisionFindingsInForce(gov, d));
  // An unratified emergency before the last vote is still part of the state nobody voted on.
  for (const st of reliedOnEmergencies(gov, chain))
    if (!segment.includes(st.emergency)) findings.push(...decisionFindingsInForce(gov, st.emergency));
  findings.push(...standingFindings(gov, segment));
  findings.push(...emergencyFindings(gov, chain, now));
  return dedupe(findings);
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.code}|${f.file}|${f.field}|${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Every check over the whole record: `coop verify`. */
export function verifyLedger(gov: Governance, now: Date): Finding[] {
  const findings: Finding[] = [];
  for (const p of gov.problems) {
    const code: FindingCode =
      p.file === "governance/rules.yaml"
        ? "rules-missing"
        : p.file === "governance/members.yaml"
          ? "members-missing"
          : p.field === "id" && p.message.includes("file name")
            ? "id-mismatch"
            : "schema";
    findings.push({
      file: p.file,
      line: p.line,
      col: p.col,
      field: p.field,
      code,
      level: "error",
      message: p.message,
      remediation: p.hint ?? "fix the file (its JSON Schema in governance/*.schema.json describes every field)",
    });
  }
  const stacks = new Set<string>();
  for (const d of gov.decisions) if (isLockDecision(d.decision)) stacks.add(d.decision.stack);
  for (const s of gov.locks.keys()) stacks.add(s);
  for (const stack of [...stacks].sort()) {
    const lock = gov.locks.get(stack)?.lock;
    const lockBroken = gov.problems.some((p) => p.file === `governance/approved/${stack}.lock.json`);
    if (!lock && lockBroken) continue;
    findings.push(...checkLockBacked(gov, stack, lock, now));
    // The gate only needs one valid ratification; the record should have no invalid one.
    for (const st of reliedOnEmergencies(gov, chainOf(gov, stack))) for (const t of st.tried) findings.push(...inForceFindings(gov, t.r));
  }
  // Cached per decision; what checkLockBacked already reported is dropped by dedupe.
  for (const d of gov.decisions) findings.push(...decisionFindings(gov, d));
  for (const stack of gov.stacks) {
    if (!stacks.has(stack))
      findings.push({
        stack,
        file: `stacks/${stack}.yaml`,
        code: "lock-missing",
        level: "warning",
        message: `stack '${stack}' has no approved lock yet; it cannot be deployed`,
        remediation: `coop propose --stack ${stack} --post, then coop decide --stack ${stack} --poll <key>`,
      });
  }
  return dedupe(findings).sort((a, b) => (a.level === b.level ? 0 : a.level === "error" ? -1 : 1));
}
