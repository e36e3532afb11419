/**
 * Checking a decision's signatures against the members and the signature requirement: each
 * signature must verify (sshsig over the record's canonical payload), be made by a member's
 * key, by a member who had not left when the decision was recorded, holding a role the
 * requirement names; enough different members must have signed.
 */
import type { Finding } from "../findings";
import type { Governance, LoadedDecision } from "../ledger/load";
import { hasAnyRole, wasMemberAt } from "../records/members";
import type { Rules, SignatureRequirement } from "../records/rules";
import { DECISION_NAMESPACE, verifySshsig } from "./sshsig";
import { signaturePayload, type DecisionDraft } from "../records/decision";
import type { JsonObject } from "../../kernel/json";

export interface VerifiedSignature {
  readonly index: number;
  readonly member?: string;
  readonly ok: boolean;
  readonly reason?: string;
  readonly fingerprint?: string;
}

/** What verifying a signature says, before knowing who the members are (work a thread can do). */
export interface SignatureCheckResult {
  readonly ok: boolean;
  readonly reason?: string;
  /** base64 of the signer's public key blob. */
  readonly keyId?: string;
  readonly fingerprint?: string;
}

const verified = new WeakMap<LoadedDecision, SignatureCheckResult[]>();

/** Verifies every signature of a record in Node (no member lookup). */
export function checkRecordSignatures(raw: JsonObject, signatures: ReadonlyArray<{ signature: string }>): SignatureCheckResult[] {
  if (signatures.length === 0) return [];
  const payload = signaturePayload(raw);
  return signatures.map((s) => {
    const r = verifySshsig(s.signature, payload, DECISION_NAMESPACE);
    return { ok: r.ok, reason: r.ok ? undefined : r.reason, keyId: r.key?.id, fingerprint: r.key?.fingerprint };
  });
}

/** Records results computed elsewhere (a worker thread) so they are not computed again. */
export function primeSignatureResults(d: LoadedDecision, results: SignatureCheckResult[]): void {
  verified.set(d, results);
}

/** Cryptographic verification and key-to-member matching, once per loaded decision. */
export function verifySignatures(gov: Governance, d: LoadedDecision): VerifiedSignature[] {
  let results = verified.get(d);
  if (!results) {
    results = checkRecordSignatures(d.raw, d.decision.signatures);
    verified.set(d, results);
  }
  return results.map((r, index) => ({
    index,
    member: r.keyId ? gov.memberKeys.get(r.keyId)?.member.name : undefined,
    ok: r.ok,
    reason: r.reason,
    fingerprint: r.fingerprint,
  }));
}

/** The requirement the rules set for a decision of this kind and evidence. */
export function requirementFor(rules: Rules, decision: DecisionDraft): SignatureRequirement | undefined {
  switch (decision.kind) {
    case "genesis":
      return rules.signatures.genesis;
    case "routine":
      return rules.standing.classes[decision.class]?.signatures;
    case "emergency":
      return rules.emergency.signatures;
    default:
      return decision.evidence.type === "meeting" ? rules.signatures.manual : rules.signatures.decisions;
  }
}

export function sameRequirement(a: SignatureRequirement, b: SignatureRequirement): boolean {
  return a.count === b.count && a.roles.length === b.roles.length && a.roles.every((r) => b.roles.includes(r));
}

export interface SignatureCheck {
  readonly findings: Finding[];
  /** Members whose valid signature counts toward the requirement. */
  readonly signers: string[];
  readonly satisfied: boolean;
}

/**
 * Checks signatures against `requirement`. `label` says which requirement (the one recorded in
 * the decision, or the rules in force now) for messages.
 */
export function checkSignatures(gov: Governance, d: LoadedDecision, requirement: SignatureRequirement, label: string): SignatureCheck {
  const findings: Finding[] = [];
  const base = { file: d.file, decision: d.id, stack: "stack" in d.decision ? d.decision.stack : undefined } as const;
  const signers = new Set<string>();
  for (const v of verifySignatures(gov, d)) {
    const entry = d.decision.signatures[v.index];
    const field = `signatures[${v.index}]`;
    if (!v.ok) {
      findings.push({
        ...base,
        field,
        code: "signature-invalid",
        level: "error",
        message: `the signature of '${entry.member}' does not verify: ${v.reason}`,
        remediation: `remove it and sign again: coop sign ${d.id} --key <private key>`,
      });
      continue;
    }
    if (!v.member) {
      findings.push({
        ...base,
        field,
        code: "signature-non-member",
        level: "error",
        message: `signed with key ${v.fingerprint}, which belongs to no member in governance/members.yaml`,
        remediation: "remove the signature, or add the signer's key to governance/members.yaml (a change the co-op approves)",
      });
      continue;
    }
    if (v.member !== entry.member) {
      findings.push({
        ...base,
        field,
        code: "signature-member-mismatch",
        level: "error",
        message: `the signature says '${entry.member}' but was made with ${v.member}'s key`,
        remediation: `remove it; ${v.member} signs with: coop sign ${d.id} --key <their key>`,
      });
      continue;
    }
    const member = gov.members!.members.find((m) => m.name === v.member)!;
    if (!wasMemberAt(member, d.decision.recordedAt)) {
      findings.push({
        ...base,
        field,
        code: "signature-former-member",
        level: "error",
        message: `${member.name} had left (${member.left}) before the decision was recorded (${d.decision.recordedAt})`,
        remediation: "remove the signature; a current member signs instead",
      });
      continue;
    }
    if (!hasAnyRole(member, requirement.roles)) {
      findings.push({
        ...base,
        field,
        code: "signature-wrong-role",
        level: "error",
        message: `${member.name} (${member.roles.join(", ")}) signed, but this decision needs signers with role ${requirement.roles.join(" or ")} (${label})`,
        remediation: `remove the signature; a member with role ${requirement.roles.join(" or ")} signs: coop sign ${d.id} --key <key>`,
      });
      continue;
    }
    signers.add(member.name);
  }
  const satisfied = signers.size >= requirement.count;
  if (!satisfied) {
    const missing = requirement.count - signers.size;
    findings.push({
      ...base,
      code: "signatures-insufficient",
      level: "error",
      message: `${signers.size} valid signature${signers.size === 1 ? "" : "s"}${signers.size ? ` (${[...signers].join(", ")})` : ""}; ${label} require${/^the rules\b/.test(label) ? "" : "s"} ${requirement.count} by ${requirement.roles.join(" or ")} — ${missing} more needed; until then the lock it sets does not count as approved`,
      remediation: `another member with role ${requirement.roles.join(" or ")} signs: coop sign ${d.id} --key ~/.ssh/id_ed25519`,
    });
  }
  return { findings, signers: [...signers], satisfied };
}
