/**
 * The change between two desired-state views (the approved lock and the plan rendered now):
 * resources created, deleted, and updated with the paths that changed, old → new.
 */
import { describeSource, type GovernedResource } from "./view";
import type { Json } from "../kernel/json";

export interface PathChange {
  readonly path: string;
  /** Absent when the path is new. */
  readonly old?: Json;
  /** Absent when the path was removed. */
  readonly new?: Json;
}

export interface Change {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly op: "create" | "update" | "delete";
  /** For updates: the changed paths, in order. */
  readonly paths?: string[];
  readonly details?: PathChange[];
}

export function diffResources(before: readonly GovernedResource[], after: readonly GovernedResource[]): Change[] {
  const old = new Map(before.map((r) => [r.urn, r]));
  const now = new Map(after.map((r) => [r.urn, r]));
  const changes: Change[] = [];
  for (const r of after) {
    const o = old.get(r.urn);
    if (!o) {
      changes.push({ urn: r.urn, type: r.type, name: r.name, op: "create" });
      continue;
    }
    const details = [...providerChange(o, r), ...diffJson(o.inputs, r.inputs, ""), ...sourceChanges(o, r)];
    if (details.length > 0)
      changes.push({ urn: r.urn, type: r.type, name: r.name, op: "update", paths: details.map((d) => d.path), details });
  }
  for (const r of before) {
    if (!now.has(r.urn)) changes.push({ urn: r.urn, type: r.type, name: r.name, op: "delete" });
  }
  const rank = { delete: 0, update: 1, create: 2 };
  return changes.sort((a, b) => rank[a.op] - rank[b.op] || (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
}

/** Shown as a path of its own: which provider (so which server or account) a resource goes to is governed too. */
export const PROVIDER_PATH = "(provider)";

function providerChange(o: GovernedResource, r: GovernedResource): PathChange[] {
  if (o.provider === r.provider) return [];
  return [
    {
      path: PROVIDER_PATH,
      ...(o.provider !== undefined ? { old: o.provider } : {}),
      ...(r.provider !== undefined ? { new: r.provider } : {}),
    },
  ];
}

/**
 * A value computed at preview is `<computed>` in both views, but what it is made of may have
 * changed (`ssh://coop@` + an IP → `ssh://root@` + an IP): shown as `<path> (computed from)`.
 */
function sourceChanges(o: GovernedResource, r: GovernedResource): PathChange[] {
  const before = o.sources ?? {};
  const after = r.sources ?? {};
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return paths
    .filter((p) => JSON.stringify(before[p]) !== JSON.stringify(after[p]))
    .map((p) => ({
      path: `${p} ${SOURCE_SUFFIX}`,
      ...(before[p] ? { old: describeSource(before[p]) } : {}),
      ...(after[p] ? { new: describeSource(after[p]) } : {}),
    }));
}

export const SOURCE_SUFFIX = "(computed from)";

export function diffJson(a: Json | undefined, b: Json | undefined, path: string): PathChange[] {
  if (a === undefined && b === undefined) return [];
  if (a === undefined) return [{ path, new: b }];
  if (b === undefined) return [{ path, old: a }];
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: PathChange[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...diffJson(a[i], b[i], `${path}[${i}]`));
    return out;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffJson(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return sameJson(a, b) ? [] : [{ path, old: a, new: b }];
}

function isObject(v: Json): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sameJson(a: Json, b: Json): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
