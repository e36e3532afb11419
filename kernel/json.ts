/**
 * JSON values, their canonical text (RFC 8785, by the \`canonicalize\` package) and sha256: what
 * plan digests, decision signatures and ledger digests are computed over.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** RFC 8785 canonical JSON. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error("canonicalJson: value is not representable as JSON");
  return text;
}

export function sha256Hex(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Reviewable JSON text: keys sorted at every level, two-space indent, a final newline. */
export function stableJsonText(value: unknown): string {
  return `${JSON.stringify(sortKeys(value as Json), null, 2)}\n`;
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}
