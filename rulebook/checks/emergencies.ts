/**
 * Emergency changes and their ratification. An emergency is ratified only by a later decision
 * of its stack's chain that names it (a change or a ratification) and is itself valid; until
 * then it is flagged, and after its deadline — counted from its recording, by the bylaws at its
 * place — the flag stops every deploy.
 */
import type { Finding } from "../findings";
import type { Ledger } from "../ledger/load";
import { type EmergencyDecision, ratifiedIds, type StackDecision } from "../records/decision";
import { type L, stackChain } from "./chains";
import { base, voteAgain } from "./common";
import { emergencyDeadline, recordFindings } from "./record";

export interface EmergencyStatus {
  readonly emergency: L<EmergencyDecision>;
  readonly deadline?: Date;
  /** Later decisions of the chain that name it, with their errors. */
  readonly tried: ReadonlyArray<{ readonly r: L<StackDecision>; readonly errors: Finding[] }>;
  readonly ratified: boolean;
}

export function emergencyStatuses(ledger: Ledger, stack: string): EmergencyStatus[] {
  const order = stackChain(ledger, stack).order;
  const out: EmergencyStatus[] = [];
  order.forEach((d, i) => {
    if (d.decision.kind !== "emergency") return;
    const e = d as L<EmergencyDecision>;
    const naming = order.slice(i + 1).filter((r) => ratifiedIds(r.decision).includes(e.id));
    const tried = naming.map((r) => ({ r, errors: recordFindings(ledger, r).filter((f) => f.level === "error") }));
    out.push({ emergency: e, deadline: emergencyDeadline(ledger, e), tried, ratified: tried.some((t) => t.errors.length === 0) });
  });
  return out;
}

/** The stack's emergency changes that no decision has ratified yet, oldest first (a proposal must name them all). */
export function pendingEmergencies(ledger: Ledger, stack: string): Array<L<EmergencyDecision>> {
  return emergencyStatuses(ledger, stack)
    .filter((s) => !s.ratified && !s.tried.some((t) => t.errors.every((f) => f.code === "signatures-insufficient")))
    .map((s) => s.emergency);
}

export function emergencyFindings(ledger: Ledger, stack: string, now: Date): Finding[] {
  const findings: Finding[] = [];
  for (const { emergency: e, deadline, tried, ratified } of emergencyStatuses(ledger, stack)) {
    if (ratified) continue;
    const by = deadline ? deadline.toISOString() : "its deadline";
    const overdue = deadline !== undefined && now.getTime() > deadline.getTime();
    const why = tried.length ? `; its ratification '${tried[0].r.id}' does not count yet: ${tried[0].errors[0].message}` : "";
    findings.push({
      ...base(e),
      code: overdue ? "emergency-overdue" : "emergency-unratified",
      level: overdue ? "error" : "warning",
      message: overdue
        ? `emergency change '${e.id}' (${e.decision.reason}) was not ratified by ${by}${why}`
        : `emergency change '${e.id}' (${e.decision.reason}) awaits ratification by ${by}${why}`,
      remediation: tried.length
        ? `make '${tried[0].r.id}' count: coop verify lists what it lacks (a missing signature: coop sign ${tried[0].r.id} --key <key>)`
        : `the members ratify it: ${voteAgain(e.decision)} (the proposal names every emergency change awaiting ratification)`,
    });
  }
  return findings;
}
