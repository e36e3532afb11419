import { describe, expect, it } from "vitest";
import { compareWithLock, describeMismatch, matchesTemplate, secretsArrivingPlain } from "../../plan/lock-compare";
import { COMPUTED, GENERATED, SECRET } from "../../plan/view";

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
    expect(compareWithLock({ serverType: "cx33" }, { serverType: UNKNOWN })).toEqual([
      { path: "serverType", kind: "unknown", approved: "cx33" },
    ]);
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

  it("matches a template only where its literal parts match exactly and each marker covers a substring", () => {
    const t = `postgres://mastodon:${GENERATED}@db/mastodon`;
    expect(matchesTemplate(t, "postgres://mastodon:pw@db/mastodon")).toBe(true);
    expect(matchesTemplate(t, "postgres://mastodon:pw@203.0.113.66/mastodon")).toBe(false);
    expect(matchesTemplate(`a${SECRET}b${GENERATED}c`, "a1b2c")).toBe(true);
    expect(matchesTemplate(`a${SECRET}b${GENERATED}c`, "a1c")).toBe(false);
    expect(matchesTemplate(`ab${SECRET}ba`, "aba")).toBe(false); // prefix and suffix may not overlap
    // A marker never covers a line break, so no line can hide behind the secret at the end of another.
    expect(matchesTemplate(`x:${SECRET}\n`, "x:p w\n")).toBe(true);
    expect(matchesTemplate(`x:${SECRET}\n`, "x:pw\nintruder:pw2\n")).toBe(false);
    expect(matchesTemplate(`# h\nada|${GENERATED}\n`, "# h\nada|h1\nintruder|h2\n")).toBe(false);
    expect(matchesTemplate(`K=${GENERATED}`, "K=a b")).toBe(false);
    expect(matchesTemplate(`# h\nada|$6$${GENERATED}$${GENERATED}\n`, "# h\nintruder|$6$s$h\nada|$6$s$h\n")).toBe(false);
  });

  it("refuses a changed entry built around a secret, and never echoes the value", () => {
    const [m] = compareWithLock(
      { envs: [`DB_PASS=${GENERATED}`] },
      { envs: ["DATABASE_URL=postgres://mastodon:hunter2@203.0.113.66/mastodon"] },
    );
    expect(m).toMatchObject({ path: "envs[0]", kind: "changed", approved: `DB_PASS=${GENERATED}`, proposed: "DATABASE_URL=…" });
    expect(JSON.stringify(m)).not.toContain("hunter2");
    expect(compareWithLock({ envs: [`DB_PASS=${GENERATED}`] }, { envs: ["DB_PASS=hunter2"] })).toEqual([]);
  });

  it("accepts a wholly unknown value at a first deploy's preview only where the lock records a generated secret", () => {
    // At a first deploy the engine has not generated the password: the whole entry is unknown.
    expect(compareWithLock({ envs: [`DB_PASS=${GENERATED}`] }, { envs: [UNKNOWN] })).toEqual([]);
    // A config secret is known at every preview, and the offline gate knows generated ones too.
    expect(compareWithLock({ f: `co:${SECRET}` }, { f: UNKNOWN })).toEqual([{ path: "f", kind: "unknown", approved: `co:${SECRET}` }]);
    expect(compareWithLock({ envs: [`DB_PASS=${GENERATED}`] }, { envs: [UNKNOWN] }, { strictComputed: true })).toEqual([
      { path: "envs[0]", kind: "unknown", approved: `DB_PASS=${GENERATED}` },
    ]);
    expect(compareWithLock({ envs: ["PLAIN=1"] }, { envs: [UNKNOWN] })).toEqual([
      { path: "envs[0]", kind: "unknown", approved: "PLAIN=1" },
    ]);
  });

  it("refuses a value approved as a secret that arrives without any secret wrapper", () => {
    const wire = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
    const approved = { password: GENERATED, envs: [`PW=${SECRET}`, "PLAIN=1"] };
    expect(secretsArrivingPlain(approved, { password: wire("x"), envs: wire(["PW=x", "PLAIN=1"]) })).toEqual([]);
    expect(
      secretsArrivingPlain(approved, { password: "hunter2", envs: ["PW=hunter2", "PLAIN=1"] }).map((m) => `${m.kind} ${m.path}`),
    ).toEqual(["plaintext-at-secret password", "plaintext-at-secret envs[0]"]);
    expect(describeMismatch(secretsArrivingPlain(approved, { password: "hunter2" })[0])).not.toContain("hunter2");
  });
});
