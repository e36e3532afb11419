/**
 * The drafts the commands record: a stack's next state (change, ratification, routine,
 * emergency) or the next version of the bylaws, the members list or the code (and standing
 * decisions), each with the versions it names. Drafts decide nothing: the rulebook judges them
 * (record.ts → admission).
 */
import { now } from "../../kernel/clock";
import { InputError } from "../../kernel/errors";
import type { Lock } from "../../plan/lock";
import { lockFromView } from "../../plan/lock";
import { readPriceTable } from "../../plan/prices";
import { pendingEmergencies, readCodeManifest, stackHeads } from "../../rulebook";
import { codeDigest, type CodeManifest } from "../../rulebook/records/code";
import type { Evidence, GovernanceDecision, StandingTerms } from "../../rulebook/records/decision";
import { membersDigest } from "../../rulebook/records/members";
import { rulesDigest } from "../../rulebook/records/rules";
import { priceTableDigest } from "../../rulebook/ledger/objects";
import { makePlan, type Plan } from "../plan/planning";
import { type Draft, nextDecisionId, type SoundLedger, type Staged, stackTip } from "./record";

export interface StackState {
  readonly plan: Plan;
  readonly lock: Lock;
  readonly tip: ReturnType<typeof stackTip>;
  /** The emergency changes awaiting ratification, oldest first. */
  readonly pending: string[];
}

/** The stack's plan rendered now, against its approved state. */
export async function stackState(ledger: SoundLedger, stack: string): Promise<StackState> {
  const tip = stackTip(ledger, stack);
  const plan = await makePlan(ledger.root, stack);
  return { plan, lock: lockFromView(plan.view), tip, pending: pendingEmergencies(ledger, stack).map((e) => e.id) };
}

function stackMove(ledger: SoundLedger, s: StackState) {
  return {
    version: 2 as const,
    project: ledger.project,
    stack: s.plan.stack,
    digest: s.lock.digest,
    previous: s.tip.head?.id ?? null,
    replaces: s.tip.lock?.digest ?? null,
    under: ledger.head.id,
    recordedAt: now().toISOString(),
  };
}

function lockObjects(s: StackState): Staged[] {
  return [{ kind: "lock", value: s.lock }];
}

/**
 * A vote (or meeting) on the plan rendered now: a change, or — when the plan is the approved
 * state and emergencies await ratification — a ratification of them.
 */
export function voteDraft(ledger: SoundLedger, s: StackState, evidence: Evidence, decidedAt: string, ratifies: readonly string[]): Draft {
  const prices = readPriceTable(ledger.root);
  const move = stackMove(ledger, s);
  const ratifyOnly = s.tip.lock !== undefined && s.tip.lock.digest === s.lock.digest;
  if (ratifyOnly && ratifies.length === 0) {
    throw new InputError(
      `nothing to decide: the plan of '${s.plan.stack}' is already the approved state`,
      "change the stack's spec, coop propose it, then coop decide",
    );
  }
  const common = { ...move, decidedAt, evidence, prices: priceTableDigest(prices) };
  const record = ratifyOnly
    ? { ...common, kind: "ratification" as const, id: nextDecisionId(ledger, s.plan.stack, "ratification"), ratifies: [...ratifies] }
    : {
        ...common,
        kind: "change" as const,
        id: nextDecisionId(ledger, s.plan.stack, "change"),
        ...(ratifies.length ? { ratifies: [...ratifies] } : {}),
      };
  return { record, objects: [...lockObjects(s), { kind: "prices", value: prices }], lock: s.lock };
}

export function routineDraft(ledger: SoundLedger, s: StackState, standing: string, cls: "image-patch"): Draft {
  const move = stackMove(ledger, s);
  return {
    record: {
      ...move,
      kind: "routine",
      id: nextDecisionId(ledger, s.plan.stack, "routine"),
      decidedAt: move.recordedAt,
      standing,
      class: cls,
    },
    objects: lockObjects(s),
    lock: s.lock,
  };
}

export function emergencyDraft(ledger: SoundLedger, s: StackState, reason: string): Draft {
  const move = stackMove(ledger, s);
  return {
    record: { ...move, kind: "emergency", id: nextDecisionId(ledger, s.plan.stack, "emergency"), decidedAt: move.recordedAt, reason },
    objects: lockObjects(s),
    lock: s.lock,
  };
}

export type Subject = "bylaws" | "members" | "code";

/** The working version of a governed file, as the ledger stores it. */
export function workingVersion(ledger: SoundLedger, subject: Subject): { digest: string; object: Staged; manifest?: CodeManifest } {
  switch (subject) {
    case "bylaws":
      return { digest: rulesDigest(ledger.rules.value), object: { kind: "rules", value: ledger.rules.value } };
    case "members":
      return { digest: membersDigest(ledger.members.value), object: { kind: "members", value: ledger.members.value } };
    case "code": {
      const manifest = readCodeManifest(ledger.root);
      return { digest: codeDigest(manifest), object: { kind: "code", value: manifest }, manifest };
    }
  }
}

const FIELD: Record<Subject, "rules" | "members" | "code"> = { bylaws: "rules", members: "members", code: "code" };

/** The governance entry that moves `subject` to its working version (the others stay as approved). */
export function governanceDraft(
  ledger: SoundLedger,
  subject: Subject,
  evidence: Evidence | undefined,
  decidedAt: string | undefined,
): Draft {
  const head = ledger.head.decision;
  const w = workingVersion(ledger, subject);
  if (w.digest === head[FIELD[subject]]) {
    const file = subject === "bylaws" ? "governance/rules.yaml" : subject === "members" ? "governance/members.yaml" : "the code";
    throw new InputError(`nothing to record: ${file} is already the version the ledger approved`, `change ${file} first`);
  }
  const at = now().toISOString();
  const record = {
    version: 2 as const,
    kind: subject,
    id: nextDecisionId(ledger, subject, subject === "bylaws" ? "amendment" : "version"),
    project: ledger.project,
    previous: ledger.head.id,
    seen: stackHeads(ledger),
    rules: head.rules,
    members: head.members,
    code: head.code,
    [FIELD[subject]]: w.digest,
    decidedAt: decidedAt ?? at,
    recordedAt: at,
    ...(evidence ? { evidence } : {}),
  } as unknown as Draft["record"];
  return { record, objects: [w.object] };
}

export function standingDraft(ledger: SoundLedger, terms: StandingTerms, evidence: Evidence, decidedAt: string): Draft {
  const head = ledger.head.decision as GovernanceDecision;
  const at = now().toISOString();
  return {
    record: {
      version: 2,
      kind: "standing",
      id: nextDecisionId(ledger, "standing", terms.classes.join("-")),
      project: ledger.project,
      previous: ledger.head.id,
      seen: stackHeads(ledger),
      rules: head.rules,
      members: head.members,
      code: head.code,
      terms,
      evidence,
      decidedAt,
      recordedAt: at,
    },
    objects: [],
  };
}
