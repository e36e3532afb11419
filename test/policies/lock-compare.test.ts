import { describe, expect, it } from "vitest";
import { compareWithLock, describeMismatch } from "../../policies/lock-compare";
import { COMPUTED, SECRET } from "../../policies/view";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("comparing inputs with the approved lock", () => {
  it("accepts identical inputs (a compliant baseline)", () => {
    expect(compareWithLock({ a: 1, b: ["x", { c: true }], d: null }, { a: 1, b: ["x", { c: true }], d: null })).toEqual([]);
  });

  it("reports a changed value, old → new", () => {
    const [m] = compareWithLock({ serverType: "cx33" }, { serverType: "cx43" });
    expect(m).toEqual({ path: "serverType", kind: "changed", approved: "cx33", proposed: "cx43" });
    expect(describeMismatch(m)).toBe('serverType: "cx33" → "cx43"');
  });

  it("reports added and removed inputs and list items", () => {
    expect(compareWithLock({ a: [1, 2] }, { a: [1], b: 3 }).map((m) => `${m.kind} ${m.path}`)).toEqual(["removed a[1]", "added b"]);
  });

  it("accepts anything at a computed path at deploy time, but only unknown in the offline gate", () => {
    expect(compareWithLock({ ip: COMPUTED }, { ip: "203.0.113.10" })).toEqual([]);
    expect(compareWithLock({ ip: COMPUTED }, { ip: UNKNOWN }, { strictComputed: true })).toEqual([]);
    expect(compareWithLock({ ip: COMPUTED }, { ip: "203.0.113.10" }, { strictComputed: true })).toEqual([
      { path: "ip", kind: "literal-at-computed", approved: COMPUTED, proposed: "203.0.113.10" },
    ]);
  });

  it("refuses an unknown value where the lock records a literal", () => {
    expect(compareWithLock({ serverType: "cx33" }, { serverType: UNKNOWN })).toEqual([{ path: "serverType", kind: "unknown", approved: "cx33" }]);
  });

  it("accepts any value for a secret, but keeps an env entry's name governed, without echoing the value", () => {
    expect(compareWithLock({ envs: [`PW=${SECRET}`, SECRET] }, { envs: ["PW=hunter2", "anything"] })).toEqual([]);
    const [m] = compareWithLock({ envs: [`PW=${SECRET}`] }, { envs: ["ADMIN_PW=hunter2"] });
    expect(m.kind).toBe("changed");
    expect(JSON.stringify(m)).not.toContain("hunter2");
  });

  it("ignores provider defaults listed in __defaults, at the top level and nested", () => {
    expect(compareWithLock({ name: "n" }, { name: "n", keepDisk: false }, { topLevelDefaults: ["keepDisk"] })).toEqual([]);
    expect(compareWithLock({ ports: [{ internal: 80 }] }, { ports: [{ internal: 80, ip: "0.0.0.0", __defaults: ["ip"] }] })).toEqual([]);
  });

  it("never lets __defaults hide a value the lock sets", () => {
    expect(compareWithLock({ deleteProtection: true }, { deleteProtection: false }, { topLevelDefaults: ["deleteProtection"] })).toEqual([
      { path: "deleteProtection", kind: "changed", approved: true, proposed: false },
    ]);
  });

  it("treats an undeclared extra input as new when no defaults list explains it", () => {
    expect(compareWithLock({ name: "n" }, { name: "n", keepDisk: false })).toEqual([{ path: "keepDisk", kind: "added", proposed: false }]);
  });
});
