/** The changes a routine or emergency decision keeps, so members can later see what was done. */
import type { Change } from "../../plan/diff";
import type { ChangeRecord } from "../../rulebook/records/decision";

export function changeRecords(changes: readonly Change[]): ChangeRecord[] {
  return changes.map((c) => ({
    urn: c.urn,
    op: c.op,
    ...(c.op === "update"
      ? {
          paths: (c.details ?? []).map((d) => ({
            path: d.path,
            ...(d.old !== undefined ? { old: d.old } : {}),
            ...(d.new !== undefined ? { new: d.new } : {}),
          })),
        }
      : {}),
  }));
}
