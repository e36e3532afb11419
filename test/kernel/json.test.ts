/**
 * Canonical JSON is RFC 8785's: plan digests and the text members sign depend on it byte for
 * byte. The expected texts are the RFC's own examples (§3.2.2 and §3.2.3).
 */
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../kernel/json";

describe("canonicalJson", () => {
  it("serialises primitives as ECMAScript does (RFC 8785 §3.2.2)", () => {
    const input = {
      numbers: [Number("333333333.33333329"), 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
      string: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/",
      literals: [null, true, false],
    };
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts keys by UTF-16 code units (RFC 8785 §3.2.3)", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    const order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"] as const;
    expect(canonicalJson(input)).toBe(`{${order.map((k) => `${JSON.stringify(k)}:${JSON.stringify(input[k])}`).join(",")}}`);
  });

  it("refuses what JSON cannot hold, rather than signing something else", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow();
    expect(() => canonicalJson(undefined)).toThrow(/not representable/);
  });

  it("hashes the same object the same way whatever its key order", () => {
    expect(sha256Hex(canonicalJson({ b: [1, { y: 2, x: 1 }], a: "" }))).toBe(sha256Hex(canonicalJson({ a: "", b: [1, { x: 1, y: 2 }] })));
  });
});
