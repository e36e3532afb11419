/**
 * The desired-state view (DESIGN §5.1): for every custom resource, its URN, type, name and
 * governed inputs; canonical JSON (RFC 8785) of the whole view, hashed with sha256, is the
 * plan digest a decision approves.
 *
 * Governed inputs are the inputs the program sets, with two kinds of values masked:
 * - secrets, by provenance: a value carrying a config-secret placeholder becomes SECRET, or
 *   `NAME=` + SECRET for `NAME=value` strings such as container env entries, so the entry's
 *   name stays governed while its value never lands in a file, a log or a hash;
 * - values computed from other resources (unknown at preview) become COMPUTED, which records
 *   the path: at `pulumi up` the same value may be known or unknown depending on state.
 * The secret wrapper itself is ignored on purpose: the SDK lifts secretness to whole inputs,
 * so masking by wrapper would hide plain values sitting beside a secret.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

export const SECRET = "<secret>";
export const COMPUTED = "<computed>";
export const VIEW_VERSION = 1;

/** Wire encodings (shared with the engine and the policy SDK). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWNS = new Set([
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (and the SDK's generic unknown)
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface GovernedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly inputs: JsonObject;
}

export interface DesiredStateView {
  readonly version: number;
  readonly project: string;
  readonly stack: string;
  /** Sorted by URN. */
  readonly resources: GovernedResource[];
}

export interface ResourceRegistration {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
}

export function isUnknown(v: unknown): boolean {
  return typeof v === "string" && UNKNOWNS.has(v);
}

export function isWireSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

const ENV_ENTRY = /^([A-Za-z_][A-Za-z0-9_.-]*)=/;

export class ReservedMarkerError extends Error {}

/** Masks one serialized value. `placeholders` are the config-secret placeholders of this run. */
export function governedValue(v: unknown, placeholders: readonly string[], path = ""): Json {
  if (isUnknown(v)) return COMPUTED;
  if (isWireSecret(v)) return governedValue(v.value, placeholders, path);
  if (typeof v === "string") {
    if (placeholders.some((p) => v.includes(p))) {
      const m = ENV_ENTRY.exec(v);
      return m ? `${m[1]}=${SECRET}` : SECRET;
    }
    if (isMarker(v)) throw new ReservedMarkerError(`the input at ${path || "(root)"} holds the text '${v}', which the governed view reserves for masked values`);
    return v;
  }
  if (v === null || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map((x, i) => governedValue(x, placeholders, `${path}[${i}]`));
  if (typeof v === "object") {
    const out: JsonObject = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined) continue;
      out[k] = governedValue(x, placeholders, path ? `${path}.${k}` : k);
    }
    return out;
  }
  return String(v);
}

/** Whether a string is one of the view's markers (SECRET, COMPUTED, or NAME=SECRET). */
export function isMarker(s: string): boolean {
  return s === SECRET || s === COMPUTED || (s.endsWith(`=${SECRET}`) && ENV_ENTRY.test(s) && s.indexOf("=") === s.length - SECRET.length - 1);
}

export function buildView(project: string, stack: string, registrations: readonly ResourceRegistration[], placeholders: readonly string[]): DesiredStateView {
  const resources = registrations
    .filter((r) => r.custom)
    .map((r) => ({ urn: r.urn, type: r.type, name: r.name, inputs: governedValue(r.inputs, placeholders) as JsonObject }))
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  const seen = new Set<string>();
  for (const r of resources) {
    if (seen.has(r.urn)) throw new Error(`two resources share the URN ${r.urn}`);
    seen.add(r.urn);
  }
  return { version: VIEW_VERSION, project, stack, resources };
}

/** RFC 8785 canonical JSON. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error("canonicalJson: value is not representable as JSON");
  return text;
}

export function sha256Hex(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The plan digest: sha256 of the canonical view. */
export function viewDigest(view: DesiredStateView): string {
  return sha256Hex(canonicalJson(view));
}

/** Dotted paths (with [i] for list items) where the value is COMPUTED. */
export function computedPaths(inputs: Json, prefix = ""): string[] {
  if (inputs === COMPUTED) return [prefix];
  if (Array.isArray(inputs)) return inputs.flatMap((x, i) => computedPaths(x, `${prefix}[${i}]`));
  if (inputs && typeof inputs === "object") return Object.keys(inputs).flatMap((k) => computedPaths(inputs[k], prefix ? `${prefix}.${k}` : k));
  return [];
}
