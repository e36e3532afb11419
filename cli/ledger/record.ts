/**
 * Writing to the co-op's record from the commands: a new decision and the lock it approves land
 * together (writeFilesAtomic) or not at all; nothing is written unless the stack's existing
 * chain is sound, so a new decision never builds on a broken or forked ledger.
 */
import { join } from "node:path";
import { lockFromView, lockPath, renderLock, type Lock } from "../../plan/lock";
import type { DesiredStateView } from "../../plan/view";
import { chainOf, errorsOf, formatFinding, type Governance, type LoadedDecision } from "../../rulebook";
import {
  DECISION_HEADER,
  decisionFile,
  DecisionSchema,
  decisionToJson,
  signaturePayload,
  type Decision,
  type DecisionDraft,
  type LockDecision,
} from "../../rulebook/records/decision";
import { renderLedgerYamlChecked } from "../../rulebook/ledger/ledger-yaml";
import { hasAnyRole, type Member } from "../../rulebook/records/members";
import { requirementFor } from "../../rulebook/signatures/signatures";
import type { SignatureRequirement } from "../../rulebook/records/rules";
import type { JsonObject } from "../../kernel/json";
import { CheckFailed, InputError } from "../../kernel/errors";
import { writeFilesAtomic } from "../../kernel/fs-atomic";
import { publicKeyOf, signWithSshKeygen } from "./ssh-sign";

export function nowIso(env: NodeJS.ProcessEnv = process.env): string {
  // COOP_NOW pins the clock for reproducible records (tests, the example ledger).
  const pinned = env.COOP_NOW;
  if (pinned) {
    const t = Date.parse(pinned);
    if (Number.isNaN(t)) throw new InputError(`COOP_NOW is not a timestamp: '${pinned}'`);
    return new Date(t).toISOString();
  }
  return new Date().toISOString();
}

/** Governance that must be readable for a command to add to it. */
export function requireSound(
  gov: Governance,
): asserts gov is Governance & { rules: NonNullable<Governance["rules"]>; members: NonNullable<Governance["members"]>; project: string } {
  const bad = gov.problems.filter(
    (p) => p.file === "governance/rules.yaml" || p.file === "governance/members.yaml" || p.file === "Pulumi.yaml",
  );
  if (bad.length > 0 || !gov.rules || !gov.members || !gov.project) {
    throw new InputError(
      `the governance files cannot be read:\n${bad.map((p) => `  ${p.file}${p.line ? `:${p.line}:${p.col}` : ""}${p.field ? ` ${p.field}:` : ""} ${p.message}`).join("\n")}`,
      "fix them first (coop verify shows every problem)",
    );
  }
}

export interface ChainTip {
  readonly head?: LoadedDecision;
  readonly lock?: Lock;
}

/** The stack's latest decision and lock, refusing to build on a chain that does not verify. */
export function chainTip(gov: Governance, stack: string): ChainTip {
  const chain = chainOf(gov, stack);
  const broken = errorsOf(chain.findings);
  if (broken.length > 0)
    throw new CheckFailed(
      `the decisions of stack '${stack}' do not form a sound chain:\n${broken.map((f) => `  ${formatFinding(f)}`).join("\n")}`,
      "repair the ledger first (coop verify)",
    );
  const lock = gov.locks.get(stack)?.lock;
  const lockProblem = gov.problems.find((p) => p.file === `governance/approved/${stack}.lock.json`);
  if (lockProblem) throw new CheckFailed(`the approved lock of '${stack}' is damaged: ${lockProblem.message}`, "restore it from git");
  const head = chain.head;
  if (head && !lock)
    throw new CheckFailed(`stack '${stack}' has decisions but no lock file`, `restore governance/approved/${stack}.lock.json from git`);
  if (!head && lock)
    throw new CheckFailed(`the lock of stack '${stack}' is backed by no decision`, "restore the decisions from git (coop verify)");
  if (head && lock && (head.decision as LockDecision).digest !== lock.digest)
    throw new CheckFailed(
      `the lock of '${stack}' is not the state its latest decision '${head.id}' approved`,
      "restore the lock from git (coop verify)",
    );
  return { head, lock };
}

/** The next free id: <stack>-<NNNN>-<kind>, numbered per stack so concurrent decisions collide in git. */
export function nextDecisionId(gov: Governance, scope: string, kind: string): string {
  const prefix = `${scope}-`;
  let n = gov.decisions.filter((d) => d.id.startsWith(prefix) && /^\d{4,}-/.test(d.id.slice(prefix.length))).length + 1;
  for (;;) {
    const id = `${scope}-${String(n).padStart(4, "0")}-${kind}`;
    if (!gov.byId.has(id)) return id;
    n++;
  }
}

export function renderDecision(record: JsonObject): string {
  return renderLedgerYamlChecked(decisionToJson(record), DECISION_HEADER);
}

/** Validates a record built by a command (a bug here must never write a bad file). */
export function validated(record: Decision): Decision {
  const parsed = DecisionSchema.safeParse(record);
  if (!parsed.success)
    throw new Error(
      `coop built an invalid decision record: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return record;
}

export function requirementOf(gov: Governance & { rules: NonNullable<Governance["rules"]> }, record: DecisionDraft): SignatureRequirement {
  const req = requirementFor(gov.rules, record);
  if (!req)
    throw new InputError(
      `the rules set no signature requirement for this ${record.kind} decision`,
      "add the change class under standing.classes in governance/rules.yaml",
    );
  return req;
}

/** The member who owns a key, checked against the roles a decision needs. */
export function signerFor(
  gov: Governance & { members: NonNullable<Governance["members"]> },
  keyPath: string,
  requirement: SignatureRequirement,
): { member: Member; key: ReturnType<typeof publicKeyOf> } {
  const key = publicKeyOf(keyPath);
  const owner = gov.memberKeys.get(key.id);
  if (!owner)
    throw new InputError(
      `the key ${keyPath} (${key.fingerprint}) belongs to no member in governance/members.yaml`,
      "sign with your own key, listed under your name in governance/members.yaml",
    );
  if (owner.member.left !== null)
    throw new InputError(`${owner.member.name} has left the co-op (${owner.member.left}) and can no longer sign`);
  if (!hasAnyRole(owner.member, requirement.roles)) {
    throw new InputError(
      `${owner.member.name} (${owner.member.roles.join(", ")}) cannot sign this decision: it needs signers with role ${requirement.roles.join(" or ")}`,
      `a member with role ${requirement.roles.join(" or ")} signs it`,
    );
  }
  return { member: owner.member, key };
}

/** Signs a finished record (without signatures) with `keyPath`, returning the signature entry. */
export function signRecord(
  record: JsonObject,
  keyPath: string,
  signer: { member: Member; key: ReturnType<typeof publicKeyOf> },
): { member: string; signature: string } {
  const signature = signWithSshKeygen(keyPath, signaturePayload(record), signer.key);
  return { member: signer.member.name, signature };
}

export interface Written {
  readonly files: string[];
}

/** Writes a decision and, for lock decisions, its lock, atomically. */
export function writeDecision(root: string, record: Decision, view?: DesiredStateView): Written {
  validated(record);
  const file = decisionFile(record.id);
  const entries: Array<[string, string]> = [[join(root, file), renderDecision(record as unknown as JsonObject)]];
  const files = [file];
  if (view) {
    const lock = lockFromView(view);
    if ("digest" in record && lock.digest !== record.digest) throw new Error("coop bug: the lock and the decision disagree on the digest");
    entries.push([lockPath(root, view.stack), renderLock(lock)]);
    files.push(`governance/approved/${view.stack}.lock.json`);
  }
  writeFilesAtomic(entries);
  return { files };
}

type SoundGovernance = Governance & { rules: NonNullable<Governance["rules"]>; members: NonNullable<Governance["members"]> };

export interface Recorded {
  readonly record: Decision;
  readonly files: string[];
  readonly requires: SignatureRequirement;
  /** Signatures still missing before the decision counts. */
  readonly missing: number;
}

/**
 * Records a decision: sets the signature requirement of the rules in force, signs it with
 * `keyPath` when given (the signer must be a member with a role it needs), and writes it
 * together with the lock it approves.
 */
export function recordDecision(
  root: string,
  gov: SoundGovernance,
  record: DecisionDraft,
  view: DesiredStateView | undefined,
  keyPath: string | undefined,
): Recorded {
  const requires = requirementOf(gov, record);
  let full = { ...record, requires: { count: requires.count, roles: [...requires.roles] }, signatures: [] } as Decision;
  if (keyPath) full = { ...full, signatures: [signRecord(full as unknown as JsonObject, keyPath, signerFor(gov, keyPath, requires))] };
  const written = writeDecision(root, full, view);
  return { record: full, files: written.files, requires, missing: Math.max(0, requires.count - full.signatures.length) };
}

/** What --json shows of a recorded decision's signatures. */
export function signatureState(r: Recorded): { have: number; required: number; roles: string[] } {
  return { have: r.record.signatures.length, required: r.requires.count, roles: [...r.requires.roles] };
}

/** The lines telling the admin what was written and what to do next. */
export function recordedLines(r: Recorded, what: string, note?: string): string[] {
  const id = r.record.id;
  return [
    `Recorded ${what} ${id}${note ? ` (${note})` : ""}:`,
    ...r.files.map((f) => `  wrote ${f}`),
    r.missing > 0
      ? `It needs ${r.missing} more signature${r.missing === 1 ? "" : "s"} by ${r.requires.roles.join(" or ")} before it counts:\n  coop sign ${id} --key ~/.ssh/id_ed25519\nThen commit: git add governance && git commit -m "Decision ${id}"`
      : `It has the signatures it needs. Commit it: git add governance && git commit -m "Decision ${id}"`,
  ];
}
