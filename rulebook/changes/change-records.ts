/**
 * A change between two approved states, resource by resource, with the old and new value of
 * every changed path: what the classes of change and the major-upgrade rules look at.
 */
import type { Change } from "../../plan/diff";
import type { Json } from "../../kernel/json";

export interface ChangeRecord {
  readonly urn: string;
  readonly op: "create" | "update" | "delete";
  readonly paths?: ReadonlyArray<{ readonly path: string; readonly old?: Json; readonly new?: Json }>;
}

export function changeRecordsOf(changes: readonly Change[]): ChangeRecord[] {
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
