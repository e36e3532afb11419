/**
 * What a governance check reports. Each finding names what failed, where, and what to do; the
 * policy pack turns errors into mandatory violations, `coop verify` into exit 1, and the
 * commands that write records refuse with the same codes (rulebook/checks/admission.ts).
 */

export const FINDING_CODES = {
  // Files
  schema: "a governance file does not match its format, or cannot be read safely",
  "rules-missing": "governance/rules.yaml is missing or invalid",
  "members-missing": "governance/members.yaml is missing or invalid",
  "rules-unapproved": "governance/rules.yaml is not the version of the bylaws the ledger approved last",
  "members-unapproved": "governance/members.yaml is not the version of the members list the ledger approved last",
  "code-unapproved": "the code is not a version a decision approved",
  "object-missing": "a version a decision names is not stored in governance/objects",
  "object-invalid": "a stored version does not hash to its name or does not match its format",
  "ledger-rewritten": "a decision or version the approved ledger holds was changed or removed",
  "stack-unknown": "a stack was named that has no spec and no decision",
  // Locks
  "lock-missing": "a stack has decisions but no approved lock",
  "lock-invalid": "a lock cannot be read, does not match its format, or was edited by hand",
  "lock-unbacked": "no decision approved the lock's digest",
  "lock-not-latest": "the lock is not the state the stack's latest decision approved (a roll-back)",
  "lock-other-stack": "the decision approving this digest is for another stack or project",
  // Chains and order
  "chain-no-genesis": "a chain does not start with exactly one first decision",
  "chain-broken": "a decision follows a decision that does not exist or is not of its chain",
  "chain-fork": "two decisions follow the same decision",
  "chain-replaces-mismatch": "a decision's `replaces` is not the state of the decision it follows",
  "order-inconsistent": "a decision's place among the governance entries contradicts what they record (`under`, `seen`)",
  "recorded-out-of-order": "a decision was recorded before the decision it follows, or before what it ratifies",
  "recorded-in-future": "a decision is dated after the verifier's clock",
  "genesis-misplaced": "a genesis is not the first decision of a stack the founding named",
  "governance-kind-mismatch": "a governance entry changes something other than what its kind may change",
  // Signatures
  "signature-invalid": "a signature does not verify",
  "signature-non-member": "a signature was made by a key of no member in the members list in force",
  "signature-former-member": "a signature was made by a member who had left by the members list in force",
  "signature-wrong-role": "a signature was made by a member without a role the decision needs",
  "signature-member-mismatch": "a signature names another member than the key's owner",
  "signatures-insufficient": "a decision has fewer valid signatures than the rules in force require",
  "key-rotation-unsigned": "a member's key changed without their signature made with their previous key",
  // Poll evidence
  "poll-instance": "the poll is not at the co-op's Loomio instance the bylaws name",
  "poll-answer": "the recorded Loomio answer cannot be read, or its facts contradict each other",
  "poll-options": "the poll did not offer exactly the options the bylaws count (agree, abstain, disagree, block)",
  "poll-not-closed": "the poll had not closed (or was reopened)",
  "poll-discarded": "the poll was discarded",
  "poll-type": "the poll is not a proposal",
  "poll-group": "the poll is not in the co-op's Loomio group",
  "poll-electorate": "the poll did not invite the whole group",
  "poll-binding": "the poll does not bind what the decision approves",
  "poll-quorum": "too few voters decided",
  "poll-threshold": "too few agreed",
  "poll-blocks": "the poll was blocked",
  "poll-reused": "a poll already recorded by another decision is recorded again",
  "poll-changed": "Loomio's answer now differs from the recorded one (coop verify --online)",
  "decision-stale": "the poll closed longer ago than the bylaws allow before the record reached the ledger",
  "digest-mismatch": "the decision's digest differs from what its poll approved",
  "summary-mismatch": "the plain-words summary or the monthly cost the members read is not what the ledger reproduces",
  "prices-mismatch": "the cost came from a price table other than the approved one",
  "minutes-missing": "a meeting decision names minutes that are not in the repository",
  // Routine, emergency, classes of change
  "standing-missing": "a routine decision cites no valid standing decision",
  "standing-scope": "the standing decision does not cover this stack or class",
  "standing-expired": "the standing decision had ended",
  "routine-out-of-class": "a routine decision's real change falls outside its class",
  "membership-out-of-class": "a members change without a vote does more than routine membership allows (it grants a signing role)",
  "code-vote-required": "a code change touches paths the bylaws reserve for a vote, without one",
  "new-stack-needs-vote": "a stack the founding did not name starts without a vote",
  "emergency-unratified": "the approved state contains an emergency change not yet ratified",
  "emergency-overdue": "an emergency change was not ratified before its deadline",
  "ratification-target": "a decision ratifies something other than an earlier emergency change of its stack, or one its vote did not name",
  // Major upgrades
  "major-unnamed": "a Mastodon or Postgres major upgrade that the decision does not name",
  "nextcloud-major-step": "Nextcloud skips (or goes back) a major version",
  "nextcloud-storage-switch": "an installed Nextcloud's primary storage changes, and its files become unreachable",
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

/** Findings without repeats (the same cause reached by two checks). */
export function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.code}|${f.file}|${f.field}|${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
