/**
 * The voting rules a proposal states, in plain words, from governance/rules.yaml: members vote
 * knowing what makes it pass, and the text cannot promise more (or less) than coop enforces.
 */
import type { Rules } from "../../rulebook/records/rules";
import { toRatio, type RatioInput } from "../../rulebook/records/ratio";

export interface VotingRules {
  readonly quorum: RatioInput;
  readonly threshold: RatioInput;
  readonly blocksAllowed: number;
}

export function votingRulesOf(rules: Rules): VotingRules {
  return { quorum: rules.polls.quorum, threshold: rules.polls.threshold, blocksAllowed: rules.polls.blocksAllowed };
}

const NAMED: Record<string, string> = {
  "1/2": "half",
  "1/3": "a third",
  "2/3": "two thirds",
  "1/4": "a quarter",
  "3/4": "three quarters",
  "1/5": "a fifth",
  "2/5": "two fifths",
  "3/5": "three fifths",
  "4/5": "four fifths",
};

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** "at least two thirds", "at least 60%", "all"; undefined for a share of zero (no condition). */
export function atLeastShare(v: RatioInput): string | undefined {
  const r = toRatio(v);
  if (r.num === 0) return undefined;
  if (r.num >= r.den) return "all";
  const g = gcd(r.num, r.den);
  const named = NAMED[`${r.num / g}/${r.den / g}`];
  return `at least ${named ?? `${Math.round((r.num / r.den) * 1000) / 10}%`}`;
}

/** What blocks do: "a single block stops the proposal", "up to 2 blocks are allowed; 3 or more stop the proposal". */
export function blocksInWords(allowed: number): string {
  if (allowed === 0) return "a single block stops the proposal";
  return `up to ${allowed} block${allowed === 1 ? " is" : "s are"} allowed; ${allowed + 1} or more stop the proposal`;
}

/** One sentence: quorum, threshold and blocks, as coop evaluates them. */
export function passesInWords(v: VotingRules): string {
  const quorum = atLeastShare(v.quorum);
  const threshold = atLeastShare(v.threshold);
  const parts = [
    quorum ? `${quorum} of the members invited must vote (abstaining counts as voting)` : "there is no minimum turnout",
    threshold
      ? `${threshold} of the agree and disagree votes must be agree (abstentions do not count here)`
      : "no share of agree votes is required",
  ];
  return `**When it passes** (the co-op's rules): ${parts.join(", and ")}; ${blocksInWords(v.blocksAllowed)}.`;
}
