/**
 * What a proposal tells the members about the emergency changes it asks them to ratify: why,
 * what changed in plain words, and what it costs per month. The ledger keeps no lock before an
 * emergency, so its cost is found by undoing, from the approved lock back, the changes recorded
 * by every decision since: only top-level inputs set the price, and those are recorded old → new.
 */
import { estimateMonthlyCost } from "../../plan/cost";
import type { Change } from "../../plan/diff";
import type { ChangeRecord, EmergencyDecision, LockDecision } from "../../rulebook/records/decision";
import type { LoadedDecision } from "../../rulebook/ledger/load";
import type { GovernedResource } from "../../plan/view";
import type { JsonObject } from "../../kernel/json";
import type { PriceTable } from "../../plan/prices";

export interface EmergencySummary {
  readonly id: string;
  readonly reason: string;
  readonly recordedAt: string;
  /** The deadline that binds it (its own, or the rules' bound if that is earlier). */
  readonly ratifyBy: string;
  readonly changes: readonly Change[];
  /** Monthly cost before → after the emergency change; null when the record cannot tell (it deleted a billable resource). */
  readonly cost: { readonly before: number; readonly after: number } | null;
}

/** A recorded change as the plain-words renderer takes it. */
export function asChange(c: ChangeRecord): Change {
  const parts = c.urn.split("::");
  const type = (parts[2] ?? "").split("$").pop() ?? "";
  return { urn: c.urn, type, name: parts[3] ?? c.urn, op: c.op, paths: c.paths?.map((p) => p.path), details: c.paths as Change["details"] };
}

const TOP_LEVEL = /^[A-Za-z0-9_$-]+$/;

/** The resources before `changes` were applied, as far as the price depends on them (top-level inputs). */
export function undoChanges(after: readonly GovernedResource[], changes: readonly ChangeRecord[]): GovernedResource[] {
  const byUrn = new Map(after.map((r) => [r.urn, r]));
  for (const c of changes) {
    const r = byUrn.get(c.urn);
    if (c.op === "create") byUrn.delete(c.urn);
    else if (c.op === "update" && r) {
      const inputs: JsonObject = { ...r.inputs };
      for (const p of c.paths ?? []) {
        if (!TOP_LEVEL.test(p.path)) continue; // nested paths (rules, env entries) carry no price
        if (p.old === undefined) delete inputs[p.path];
        else inputs[p.path] = p.old as JsonObject[string];
      }
      byUrn.set(c.urn, { ...r, inputs });
    }
    // A delete's inputs are not recorded: the resource is missing on both sides of every later step.
  }
  return [...byUrn.values()];
}

/** Whether a deleted resource could have cost money (its price is then unknown). */
function deletesBillable(changes: readonly ChangeRecord[]): boolean {
  return changes.some(
    (c) => c.op === "delete" && /[:$]hcloud:index\/(server|volume|primaryIp|storageBox|floatingIp|loadBalancer):/.test(c.urn),
  );
}

/**
 * One summary per emergency in `pending`, in chain order. `order` is the stack's chain, its last
 * decision the one whose state `lockResources` is.
 */
export function emergencySummaries(
  order: readonly LoadedDecision[],
  lockResources: readonly GovernedResource[],
  pending: ReadonlyArray<{ id: string; decision: EmergencyDecision; ratifyBy: string }>,
  table: PriceTable,
): EmergencySummary[] {
  const wanted = new Map(pending.map((p) => [p.id, p]));
  const out: EmergencySummary[] = [];
  let state: readonly GovernedResource[] = lockResources;
  for (let i = order.length - 1; i >= 0 && out.length < wanted.size; i--) {
    const dec = order[i].decision as LockDecision;
    const changes = "changes" in dec ? dec.changes : [];
    const before = undoChanges(state, changes);
    const p = wanted.get(order[i].id);
    if (p) {
      const cost = deletesBillable(changes)
        ? null
        : { before: estimateMonthlyCost(before, table).total, after: estimateMonthlyCost(state, table).total };
      out.push({
        id: p.id,
        reason: p.decision.reason,
        recordedAt: p.decision.recordedAt,
        ratifyBy: p.ratifyBy,
        changes: changes.map(asChange),
        cost,
      });
    }
    state = before;
  }
  return out.reverse();
}
