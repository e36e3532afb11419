/**
 * What a governance check reports. Each finding names what failed, where, and what to do; the
 * policy pack turns errors into mandatory violations, `coop verify` into exit 1.
 */

export const FINDING_CODES = {
  // Files
  schema: "a governance file does not match its format",
  "rules-missing": "governance/rules.yaml is missing or invalid",
  "members-missing": "governance/members.yaml is missing or invalid",
  "id-mismatch": "a decision's id differs from its file name",
  // Locks
  "lock-missing": "a stack has decisions but no approved lock",
  "lock-invalid": "a lock cannot be read, does not match its format, or was edited by hand",
  "lock-unbacked": "no decision approved the lock's digest",
  "lock-not-latest": "the lock is not the state the stack's latest decision approved",
  "lock-other-stack": "the decision approving this digest is for another stack or project",
  // Chains
  "chain-no-genesis": "a stack's decisions do not start with a first decision (previous: null)",
  "chain-broken": "a decision follows a decision that does not exist or is not of its stack",
  "chain-fork": "two decisions follow the same decision",
  "chain-replaces-mismatch": "a decision's `replaces` is not the digest of the decision it follows",
  "recorded-out-of-order":
    "a decision was recorded before the decision it follows in its chain, or before the emergency change it ratifies",
  "genesis-misplaced": "a genesis decision is not its stack's one first decision (previous: null, replaces: null)",
  // Signatures
  "signature-invalid": "a signature does not verify",
  "signature-non-member": "a signature was made by a key that is not a member's",
  "signature-former-member": "a signature was made by a member who had left",
  "signature-wrong-role": "a signature was made by a member without a role the decision needs",
  "signature-member-mismatch": "a signature names another member than the key's owner",
  "signatures-insufficient": "a decision has fewer valid signatures than the rules require",
  // Poll evidence
  "poll-not-closed": "the poll had not closed (or was reopened)",
  "poll-discarded": "the poll was discarded",
  "poll-type": "the poll is of a type the rules do not accept",
  "poll-group": "the poll is not in the co-op's Loomio group",
  "poll-electorate": "the poll did not invite the whole group",
  "poll-binding": "the poll does not bind this stack and digest",
  "poll-quorum": "too few voters decided",
  "poll-threshold": "too few agreed",
  "poll-blocks": "the poll was blocked",
  "poll-outcome": "the recorded outcome does not match the recorded counts",
  "poll-rules-mismatch": "a poll was evaluated under other values than the rules the decision names",
  "poll-reused": "a poll already recorded by another decision is recorded again",
  "decision-stale": "the poll closed longer ago than the rules allow when it was recorded",
  "digest-mismatch": "the decision's digest differs from what its evidence approved",
  // Routine, emergency
  "standing-missing": "a routine decision cites no valid standing decision",
  "standing-scope": "the standing decision does not cover this stack or class",
  "standing-expired": "the standing decision had ended when the routine change was recorded",
  "routine-out-of-class": "a routine decision contains a change outside its class",
  "emergency-unratified": "the approved state contains an emergency change not yet ratified",
  "emergency-overdue": "an emergency change was not ratified before its deadline",
  "emergency-deadline": "an emergency's ratification deadline is later than the rules allow",
  "ratification-target":
    "a decision ratifies something other than an emergency change of its stack's approved state, or one its vote did not name",
  // Major upgrades
  "major-unnamed": "a Mastodon or Postgres major upgrade that the decision does not name",
  "nextcloud-major-step": "Nextcloud skips (or goes back) a major version",
} as const;

export type FindingCode = keyof typeof FINDING_CODES;

export interface Finding {
  readonly code: FindingCode;
  /** Errors fail `coop verify` and the policy pack; warnings are shown. */
  readonly level: "error" | "warning";
  readonly message: string;
  /** What to do about it, with the command where there is one. */
  readonly remediation: string;
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  readonly field?: string;
  readonly decision?: string;
  readonly stack?: string;
}

export function errorsOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.level === "error");
}

export function formatFinding(f: Finding): string {
  const where = f.file ? (f.line ? `${f.file}:${f.line}:${f.col ?? 1}` : f.file) : f.stack ? `stack ${f.stack}` : "governance";
  const field = f.field ? ` ${f.field}:` : "";
  return `${f.level === "error" ? "✗" : "!"} ${where}${field} ${f.message} [${f.code}]\n    fix: ${f.remediation}`;
}
