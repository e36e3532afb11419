/**
 * Writing to the co-op's record from the commands. A command builds a draft (the record and the
 * versions it names), asks the rulebook whether it may enter the ledger now — the same checks,
 * the same finding codes, `coop verify` applies — and writes only if nothing but missing
 * signatures stands in the way. The record, its stored versions and the stack's lock file land
 * together (writeFilesAtomic) or not at all.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { now } from "../../kernel/clock";
import { CheckFailed, InputError } from "../../kernel/errors";
import { writeFilesAtomic } from "../../kernel/fs-atomic";
import type { JsonObject } from "../../kernel/json";
import { lockPath, renderLock, type Lock } from "../../plan/lock";
import { readPriceTable } from "../../plan/prices";
import {
  admissionFindings,
  type Decision,
  type DecisionDraft,
  decisionFile,
  errorsOf,
  expectedSummary,
  type Finding,
  formatFinding,
  governanceChain,
  judgeSignatures,
  type L,
  type Ledger,
  loadLedger,
  type ObjectKind,
  objectEntry,
  processOf,
  renderRecord,
  signaturePayload,
  stackChain,
  versionAfter,
  withRecords,
} from "../../rulebook";
import { digestOf, objectFile, priceTableDigest } from "../../rulebook/ledger/objects";
import type { GovernanceDecision, StackDecision } from "../../rulebook/records/decision";
import type { Members } from "../../rulebook/records/members";
import type { Rules } from "../../rulebook/records/rules";
import type { Working } from "../../rulebook/ledger/load";
import { publicKeyOf, signWithSshKeygen } from "./ssh-sign";

export type SoundLedger = Ledger & {
  /** The working files, which become the next versions when a decision approves them. */
  readonly rules: Working<Rules>;
  readonly members: Working<Members>;
  readonly project: string;
  readonly head: L<GovernanceDecision>;
  /**
   * The bylaws and members list in force (the governance head's stored versions). They, not the
   * working files, say where Loomio is, how a vote is counted and who may sign: a pull request
   * that edits rules.yaml must not redirect the API key or restate the rules members vote by.
   */
  readonly inForce: { readonly rules: Rules; readonly members: Members };
};

/**
 * The ledger a command may add to: every file readable and the governance chain sound. Broken
 * files are restored from git, never written over.
 */
export function soundLedger(root: string): SoundLedger {
  const ledger = loadLedger(root);
  const problems = ledger.problems;
  if (problems.length > 0 || !ledger.rules || !ledger.members || !ledger.project) {
    throw new CheckFailed(
      `the co-op's record cannot be read:\n${problems.map((p) => `  ${p.file}${p.line ? `:${p.line}:${p.col}` : ""}${p.field ? ` ${p.field}:` : ""} ${p.message}`).join("\n")}`,
      "restore the damaged files from git (git restore <file>); coop verify lists every problem. Nothing was written",
    );
  }
  const gov = governanceChain(ledger);
  const broken = errorsOf(gov.findings);
  if (broken.length > 0 || !gov.head) {
    throw new CheckFailed(
      gov.order.length === 0 && broken.length === 0
        ? "the ledger has no founding: nothing approves the bylaws, the members list or the code"
        : `the governance chain is not sound:\n${broken.map((f) => `  ${formatFinding(f)}`).join("\n")}`,
      gov.order.length === 0 ? "a fork starts its own ledger with coop init" : "restore the ledger from git (coop verify shows where)",
    );
  }
  const version = versionAfter(ledger, gov.head.id);
  if (!("ok" in version)) {
    throw new CheckFailed(
      `the versions in force cannot be read:\n${version.findings.map((f) => `  ${formatFinding(f)}`).join("\n")}`,
      "restore governance/objects from git (git restore governance/objects); coop verify lists every problem. Nothing was written",
    );
  }
  return {
    ...ledger,
    rules: ledger.rules,
    members: ledger.members,
    project: ledger.project,
    head: gov.head,
    inForce: { rules: version.ok.rules, members: version.ok.members.members },
  };
}

export interface StackTip {
  readonly head?: L<StackDecision>;
  readonly lock?: Lock;
}

/** The stack's latest decision and its state, refusing to build on a chain that does not verify. */
export function stackTip(ledger: SoundLedger, stack: string): StackTip {
  const chain = stackChain(ledger, stack);
  const broken = errorsOf(chain.findings);
  if (broken.length > 0)
    throw new CheckFailed(
      `the decisions of stack '${stack}' do not form a sound chain:\n${broken.map((f) => `  ${formatFinding(f)}`).join("\n")}`,
      "restore the ledger from git (coop verify shows where)",
    );
  const head = chain.head;
  if (!head) return {};
  try {
    return { head, lock: ledger.objects.get("lock", head.decision.digest) };
  } catch (e) {
    throw new CheckFailed(
      `the approved state of '${stack}' is not stored: ${(e as Error).message}`,
      "restore governance/objects from git (git restore governance/objects)",
    );
  }
}

/** The next free id: <scope>-<NNNN>-<kind>, numbered per scope so concurrent decisions collide in git. */
export function nextDecisionId(ledger: Ledger, scope: string, kind: string): string {
  const prefix = `${scope}-`;
  let n = ledger.decisions.filter((d) => d.id.startsWith(prefix) && /^\d{4,}-/.test(d.id.slice(prefix.length))).length + 1;
  for (;;) {
    const id = `${scope}-${String(n).padStart(4, "0")}-${kind}`;
    if (!ledger.byId.has(id)) return id;
    n++;
  }
}

export interface Staged {
  readonly kind: ObjectKind;
  readonly value: unknown;
}

/** A record without signatures and, until the rulebook renders it, without its summary. */
export type DraftRecord = DecisionDraft extends infer T ? (T extends unknown ? Omit<T, "summary"> & { summary?: string } : never) : never;

export interface Draft {
  readonly record: DraftRecord;
  /** The versions it names that the ledger may not hold yet. */
  readonly objects: readonly Staged[];
  /** For stack decisions: the state that becomes the stack's lock. */
  readonly lock?: Lock;
}

/** The record with the summary the rulebook renders from its versions (what members read). */
export function completed(ledger: Ledger, draft: Draft): Decision {
  const record = { ...draft.record, summary: draft.record.summary ?? "", signatures: [] } as unknown as Decision;
  const candidate = withRecords(ledger, [record], draft.objects as never);
  const summary = expectedSummary(candidate, candidate.byId.get(record.id) as L<Decision>);
  return { ...record, summary: summary ?? record.summary } as Decision;
}

/** Codes a record may still carry when it is written: it waits for signatures. */
const AWAITING_SIGNATURES = new Set(["signatures-insufficient", "key-rotation-unsigned"]);

export function workingPricesDigest(root: string): string {
  return priceTableDigest(readPriceTable(root));
}

/** What the rulebook says about `record` entering `ledger` now (the same codes verify reports). */
export function admission(ledger: Ledger, record: Decision, objects: readonly Staged[]): Finding[] {
  const candidate = withRecords(ledger, [record], objects as never);
  return admissionFindings(candidate, new Set([record.id]), now(), { pricesDigest: workingPricesDigest(ledger.root) });
}

/** Refuses, with the rulebook's findings, unless only signatures are missing. */
export function requireAdmitted(findings: readonly Finding[], what: string): void {
  const blocking = errorsOf(findings).filter((f) => !AWAITING_SIGNATURES.has(f.code));
  if (blocking.length === 0) return;
  throw new CheckFailed(
    `${what} cannot be recorded:\n${blocking.map((f) => `  ${formatFinding(f)}`).join("\n")}\nNothing was written.`,
    blocking[0].remediation,
  );
}

/** The member who owns a key in the members list in force (the rulebook judges the signature when the signed record is admitted). */
export function signRecordWith(record: Decision, keyPath: string, ledger: SoundLedger): Decision {
  const key = publicKeyOf(keyPath);
  const owner = ledger.inForce.members.members.find((m) => m.sshKeys.some((line) => line.split(/\s+/)[1] === key.id));
  if (!owner)
    throw new InputError(
      `the key ${keyPath} (${key.fingerprint}) belongs to no member in the members list in force`,
      "sign with your own key, listed under your name in the approved governance/members.yaml",
    );
  const signature = signWithSshKeygen(keyPath, signaturePayload(record), key);
  return {
    ...record,
    signatures: [...record.signatures.filter((s) => s.member !== owner.name), { member: owner.name, signature }],
  } as Decision;
}

export interface Recorded {
  readonly record: Decision;
  readonly files: string[];
  readonly findings: Finding[];
  /** Signatures still missing before the decision counts (0 when it counts). */
  readonly missing: number;
  readonly requirement?: { count: number; roles: string[] };
}

/**
 * Writes a record with the versions it names and, for a stack, its lock — together or not at
 * all. It judges nothing: callers write only what the rulebook admitted (recordDraft).
 */
export function writeRecord(root: string, record: Decision, draft: Draft): string[] {
  const entries: Array<[string, string]> = [[join(root, decisionFile(record.id)), renderRecord(record as unknown as JsonObject)]];
  const files = [decisionFile(record.id)];
  for (const o of draft.objects) {
    const file = objectFile(o.kind, digestOf(o.kind, o.value as never));
    if (existsSync(join(root, file))) continue;
    entries.push(objectEntry(root, o.kind, o.value as never));
    files.push(file);
  }
  if (draft.lock) {
    entries.push([lockPath(root, draft.lock.stack), renderLock(draft.lock)]);
    files.push(`governance/approved/${draft.lock.stack}.lock.json`);
  }
  writeFilesAtomic(entries);
  return files;
}

/** Admits, signs (with `keyPath`), and writes a draft with its versions and lock. */
export function recordDraft(ledger: SoundLedger, draft: Draft, keyPath: string | undefined, what: string): Recorded {
  let record = completed(ledger, draft);
  requireAdmitted(admission(ledger, record, draft.objects), what);
  if (keyPath) record = signRecordWith(record, keyPath, ledger);
  const findings = admission(ledger, record, draft.objects);
  requireAdmitted(findings, what);
  const files = writeRecord(ledger.root, record, draft);
  const candidate = withRecords(ledger, [record], draft.objects as never);
  const d = candidate.byId.get(record.id) as L<Decision>;
  const p = processOf(candidate, d);
  let missing = 0;
  let requirement: Recorded["requirement"];
  if ("ok" in p) {
    const v = judgeSignatures(d, p.ok.version.members, p.ok.requirement, p.ok.label, p.ok.mustSign);
    missing = Math.max(0, p.ok.requirement.count - v.signers.length) + p.ok.mustSign.filter((n) => !v.validBy.includes(n)).length;
    requirement = { count: p.ok.requirement.count, roles: [...p.ok.requirement.roles] };
  }
  return { record, files, findings, missing, requirement };
}

/** The lines telling the admin what was written and what to do next. */
export function recordedLines(r: Recorded, what: string): string[] {
  const id = r.record.id;
  const req = r.requirement;
  const one = req && req.count === 1 ? " One member's signature records this decision: that person alone vouches for it." : "";
  return [
    `Recorded ${what} ${id}:`,
    ...r.files.map((f) => `  wrote ${f}`),
    r.missing > 0
      ? `It needs ${r.missing} more signature${r.missing === 1 ? "" : "s"}${req ? ` by ${req.roles.join(" or ")}` : ""} before it counts:\n  coop sign ${id} --key ~/.ssh/id_ed25519\nThen commit: git add governance && git commit -m "Decision ${id}"`
      : `It has the signatures it needs.${one} Commit it: git add governance && git commit -m "Decision ${id}"`,
  ];
}

/** What --json shows of a recorded decision's signatures. */
export function signatureState(r: Recorded): { missing: number; required?: number; roles?: string[] } {
  return { missing: r.missing, required: r.requirement?.count, roles: r.requirement?.roles };
}

export { digestOf };
