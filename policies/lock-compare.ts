/**
 * Comparing the inputs the engine is about to apply with the approved lock's governed inputs.
 * Pure: the resource policy feeds it what the engine sent; tests feed it directly.
 *
 * What counts as equal, path by path (L = the lock's value, A = the actual input):
 * - L is COMPUTED: A may be anything (at `pulumi up` the value may be known from state) —
 *   except in the offline gate, where the program is run from scratch and a computed value is
 *   always unknown: a literal there means the program now sets the value itself.
 * - L is SECRET: A may be anything; `NAME=` + SECRET: A must still be a `NAME=…` entry.
 * - A is unknown anywhere else: a violation (never the SDK's advisory downgrade).
 * - A key in A but not in L is a new input, unless the provider's Check added it as a default
 *   (listed in `__defaults` at that level) — and a default never hides a key the lock sets.
 */
import { COMPUTED, SECRET, isUnknown, type Json } from "./view";

export interface LockMismatch {
  readonly path: string;
  readonly kind: "changed" | "added" | "removed" | "unknown" | "literal-at-computed";
  readonly approved?: Json;
  readonly proposed?: unknown;
}

export interface CompareOptions {
  /** Keys the provider defaulted at the top level (the engine strips the top-level __defaults). */
  readonly topLevelDefaults?: readonly string[];
  /** The offline gate: computed paths must still be unknown. */
  readonly strictComputed?: boolean;
}

const DEFAULTS_KEY = "__defaults";
const ENV_SECRET = new RegExp(`^([A-Za-z_][A-Za-z0-9_.-]*)=${SECRET.replace(/[<>]/g, "\\$&")}$`);

export function compareWithLock(approved: { [k: string]: Json }, actual: Record<string, unknown>, opts: CompareOptions = {}): LockMismatch[] {
  const out: LockMismatch[] = [];
  compareObject(approved, actual, "", opts.topLevelDefaults, opts, out);
  return out;
}

function compareValue(l: Json, a: unknown, path: string, opts: CompareOptions, out: LockMismatch[]): void {
  if (l === COMPUTED) {
    if (opts.strictComputed && !isUnknown(a)) out.push({ path, kind: "literal-at-computed", approved: l, proposed: a });
    return;
  }
  if (isUnknown(a)) {
    out.push({ path, kind: "unknown", approved: l });
    return;
  }
  if (l === SECRET) return;
  if (typeof l === "string") {
    const m = ENV_SECRET.exec(l);
    if (m) {
      if (!(typeof a === "string" && a.startsWith(`${m[1]}=`))) out.push({ path, kind: "changed", approved: l, proposed: redact(a) });
      return;
    }
  }
  if (Array.isArray(l)) {
    if (!Array.isArray(a)) {
      out.push({ path, kind: "changed", approved: l, proposed: a });
      return;
    }
    const n = Math.max(l.length, a.length);
    for (let i = 0; i < n; i++) {
      const p = `${path}[${i}]`;
      if (i >= a.length) out.push({ path: p, kind: "removed", approved: l[i] });
      else if (i >= l.length) out.push({ path: p, kind: "added", proposed: a[i] });
      else compareValue(l[i], a[i], p, opts, out);
    }
    return;
  }
  if (l !== null && typeof l === "object") {
    if (a === null || typeof a !== "object" || Array.isArray(a)) {
      out.push({ path, kind: "changed", approved: l, proposed: a });
      return;
    }
    const nested = (a as Record<string, unknown>)[DEFAULTS_KEY];
    compareObject(l, a as Record<string, unknown>, path, Array.isArray(nested) ? (nested as string[]) : undefined, opts, out);
    return;
  }
  if (!sameScalar(l, a)) out.push({ path, kind: "changed", approved: l, proposed: a });
}

function compareObject(l: { [k: string]: Json }, a: Record<string, unknown>, path: string, defaults: readonly string[] | undefined, opts: CompareOptions, out: LockMismatch[]): void {
  const join = (k: string) => (path ? `${path}.${k}` : k);
  for (const k of Object.keys(l)) {
    if (!(k in a) || a[k] === undefined) out.push({ path: join(k), kind: "removed", approved: l[k] });
    else compareValue(l[k], a[k], join(k), opts, out);
  }
  for (const k of Object.keys(a)) {
    if (k === DEFAULTS_KEY || k in l || a[k] === undefined) continue;
    if (defaults?.includes(k)) continue;
    out.push({ path: join(k), kind: "added", proposed: a[k] });
  }
}

function sameScalar(l: Json, a: unknown): boolean {
  return l === a;
}

/** Values compared against a secret marker are never echoed back. */
function redact(a: unknown): unknown {
  return typeof a === "string" && a.includes("=") ? `${a.slice(0, a.indexOf("="))}=…` : "…";
}

/** One line per mismatch, approved → proposed, for a violation message. */
export function describeMismatch(m: LockMismatch): string {
  const show = (v: unknown) => (v === undefined ? "(unset)" : isUnknown(v) ? "(unknown until deployed)" : JSON.stringify(v));
  switch (m.kind) {
    case "added":
      return `${m.path}: not in the approved lock → ${show(m.proposed)}`;
    case "removed":
      return `${m.path}: ${show(m.approved)} → (removed)`;
    case "unknown":
      return `${m.path}: ${show(m.approved)} → a value computed at deploy time, which the lock does not record as computed`;
    case "literal-at-computed":
      return `${m.path}: approved as computed from another resource → now set by the program to ${show(m.proposed)}`;
    default:
      return `${m.path}: ${show(m.approved)} → ${show(m.proposed)}`;
  }
}
