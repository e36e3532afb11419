/**
 * Whether a poll approves what it is recorded for, under the process the bylaws set for the
 * change (rulebook/checks/process.ts). Loomio has no pass/fail field, so every rule is computed
 * from the poll's facts. The same function runs when `coop decide` records a poll and when
 * `coop verify` or the policy pack re-check the record, from the answer stored in it.
 */
import { checkBinding, type Expectation } from "./binding";
import { optionProblems } from "./options";
import type { PollFacts } from "./poll-facts";
import { formatRatio, meets, percent, toRatio, type RatioInput } from "../records/ratio";

export const POLL_RULES = [
  "closed",
  "not-discarded",
  "poll-type",
  "options",
  "group",
  "electorate",
  "binding",
  "quorum",
  "threshold",
  "blocks",
  "age",
] as const;
export type PollRule = (typeof POLL_RULES)[number];

/** The parameters a poll is judged by: the bylaws' electorate and the process's poll rules. */
export interface PollProcess {
  readonly groupId: number | null;
  readonly wholeGroup: boolean;
  readonly quorum: RatioInput;
  readonly threshold: RatioInput;
  readonly blocksAllowed: number;
  readonly maxAgeDays: number;
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

/**
 * Evaluates `facts` under `process`. `seenAt` is when the record reached the verifier (or the
 * recording time, for a record already in the ledger): the age rule runs from Loomio's own
 * closing time to it.
 */
export function evaluatePoll(facts: PollFacts, process: PollProcess, expected: Expectation, seenAt: Date): PollEvaluation {
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
  add(
    "poll-type",
    facts.pollType === "proposal",
    facts.pollType === "proposal"
      ? "a proposal"
      : `the poll is a '${facts.pollType ?? "unknown"}', not a proposal (agree, abstain, disagree, block)`,
  );
  const optionIssues = optionProblems(facts.options);
  add(
    "options",
    optionIssues.length === 0,
    optionIssues.length === 0 ? "agree, abstain, disagree and block, each once" : optionIssues.join("; "),
  );

  if (process.groupId === null) add("group", false, "governance/rules.yaml sets no loomio.groupId, so no poll can count");
  else
    add(
      "group",
      facts.groupId === process.groupId,
      facts.groupId === process.groupId
        ? `in the co-op's group ${process.groupId}`
        : `the poll belongs to group ${facts.groupId ?? "unknown"}, not the co-op's group ${process.groupId}`,
    );

  const handPicked = facts.specifiedVotersOnly === true;
  add(
    "electorate",
    !process.wholeGroup || !handPicked,
    !process.wholeGroup || !handPicked
      ? "the whole group could vote"
      : "only hand-picked voters were invited (specified_voters_only), but the bylaws require the whole group",
  );

  const binding = checkBinding(facts.details, expected);
  add("binding", binding.passed, binding.detail);

  const voters = facts.votersCount;
  const decided = facts.decidedVotersCount;
  add(
    "quorum",
    meets(decided, voters, toRatio(process.quorum)),
    `${decided} of ${voters} voters decided (${percent(decided, voters)}; needed ${formatRatio(process.quorum)})`,
  );

  const counts = facts.counts;
  if (!counts) {
    add("threshold", false, "the poll does not show its results (hidden until closed), so the votes cannot be counted");
    add("blocks", false, "the poll does not show its results, so blocks cannot be counted");
  } else {
    const cast = counts.agree + counts.disagree;
    add(
      "threshold",
      meets(counts.agree, cast, toRatio(process.threshold)),
      `${counts.agree} agree, ${counts.disagree} disagree (${percent(counts.agree, cast)} agree; needed ${formatRatio(process.threshold)}; ${counts.abstain} abstained)`,
    );
    add(
      "blocks",
      counts.block <= process.blocksAllowed,
      `${counts.block} block${counts.block === 1 ? "" : "s"} (at most ${process.blocksAllowed} allowed)`,
    );
  }

  if (facts.closedAt === null) add("age", false, "the poll has not closed");
  else {
    const age = seenAt.getTime() - Date.parse(facts.closedAt);
    const days = Math.floor((age / DAY_MS) * 10) / 10;
    if (age < -AGE_TOLERANCE_MS) add("age", false, `the poll closes in the future (${facts.closedAt})`);
    else
      add(
        "age",
        age <= process.maxAgeDays * DAY_MS + AGE_TOLERANCE_MS,
        age <= process.maxAgeDays * DAY_MS + AGE_TOLERANCE_MS
          ? `closed ${days} days before it reached the ledger (at most ${process.maxAgeDays})`
          : `closed ${days} days before it reached the ledger; the bylaws allow at most ${process.maxAgeDays} days: propose it again`,
      );
  }

  const failed = results.filter((r) => !r.passed);
  return { passed: failed.length === 0, results, failed, binding: binding.line };
}

/** Clock differences between Loomio, the recording machine and the verifier that are tolerated. */
export const AGE_TOLERANCE_MS = 10 * 60_000;
