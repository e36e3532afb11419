/** Small shared pieces of the checks: where a finding points, and the commands remediations name. */
import { isStackDecision } from "../records/decision";
import type { Finding } from "../findings";
import type { LoadedDecision } from "../ledger/load";
import type { Decision, DecisionDraft } from "../records/decision";

export const DAY_MS = 86_400_000;
/** Clock differences between the recording machine and the verifier that are tolerated. */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

export function base(d: LoadedDecision): Pick<Finding, "file" | "decision" | "stack"> {
  return { file: d.file, decision: d.id, stack: "stack" in d.decision ? d.decision.stack : undefined };
}

/** The subject flag of the commands for a decision's kind. */
export function subjectFlag(d: Decision | DecisionDraft): string {
  if (isStackDecision(d)) return `--stack ${d.stack}`;
  switch (d.kind) {
    case "bylaws":
      return "--bylaws";
    case "members":
      return "--members";
    case "code":
      return "--code";
    default:
      return "--standing …";
  }
}

/** Where the co-op can be asked to vote again on what a decision approved. */
export function voteAgain(d: Decision | DecisionDraft): string {
  const flag = subjectFlag(d);
  return `coop propose ${flag} --post, then coop decide ${flag} --poll <key>`;
}

export function restoreFrom(file: string): string {
  return `restore it from git (git restore ${file})`;
}
