/**
 * Comparing the inputs the engine is about to apply with the approved lock's governed inputs.
 * Pure: the resource policy feeds it what the engine sent; tests feed it directly.
 *
 * What counts as equal, path by path (L = the lock's value, A = the actual input):
 * - L is COMPUTED: A may be anything (at `pulumi up` the value may be known from state) —
 *   except in the offline gate, where the program is run from scratch and a computed value is
 *   always unknown: a literal there means the program now sets the value itself.
 * - L is a template (text with SECRET / GENERATED markers, e.g. `DB_PASS=<generated-secret>`
 *   or `user:<secret>@host`): A must be text whose literal parts are exactly L's, each marker
 *   covering some substring; L wholly a marker: A may be any value.
 * - A is unknown: accepted only where L records the value as computed: COMPUTED, or a template
 *   with a GENERATED marker outside the offline gate (at a first deploy's preview the engine has
 *   not generated the secret yet, so the whole string is unknown). Anywhere else a violation
 *   (never the SDK's advisory downgrade); a config secret (SECRET) is known at every preview.
 * - A key in A but not in L is a new input, unless the provider's Check added it as a default
 *   (listed in `__defaults` at that level) — and a default never hides a key the lock sets.
 */
import { COMPUTED, GENERATED, SECRET, isUnknown, isWireSecret } from "./view";
import type { Json } from "../kernel/json";

export interface LockMismatch {
  readonly path: string;
  readonly kind: "changed" | "added" | "removed" | "unknown" | "literal-at-computed" | "plaintext-at-secret";
  readonly approved?: Json;
  readonly proposed?: unknown;
  /** The proposed value is already reduced to what may be shown (an env entry's name). */
  readonly redacted?: true;
}

export interface CompareOptions {
  /** Keys the provider defaulted at the top level (the engine strips the top-level __defaults). */
  readonly topLevelDefaults?: readonly string[];
  /** The offline gate: computed paths must still be unknown. */
  readonly strictComputed?: boolean;
  /** Top-level inputs the view does not govern (view.ts ungovernedInputs: a dynamic resource's serialized provider). */
  readonly ungoverned?: readonly string[];
}

const DEFAULTS_KEY = "__defaults";
const SECRET_MARKERS = new RegExp(`${SECRET}|${GENERATED}`);

export function compareWithLock(
  approved: { [k: string]: Json },
  actual: Record<string, unknown>,
  opts: CompareOptions = {},
): LockMismatch[] {
  const out: LockMismatch[] = [];
  const skip = opts.ungoverned ?? [];
  const governed = skip.length ? Object.fromEntries(Object.entries(actual).filter(([k]) => !skip.includes(k) || k in approved)) : actual;
  compareObject(approved, governed, "", opts.topLevelDefaults, opts, out);
  return out;
}

function compareValue(l: Json, a: unknown, path: string, opts: CompareOptions, out: LockMismatch[]): void {
  if (l === COMPUTED) {
    if (opts.strictComputed && !isUnknown(a)) out.push({ path, kind: "literal-at-computed", approved: l, proposed: a });
    return;
  }
  if (isUnknown(a)) {
    if (!opts.strictComputed && typeof l === "string" && l.includes(GENERATED)) return;
    out.push({ path, kind: "unknown", approved: l });
    return;
  }
  if (l === SECRET || l === GENERATED) return;
  if (typeof l === "string" && SECRET_MARKERS.test(l)) {
    if (!(typeof a === "string" && matchesTemplate(l, a)))
      out.push({ path, kind: "changed", approved: l, proposed: redact(a), redacted: true });
    return;
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

function compareObject(
  l: { [k: string]: Json },
  a: Record<string, unknown>,
  path: string,
  defaults: readonly string[] | undefined,
  opts: CompareOptions,
  out: LockMismatch[],
): void {
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

/** A template split into literal parts and the markers between them (cached: the same locks are read all run). */
const templateParts = new Map<string, { literals: string[]; markers: string[] }>();
const MARKER_SPLIT = new RegExp(`(${SECRET}|${GENERATED})`);

function partsOf(template: string): { literals: string[]; markers: string[] } {
  let hit = templateParts.get(template);
  if (!hit) {
    const pieces = template.split(MARKER_SPLIT);
    hit = { literals: pieces.filter((_, i) => i % 2 === 0), markers: pieces.filter((_, i) => i % 2 === 1) };
    templateParts.set(template, hit);
  }
  return hit;
}

/**
 * What a marker inside a longer text may cover. Never a line break: otherwise the marker at
 * the end of one line of a file (a password hash) could swallow whole lines added after it.
 * A generated secret (letters, digits, hex, base64, crypt's alphabet) holds no white space at all.
 */
const FORBIDDEN: Readonly<Record<string, RegExp>> = { [SECRET]: /[\r\n]/, [GENERATED]: /\s/ };

/**
 * Whether `a` is the template with each marker replaced by a substring it may cover: the first
 * literal part is a prefix, the last a suffix, and the ones between occur in order in what is
 * left. Taking each at its first occurrence is exact: a later one leaves less room after it
 * and makes the covered text only longer.
 */
export function matchesTemplate(template: string, a: string): boolean {
  const { literals, markers } = partsOf(template);
  if (markers.length === 0) return a === template;
  const first = literals[0];
  const last = literals[literals.length - 1];
  if (a.length < first.length + last.length || !a.startsWith(first) || !a.endsWith(last)) return false;
  const end = a.length - last.length;
  let at = first.length;
  for (let k = 0; k < markers.length; k++) {
    const next = k + 1 < literals.length - 1 ? literals[k + 1] : undefined;
    const i = next === undefined ? end : a.indexOf(next, at);
    if (i < 0 || i > end || (next !== undefined && i + next.length > end)) return false;
    if (FORBIDDEN[markers[k]].test(a.slice(at, i))) return false;
    at = next === undefined ? end : i + next.length;
  }
  return true;
}

function sameScalar(l: Json, a: unknown): boolean {
  return l === a;
}

/** Values compared against a secret template are never echoed back: an env entry keeps its name. */
function redact(a: unknown): unknown {
  if (isUnknown(a)) return a;
  return typeof a === "string" && /^[A-Za-z_][A-Za-z0-9_.-]*=/.test(a) ? `${a.slice(0, a.indexOf("="))}=…` : "…";
}

/**
 * Paths the lock approved as (holding) a secret whose value now arrives without any secret
 * wrapper at or above it: whatever matches the template there was written in clear. The
 * wrapper is lifted to whole inputs, so its presence proves little, but its absence proves
 * the value holds no secret at all. `raw` is the wire-encoded input the engine sent.
 */
export function secretsArrivingPlain(approved: { [k: string]: Json }, raw: Record<string, unknown> | undefined): LockMismatch[] {
  if (!raw) return [];
  const out: LockMismatch[] = [];
  const walk = (l: Json, a: unknown, path: string): void => {
    if (isWireSecret(a) || a === undefined || isUnknown(a)) return;
    if (typeof l === "string") {
      if (SECRET_MARKERS.test(l) && typeof a === "string") out.push({ path, kind: "plaintext-at-secret", approved: l });
      return;
    }
    if (Array.isArray(l)) {
      if (Array.isArray(a))
        l.forEach((x, i) => {
          walk(x, a[i], `${path}[${i}]`);
        });
      return;
    }
    if (l !== null && typeof l === "object" && a !== null && typeof a === "object" && !Array.isArray(a)) {
      for (const k of Object.keys(l)) walk(l[k], (a as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
    }
  };
  walk(approved, raw, "");
  return out;
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
    case "plaintext-at-secret":
      return `${m.path}: approved as ${show(m.approved)}, a secret → now a plaintext value written in the program`;
    case "literal-at-computed":
      return `${m.path}: approved as computed from another resource → now set by the program to ${show(m.proposed)}`;
    default:
      return `${m.path}: ${show(m.approved)} → ${show(m.proposed)}`;
  }
}
