/**
 * RFC 8785 canonical JSON for decision records: the same text as plan/view.ts
 * canonicalJson (the `canonicalize` package; a test compares them), written for speed because
 * `coop verify` canonicalises every record of the ledger to check its signatures. Primitives
 * are serialised by JSON.stringify (ECMAScript number and string rules, as RFC 8785 requires);
 * object keys are sorted by UTF-16 code units (Array.prototype.sort's default order).
 */
import type { Json } from "../../kernel/json";

export function canonicalRecordJson(value: Json): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error("canonical JSON: numbers must be finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += canonicalRecordJson(value[i] === undefined ? null : value[i]);
    }
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = value[k];
    if (v === undefined) continue;
    if (!first) out += ",";
    out += JSON.stringify(k);
    out += ":";
    out += canonicalRecordJson(v);
    first = false;
  }
  return `${out}}`;
}
