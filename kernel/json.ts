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
