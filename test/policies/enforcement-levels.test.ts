/**
 * One mapping between level names and the analyzer protocol's numbers, for the pack's engine tap
 * and the gate; it must be the proto's own.
 */
import { describe, expect, it } from "vitest";
import { ENFORCEMENT_LEVELS, isEnforcementLevel, levelNumber, levelOfNumber } from "../../policies/support/enforcement-levels";

const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb") as { EnforcementLevel: Record<string, number> };

describe("enforcement levels", () => {
  it("are every level of the analyzer protocol, by its numbers", () => {
    const proto = Object.fromEntries(Object.entries(analyzerPb.EnforcementLevel).map(([k, v]) => [k.toLowerCase(), v]));
    expect(Object.fromEntries(ENFORCEMENT_LEVELS.map((l) => [l, levelNumber(l)]))).toEqual(proto);
    for (const l of ENFORCEMENT_LEVELS) expect(levelOfNumber(levelNumber(l))).toBe(l);
  });

  it("know no other names or numbers", () => {
    expect(levelOfNumber(99)).toBeUndefined();
    expect(isEnforcementLevel("warn")).toBe(false);
    expect(isEnforcementLevel("toString")).toBe(false);
    expect(isEnforcementLevel("mandatory")).toBe(true);
  });
});
