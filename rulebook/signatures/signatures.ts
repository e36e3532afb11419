/**
 * A decision's signatures, judged against the members list and the requirement in force at its
 * place in the ledger: each must verify (sshsig over the record's canonical payload, in Node),
 * be made with a key of a member of that version, who had not left and holds a role the
 * requirement names; enough different members must have signed.
 */
import type { Finding } from "../findings";
import type { LoadedDecision } from "../ledger/load";
import { signaturePayload, type Decision } from "../records/decision";
import { hasAnyRole, indexMemberKeys, isActive, type MemberKey, type Members } from "../records/members";
import type { SignatureRequirement } from "../records/rules";
import { DECISION_NAMESPACE, verifySshsig } from "./sshsig";

/** What verifying a signature says before anyone looks up the members (work a thread can do). */
export interface SignatureCheckResult {
  readonly ok: boolean;
  readonly reason?: string;
  /** base64 of the signer's public key blob. */
  readonly keyId?: string;
  readonly fingerprint?: string;
}

const verified = new WeakMap<LoadedDecision, SignatureCheckResult[]>();

export function checkRecordSignatures(d: Decision): SignatureCheckResult[] {
  if (d.signatures.length === 0) return [];
  const payload = signaturePayload(d);
  return d.signatures.map((s) => {
    const r = verifySshsig(s.signature, payload, DECISION_NAMESPACE);
    return { ok: r.ok, reason: r.ok ? undefined : r.reason, keyId: r.key?.id, fingerprint: r.key?.fingerprint };
  });
}

/** Records results computed elsewhere (a worker thread) so they are not computed again. */
export function primeSignatureResults(d: LoadedDecision, results: SignatureCheckResult[]): void {
  verified.set(d, results);
}

export function signatureResults(d: LoadedDecision): SignatureCheckResult[] {
  let r = verified.get(d);
  if (!r) {
    r = checkRecordSignatures(d.decision);
    verified.set(d, r);
  }
  return r;
}

export interface MembersVersion {
  readonly digest: string;
  readonly members: Members;
  readonly keys: ReadonlyMap<string, MemberKey>;
}

export function membersVersion(digest: string, members: Members): MembersVersion {
  return { digest, members, keys: indexMemberKeys(members) };
}

export interface SignatureVerdict {
  readonly findings: Finding[];
  /** Members whose valid signature counts toward the requirement. */
  readonly signers: string[];
  /** Members whose signature verifies with one of their keys in this version, whatever their roles. */
  readonly validBy: string[];
  readonly satisfied: boolean;
}

export function describeRequirement(r: SignatureRequirement): string {
  return `${r.count} signature${r.count === 1 ? "" : "s"} of different members with role ${r.roles.join(" or ")}`;
}

/**
 * Judges the signatures of `d` under `members` (the version in force at its place) against
 * `requirement`. `label` names the process in messages ("the bylaws' code process").
 */
export function judgeSignatures(
  d: LoadedDecision,
  members: MembersVersion,
  requirement: SignatureRequirement,
  label: string,
  ownSigners: readonly string[] = [],
): SignatureVerdict {
  const findings: Finding[] = [];
  const base = { file: d.file, decision: d.id, stack: "stack" in d.decision ? d.decision.stack : undefined } as const;
  const signers = new Set<string>();
  const validBy = new Set<string>();
  const results = signatureResults(d);
  results.forEach((v, index) => {
    const entry = d.decision.signatures[index];
    const field = `signatures[${index}]`;
    if (!v.ok) {
      findings.push({
        ...base,
        field,
        code: "signature-invalid",
        level: "error",
        message: `the signature of '${entry.member}' does not verify: ${v.reason}`,
        remediation: `the record or the signature was changed after signing: restore the file from git (git restore ${d.file}); never sign a record you did not check`,
      });
      return;
    }
    const owner = v.keyId ? members.keys.get(v.keyId) : undefined;
    if (!owner) {
      findings.push({
        ...base,
        field,
        code: "signature-non-member",
        level: "error",
        message: `signed with key ${v.fingerprint}, which belongs to no member in the members list in force for this decision`,
        remediation:
          "only members' keys count; a key is added to governance/members.yaml by a members decision (coop members …, then coop approve --members)",
      });
      return;
    }
    const member = owner.member;
    if (member.name !== entry.member) {
      findings.push({
        ...base,
        field,
        code: "signature-member-mismatch",
        level: "error",
        message: `the signature says '${entry.member}' but was made with ${member.name}'s key`,
        remediation: `restore the file from git (git restore ${d.file}); ${member.name} signs as themselves with coop sign ${d.id} --key <their key>`,
      });
      return;
    }
    if (!isActive(member)) {
      findings.push({
        ...base,
        field,
        code: "signature-former-member",
        level: "error",
        message: `${member.name} had left (${member.left}) by the members list in force for this decision`,
        remediation: "a current member with the role signs instead: coop sign <decision> --key <key>",
      });
      return;
    }
    validBy.add(member.name);
    // A member signing their own key rotation or departure is expected, whatever their roles.
    if (!hasAnyRole(member, requirement.roles) && ownSigners.includes(member.name)) return;
    if (!hasAnyRole(member, requirement.roles)) {
      findings.push({
        ...base,
        field,
        code: "signature-wrong-role",
        level: "error",
        message: `${member.name} (${member.roles.join(", ")}) signed, but ${label} needs signers with role ${requirement.roles.join(" or ")}`,
        remediation: `a member with role ${requirement.roles.join(" or ")} signs: coop sign ${d.id} --key <key>`,
      });
      return;
    }
    signers.add(member.name);
  });
  const satisfied = signers.size >= requirement.count;
  if (!satisfied) {
    const missing = requirement.count - signers.size;
    findings.push({
      ...base,
      code: "signatures-insufficient",
      level: "error",
      message: `${signers.size} valid signature${signers.size === 1 ? "" : "s"}${signers.size ? ` (${[...signers].join(", ")})` : ""}; ${label} requires ${describeRequirement(requirement)}: ${missing} more needed, and until then it does not count`,
      // A signature that does not verify means the record changed after signing: signing it again
      // would vouch for what nobody checked (e.g. forged counts), so the fix is the stored version.
      remediation: findings.some((f) => f.code === "signature-invalid")
        ? `do not sign it: a signature does not verify, so the record was changed after signing; restore it from git (git restore ${d.file})`
        : `${missing === 1 ? "another member" : `${missing} more members`} with role ${requirement.roles.join(" or ")} sign${missing === 1 ? "s" : ""}: coop sign ${d.id} --key ~/.ssh/id_ed25519`,
    });
  }
  return { findings, signers: [...signers], validBy: [...validBy], satisfied };
}

/** Whether `member` signed `d` with a key of theirs in `members` (for key rotations and departures). */
export function signedBy(d: LoadedDecision, members: MembersVersion, member: string): boolean {
  return signatureResults(d).some(
    (v, i) =>
      v.ok && v.keyId !== undefined && members.keys.get(v.keyId)?.member.name === member && d.decision.signatures[i].member === member,
  );
}

export { hasAnyRole };
