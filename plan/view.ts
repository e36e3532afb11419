/**
 * The desired-state view (DESIGN §5.1): for every custom resource, its URN, type, name and
 * governed inputs; canonical JSON (RFC 8785) of the whole view, hashed with sha256, is the
 * plan digest a decision approves.
 *
 * Governed inputs are the inputs the program sets, with two kinds of values masked, by
 * provenance (the secret wrapper is ignored on purpose: the SDK lifts secretness to whole
 * inputs, so masking by wrapper would hide plain values sitting beside a secret):
 * - secrets: offline, config secrets and generated secret outputs (random passwords and
 *   bytes, private keys, any output a resource marks secret) are per-run placeholders; only
 *   the placeholder substring is masked, as SECRET (config) or GENERATED (generated), so the
 *   text around it (`DB_PASS=`, `user:…@host`, the lines of a file) stays governed. Text
 *   derived from a secret (a hash, a key parsed from a PEM) is found by comparing with a second
 *   run whose placeholders differ, and masked as GENERATED;
 * - values computed from other resources (unknown at preview) become COMPUTED, which records
 *   the path: at `pulumi up` the same value may be known or unknown depending on state.
 * GENERATED also records that the whole value may be unknown at a first deploy's preview
 * (the engine has not generated the secret yet); SECRET does not (config is always known).
 */
import { canonicalJson, sha256Hex, type Json, type JsonObject } from "../kernel/json";
import { isUnknown, isWireSecret } from "../kernel/pulumi-wire";

/** A substring from a config secret: known at every preview. */
export const SECRET = "<secret>";
/** A substring from (or derived from) a generated secret: unknown at a first deploy's preview. */
export const GENERATED = "<generated-secret>";
/** A whole value computed from other resources (unknown offline). */
export const COMPUTED = "<computed>";
// Still 1: the lead bumps it with the ledger regeneration (synthetic locks in test helpers spell 1).
export const VIEW_VERSION = 1;

/**
 * Inputs that are code, not desired state: a dynamic resource carries its provider serialized
 * into text (`__provider`, thousands of characters of the provider's source). That code is the
 * repository's, governed by the code digest like every component; recording it here would make
 * every lock depend on the SDK's serializer and bury the decided values in a proposal.
 */
export const DYNAMIC_PROVIDER_KEY = "__provider";
export function ungovernedInputs(type: string): readonly string[] {
  return type.startsWith("pulumi-nodejs:dynamic") ? [DYNAMIC_PROVIDER_KEY] : [];
}

export interface GovernedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The provider the engine hands the resource to (its URN), for custom resources other than providers. */
  readonly provider?: string;
  readonly inputs: JsonObject;
  /** For computed paths: the outputs of other resources the value is made of (see computedSources). */
  readonly sources?: { [path: string]: ComputedSource };
}

/** An output of another resource: `id`, or an output property. */
export interface OutputRef {
  readonly urn: string;
  readonly output: string;
}

/**
 * What a value computed at preview is made of: literal text and other resources' outputs, in
 * order (`ssh://coop@` + the IP's address), or one output converted to a number (an ID).
 */
export interface ComputedSource {
  readonly parts: Array<string | OutputRef>;
  readonly number?: true;
}

export interface DesiredStateView {
  readonly version: number;
  readonly project: string;
  readonly stack: string;
  /** Sorted by URN. */
  readonly resources: GovernedResource[];
}

/** The same resource's registration in a second offline run with other placeholders (see buildView). */
export interface TwinRegistration {
  readonly inputs: Record<string, unknown>;
  /** That run's config-secret and generated-secret placeholders. */
  readonly config: readonly string[];
  readonly generated: readonly string[];
  /** The recognisable values that run answered for other resources' outputs (value → output). */
  readonly traced?: ReadonlyArray<readonly [string, OutputRef]>;
}

export interface ResourceRegistration {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
  /** Provider URN, explicit or the engine's default one. */
  readonly providerUrn?: string;
  /** Placeholders the offline run answered for this resource's generated secret outputs. */
  readonly generatedOutputs?: Readonly<Record<string, string>>;
  readonly twin?: TwinRegistration;
}

/** The engine's markers, read where the view is (the policies read them through here too). */
export { isUnknown, isWireSecret } from "../kernel/pulumi-wire";

export class ReservedMarkerError extends Error {}

/** The placeholders of one offline run, by kind (a config secret is known at any preview, a generated one is not). */
export interface Placeholders {
  readonly config: readonly string[];
  readonly generated: readonly string[];
}

const MARKERS = [SECRET, GENERATED, COMPUTED] as const;

/** Whether a string holds one of the view's markers anywhere (program text may not). */
export function containsMarker(s: string): boolean {
  return MARKERS.some((m) => s.includes(m));
}

/** Whether a string is exactly one marker. */
export function isMarker(s: string): boolean {
  return (MARKERS as readonly string[]).includes(s);
}

/**
 * Replaces each placeholder substring with its marker, keeping the text around it: the
 * template `DB_PASS=<generated-secret>` or `user:<secret>@host` stays governed, only the
 * secret part is masked. Longest placeholders first, in case one contains another.
 */
export function maskPlaceholders(s: string, ph: Placeholders): string {
  const all = [...ph.config.map((p) => [p, SECRET] as const), ...ph.generated.map((p) => [p, GENERATED] as const)].sort(
    (a, b) => b[0].length - a[0].length,
  );
  let out = s;
  for (const [p, marker] of all) if (out.includes(p)) out = out.split(p).join(marker);
  return out;
}

/**
 * Masks one serialized value by provenance: placeholder substrings become markers, unknowns
 * COMPUTED, anything else stays as it is. `twin` is the same value from a run with other
 * placeholders: where the two still differ after masking, the text was derived from a secret
 * (a hash, a key parsed from a PEM) and is masked too (see deriveTemplate).
 */
export function governedValue(
  v: unknown,
  placeholders: readonly string[] | Placeholders,
  path = "",
  twin?: { value: unknown; placeholders: Placeholders },
): Json {
  const ph: Placeholders = Array.isArray(placeholders) ? { config: placeholders, generated: [] } : (placeholders as Placeholders);
  return mask(v, ph, path, twin ? { has: true, value: twin.value } : { has: false, value: undefined }, twin?.placeholders ?? ph);
}

function mask(v: unknown, ph: Placeholders, path: string, twin: { has: boolean; value: unknown }, twinPh: Placeholders): Json {
  if (isUnknown(v)) return COMPUTED;
  if (isWireSecret(v))
    return mask(v.value, ph, path, { has: twin.has, value: isWireSecret(twin.value) ? twin.value.value : twin.value }, twinPh);
  if (typeof v === "string") {
    if (containsMarker(v))
      throw new ReservedMarkerError(
        `the input at ${path || "(root)"} holds the text '${v}', which the governed view reserves for masked values`,
      );
    const own = maskPlaceholders(v, ph);
    if (!twin.has) return own;
    const other = twin.value;
    if (typeof other !== "string" || isUnknown(other)) return GENERATED;
    const theirs = maskPlaceholders(other, twinPh);
    return own === theirs ? own : deriveTemplate(own, theirs);
  }
  if (twin.has && !sameShape(v, twin.value)) return GENERATED; // the shape itself depends on a secret
  if (v === null || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  const sub = (key: string | number) => ({
    has: twin.has,
    value: twin.has ? (twin.value as Record<string | number, unknown>)[key] : undefined,
  });
  if (Array.isArray(v)) return v.map((x, i) => mask(x, ph, `${path}[${i}]`, sub(i), twinPh));
  if (typeof v === "object") {
    const out: JsonObject = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined) continue;
      out[k] = mask(x, ph, path ? `${path}.${k}` : k, sub(k), twinPh);
    }
    return out;
  }
  return String(v);
}

/** Same kind of value, same list length, same keys (values are compared by mask itself). */
function sameShape(a: unknown, b: unknown): boolean {
  const unwrap = (x: unknown) => (isWireSecret(x) ? x.value : x);
  a = unwrap(a);
  b = unwrap(b);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length;
  if (a !== null && typeof a === "object") {
    if (b === null || typeof b !== "object" || Array.isArray(b)) return false;
    const ka = Object.keys(a)
      .filter((k) => (a as Record<string, unknown>)[k] !== undefined)
      .sort();
    const kb = Object.keys(b)
      .filter((k) => (b as Record<string, unknown>)[k] !== undefined)
      .sort();
    return ka.join("\0") === kb.join("\0");
  }
  if (typeof a === "number" || typeof a === "boolean" || a === null) return a === b;
  return true;
}

/**
 * Splits text into tokens at characters that random text (hex, base64, crypt's alphabet,
 * url-safe base64) never contains, so a derived secret stays one token and its pieces can
 * never coincide by chance between two runs; markers are tokens of their own.
 */
const TOKEN = /<secret>|<generated-secret>|<computed>|[\s|$:@,;"'{}()<>[\]&?!*%\\`^~#=]|[^\s|$:@,;"'{}()<>[\]&?!*%\\`^~#=]+/g;

export function tokens(s: string): string[] {
  return s.match(TOKEN) ?? [];
}

/** Above this many token pairs the differing middle is masked whole rather than aligned. */
const MAX_ALIGN = 2_000_000;

/**
 * The template of two masked renderings of the same value: tokens both share (in order) stay
 * literal, every stretch where they differ becomes one GENERATED marker. Deterministic as
 * long as derived text never shares a token between runs, which the tokenizer ensures.
 */
export function deriveTemplate(a: string, b: string): string {
  const x = tokens(a);
  const y = tokens(b);
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const xm = x.slice(pre, x.length - suf);
  const ym = y.slice(pre, y.length - suf);
  const middle = xm.length * ym.length > MAX_ALIGN ? [GENERATED] : alignedTemplate(xm, ym);
  return joinMarkers([...x.slice(0, pre), ...middle, ...x.slice(x.length - suf)]);
}

/** Longest common subsequence of tokens; unmatched stretches (on either side) → one marker. */
function alignedTemplate(x: string[], y: string[]): string[] {
  const n = x.length;
  const m = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  let gap = false;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      if (gap) out.push(GENERATED);
      gap = false;
      out.push(x[i]);
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      gap = true;
      j++;
    } else {
      gap = true;
      i++;
    }
  }
  if (gap) out.push(GENERATED);
  return out;
}

/** Joins tokens, folding markers that ended up side by side into one. */
function joinMarkers(parts: string[]): string {
  const out: string[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (isMarker(p) && p !== COMPUTED && last !== undefined && isMarker(last) && last !== COMPUTED) {
      if (p === GENERATED) out[out.length - 1] = GENERATED; // the stronger claim: may be unknown at a first preview
      continue;
    }
    out.push(p);
  }
  return out.join("");
}

/** Placeholders the offline run answered for generated secret outputs, over all registrations. */
function generatedOf(registrations: readonly ResourceRegistration[]): string[] {
  return registrations.flatMap((r) => Object.values(r.generatedOutputs ?? {}));
}

export function buildView(
  project: string,
  stack: string,
  registrations: readonly ResourceRegistration[],
  placeholders: readonly string[],
): DesiredStateView {
  const ph: Placeholders = { config: placeholders, generated: generatedOf(registrations) };
  const resources = registrations
    .filter((r) => r.custom)
    .map((r) => {
      const twin = r.twin ? { value: r.twin.inputs, placeholders: { config: r.twin.config, generated: r.twin.generated } } : undefined;
      const skip = ungovernedInputs(r.type);
      const own = skip.length ? withoutKeys(r.inputs, skip) : r.inputs;
      const inputs = governedValue(
        own,
        ph,
        "",
        twin && skip.length ? { ...twin, value: withoutKeys(twin.value, skip) } : twin,
      ) as JsonObject;
      const sources = r.twin ? computedSources(inputs, r.twin) : {};
      return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        ...(r.providerUrn ? { provider: r.providerUrn } : {}),
        inputs,
        ...(Object.keys(sources).length > 0 ? { sources } : {}),
      };
    })
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  const seen = new Set<string>();
  for (const r of resources) {
    if (seen.has(r.urn)) throw new Error(`two resources share the URN ${r.urn}`);
    seen.add(r.urn);
  }
  return { version: VIEW_VERSION, project, stack, resources };
}

function withoutKeys(v: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v).filter(([k]) => !keys.includes(k)));
}

/**
 * For each computed path, what the twin run (which answered IDs and addresses with
 * recognisable values) put there: a number equal to an ID, or text made of literal parts and
 * such values. Values holding a secret get no source (the lock never holds secret text), nor
 * do values made of outputs the twin left unknown.
 */
export function computedSources(governed: Json, twin: TwinRegistration): { [path: string]: ComputedSource } {
  const traced = twin.traced ?? [];
  if (traced.length === 0) return {};
  const secrets = [...twin.config, ...twin.generated];
  const out: { [path: string]: ComputedSource } = {};
  for (const path of computedPaths(governed)) {
    const v = rawAt(twin.inputs, path);
    if (v === undefined || v.secret) continue;
    const source = sourceOf(v.value, traced, secrets);
    if (source) out[path] = source;
  }
  return out;
}

function sourceOf(v: unknown, traced: ReadonlyArray<readonly [string, OutputRef]>, secrets: readonly string[]): ComputedSource | undefined {
  if (typeof v === "number") {
    const hit = traced.find(([value]) => Number(value) === v);
    return hit ? { parts: [hit[1]], number: true } : undefined;
  }
  if (typeof v !== "string" || isUnknown(v) || secrets.some((p) => v.includes(p))) return undefined;
  const parts: Array<string | OutputRef> = [];
  let rest = v;
  while (rest.length > 0) {
    let first: { at: number; value: string; ref: OutputRef } | undefined;
    for (const [value, ref] of traced) {
      const at = rest.indexOf(value);
      if (at >= 0 && (!first || at < first.at || (at === first.at && value.length > first.value.length))) first = { at, value, ref };
    }
    if (!first) {
      parts.push(rest);
      break;
    }
    if (first.at > 0) parts.push(rest.slice(0, first.at));
    parts.push(first.ref);
    rest = rest.slice(first.at + first.value.length);
  }
  return parts.some((p) => typeof p !== "string") ? { parts } : undefined;
}

/** The raw value at a dotted path (`a.b[0]`), and whether a secret wraps it or anything above it. */
export function rawAt(raw: unknown, path: string): { value: unknown; secret: boolean } | undefined {
  let v = raw;
  let secret = false;
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (isWireSecret(v)) {
      secret = true;
      v = v.value;
    }
    if (v === null || typeof v !== "object") return undefined;
    v = index !== undefined ? (v as unknown[])[Number(index)] : (v as Record<string, unknown>)[key];
  }
  if (isWireSecret(v)) return { value: v.value, secret: true };
  return v === undefined ? undefined : { value: v, secret };
}

/** A source as text, for plans and messages: `ssh://coop@${host-ipv4.ipAddress}`. */
export function describeSource(s: ComputedSource): string {
  const text = s.parts.map((p) => (typeof p === "string" ? p : `\${${p.urn.split("::").pop()}.${p.output}}`)).join("");
  return s.number ? `number(${text})` : text;
}

/** The plan digest: sha256 of the canonical view. */
export function viewDigest(view: DesiredStateView): string {
  return sha256Hex(canonicalJson(view));
}

/** Dotted paths (with [i] for list items) where the value is COMPUTED. */
export function computedPaths(inputs: Json, prefix = ""): string[] {
  if (inputs === COMPUTED) return [prefix];
  if (Array.isArray(inputs)) return inputs.flatMap((x, i) => computedPaths(x, `${prefix}[${i}]`));
  if (inputs && typeof inputs === "object")
    return Object.keys(inputs).flatMap((k) => computedPaths(inputs[k], prefix ? `${prefix}.${k}` : k));
  return [];
}
