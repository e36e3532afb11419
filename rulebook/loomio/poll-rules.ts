/**
 * Whether a poll approves what it is recorded for, by the co-op's rules. Loomio has no pass/fail
 * field, so every rule is computed from the poll's facts. The same function runs when
 * `coop decide` records a poll and when `coop verify` or the policy pack re-checks the record
 * offline (with the rules and the time recorded in it).
 */
import { checkBinding, type Expectation } from "./binding";
import type { Counts, PollFacts } from "./poll-facts";
import { meets, percent, toRatio, formatRatio, type RatioInput } from "../records/ratio";
import type { Rules } from "../records/rules";

export const POLL_RULES = [
  "closed",
  "not-discarded",
  "poll-type",
  "group",
  "electorate",
  "binding",
  "quorum",
  "threshold",
  "blocks",
  "age",
] as const;
export type PollRule = (typeof POLL_RULES)[number];

/** The rule parameters a poll is evaluated under (a snapshot of rules.yaml, kept in the record). */
export interface AppliedRules {
  readonly groupId: number | null;
  readonly wholeGroup: boolean;
  readonly types: readonly string[];
  readonly quorum: RatioInput;
  readonly threshold: RatioInput;
  readonly blocksAllowed: number;
  readonly maxAgeDays: number;
}

/** The rules' poll parameters, as a decision records them. */
export function appliedRulesOf(rules: Rules): AppliedRules {
  const { electorate: e, polls: p } = rules;
  return {
    groupId: e.loomioGroupId,
    wholeGroup: e.wholeGroup,
    types: [...p.types],
    quorum: p.quorum,
    threshold: p.threshold,
    blocksAllowed: p.blocksAllowed,
    maxAgeDays: p.maxAgeDays,
  };
}

/**
 * Where recorded parameters differ from the rules', in words ("quorum 10% (the rules: 50%)").
 * Values are compared as written: the same rules digest means the same text.
 */
export function appliedDifferences(recorded: AppliedRules, rules: AppliedRules): string[] {
  const show = (k: keyof AppliedRules, v: AppliedRules[keyof AppliedRules]) =>
    k === "quorum" || k === "threshold" ? formatRatio(v as RatioInput) : JSON.stringify(v);
  const keys: Array<keyof AppliedRules> = ["groupId", "wholeGroup", "types", "quorum", "threshold", "blocksAllowed", "maxAgeDays"];
  return keys
    .filter((k) => JSON.stringify(recorded[k]) !== JSON.stringify(rules[k]))
    .map((k) => `${k} ${show(k, recorded[k])} (the rules: ${show(k, rules[k])})`);
}

export interface RuleResult {
  readonly rule: PollRule;
  readonly passed: boolean;
  readonly detail: string;
}

export interface PollEvaluation {
  readonly passed: boolean;
  readonly results: RuleResult[];
  readonly failed: RuleResult[];
  readonly binding: string | null;
}

const DAY_MS = 86_400_000;
/** Only proposal polls have the agree/abstain/disagree/block options the rules count. */
const COUNTABLE_TYPES = new Set(["proposal"]);

export function evaluatePoll(
  facts: Omit<PollFacts, "details"> & { details?: string | null; binding?: string | null },
  applied: AppliedRules,
  expected: Expectation,
  at: Date,
): PollEvaluation {
  const results: RuleResult[] = [];
  const add = (rule: PollRule, passed: boolean, detail: string) => results.push({ rule, passed, detail });

  add(
    "closed",
    facts.closedAt !== null,
    facts.closedAt !== null ? `closed ${facts.closedAt}` : "the poll is open (or was reopened): closed_at is not set",
  );
  add(
    "not-discarded",
    facts.discardedAt === null,
    facts.discardedAt === null ? "not discarded" : `the poll was discarded (deleted) at ${facts.discardedAt}`,
  );

  const typeOk = facts.pollType !== null && applied.types.includes(facts.pollType) && COUNTABLE_TYPES.has(facts.pollType);
  add(
    "poll-type",
    typeOk,
    typeOk
      ? `a ${facts.pollType}`
      : `the poll is a '${facts.pollType ?? "unknown"}'; the rules accept ${applied.types.filter((t) => COUNTABLE_TYPES.has(t)).join(", ") || "no type coop can count"} (coop counts proposal polls: agree, abstain, disagree, block)`,
  );

  if (applied.groupId === null) add("group", false, "governance/rules.yaml sets no electorate.loomioGroupId, so no poll can count");
  else
    add(
      "group",
      facts.groupId === applied.groupId,
      facts.groupId === applied.groupId
        ? `in the co-op's group ${applied.groupId}`
        : `the poll belongs to group ${facts.groupId ?? "unknown"}, not the co-op's group ${applied.groupId}`,
    );

  const handPicked = facts.specifiedVotersOnly === true;
  add(
    "electorate",
    !applied.wholeGroup || !handPicked,
    !applied.wholeGroup || !handPicked
      ? "the whole group could vote"
      : "only hand-picked voters were invited (specified_voters_only), but the rules require the whole group",
  );

  // Records keep the binding line found; a fresh poll is checked against its details.
  const binding = facts.details !== undefined ? checkBinding(facts.details, expected) : checkBinding(facts.binding ?? null, expected);
  add("binding", binding.passed, binding.detail);

  const counts: Counts | undefined = facts.counts;
  const voters = facts.votersCount;
  const decided = facts.decidedVotersCount;
  const quorumOk = meets(decided, voters, toRatio(applied.quorum));
  add("quorum", quorumOk, `${decided} of ${voters} voters decided (${percent(decided, voters)}; needed ${formatRatio(applied.quorum)})`);

  if (!counts) {
    add("threshold", false, "the poll does not show its results (hidden until closed), so the votes cannot be counted");
    add("blocks", false, "the poll does not show its results, so blocks cannot be counted");
  } else {
    const cast = counts.agree + counts.disagree;
    const thresholdOk = meets(counts.agree, cast, toRatio(applied.threshold));
    add(
      "threshold",
      thresholdOk,
      `${counts.agree} agree, ${counts.disagree} disagree (${percent(counts.agree, cast)} agree; needed ${formatRatio(applied.threshold)}; ${counts.abstain} abstained)`,
    );
    const blocksOk = counts.block <= applied.blocksAllowed;
    add("blocks", blocksOk, `${counts.block} block${counts.block === 1 ? "" : "s"} (at most ${applied.blocksAllowed} allowed)`);
  }

  if (facts.closedAt === null) add("age", false, "the poll has not closed");
  else {
    const closed = Date.parse(facts.closedAt);
    const age = at.getTime() - closed;
    const days = Math.floor((age / DAY_MS) * 10) / 10;
    if (age < -5 * 60_000) add("age", false, `the poll closes in the future (${facts.closedAt})`);
    else
      add(
        "age",
        age <= applied.maxAgeDays * DAY_MS,
        age <= applied.maxAgeDays * DAY_MS
          ? `closed ${days} days before it was recorded (at most ${applied.maxAgeDays})`
          : `closed ${days} days before it was recorded; the rules allow at most ${applied.maxAgeDays} days: propose it again`,
      );
  }

  const failed = results.filter((r) => !r.passed);
  return { passed: failed.length === 0, results, failed, binding: binding.line };
}
