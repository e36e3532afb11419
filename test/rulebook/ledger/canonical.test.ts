import { describe, expect, it } from "vitest";
import { canonicalRecordJson } from "../../../rulebook/ledger/canonical";
import { canonicalJson, type Json } from "../../../kernel/json";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const LEAVES: Json[] = [
  null,
  true,
  false,
  0,
  -0,
  1,
  -1,
  0.1,
  1e21,
  1e-7,
  5e-324,
  2 ** 53,
  123456789.125,
  "",
  "a",
  "é",
  "😀",
  "\u0000\u001f",
  '"\\',
  "\u2028\u2029",
  "\ud7ff",
  "z",
  "Z",
  "10",
  "9",
  "ä",
  "aa",
];

function value(r: () => number, depth: number): Json {
  const p = r();
  if (depth > 3 || p < 0.5) return LEAVES[Math.floor(r() * LEAVES.length)];
  if (p < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  const o: Record<string, Json> = {};
  for (let i = 0; i < Math.floor(r() * 6); i++) o[String(LEAVES[Math.floor(r() * LEAVES.length)])] = value(r, depth + 1);
  return o;
}

describe("canonical JSON of records", () => {
  it("is byte for byte the `canonicalize` package's RFC 8785 output (2,000 random values)", () => {
    const r = rng(99);
    for (let i = 0; i < 2000; i++) {
      const v = value(r, 0);
      expect(canonicalRecordJson(v)).toBe(canonicalJson(v));
    }
  });
});
