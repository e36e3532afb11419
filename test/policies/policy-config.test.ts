/**
 * The policy config is read as `pulumi … --policy-pack-config` reads it (a level string, or
 * properties with `enforcementLevel`; `all` first, named entries over it), and whichever form
 * lowers a governance policy, governance-policy-config-locked refuses it — on every run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  parsePolicyConfig,
  PolicyConfigError,
  reconcilePolicyConfig,
  runGate,
  type GateResult,
  type PolicyConfig,
} from "../../cli/gate/run-gate";
import { makePlan } from "../../cli/plan/planning";
import { GOVERNANCE_POLICY_NAMES } from "../../policies/pack";
import { approvedRepo, type ApprovedRepo } from "../helpers/approved-repo";

describe("parsePolicyConfig", () => {
  it("reads a string as a level and an object as properties with an optional level", () => {
    const parsed = parsePolicyConfig({ all: "advisory", a: { enforcementLevel: "disabled", limit: 3 }, b: { limit: 4 }, c: "mandatory" });
    expect(Object.fromEntries(parsed)).toEqual({
      all: { level: "advisory" },
      a: { level: "disabled", properties: { limit: 3 } },
      b: { properties: { limit: 4 } },
      c: { level: "mandatory" },
    });
  });

  it("drops entries that set nothing, and takes null as no config", () => {
    expect(parsePolicyConfig({ a: {} }).size).toBe(0);
    expect(parsePolicyConfig(null).size).toBe(0);
  });

  it("refuses invalid levels and values that are neither a level nor an object, naming the entry", () => {
    const refuses = (data: unknown, message: RegExp) =>
      expect(() => parsePolicyConfig(data)).toThrow(
        expect.objectContaining({ constructor: PolicyConfigError, message: expect.stringMatching(message) }),
      );
    refuses({ all: "off" }, /entry "all": "off" is not an enforcement level/);
    refuses(
      { "governance-lock-approved": { enforcementLevel: "warn" } },
      /entry "governance-lock-approved": enforcementLevel "warn" is not an enforcement level/,
    );
    refuses({ a: { enforcementLevel: null } }, /entry "a": enforcementLevel null/);
    refuses({ a: 1 }, /entry "a": 1 is not a valid value/);
    refuses({ a: ["disabled"] }, /entry "a": \["disabled"\] is not a valid value/);
    refuses({ a: null }, /entry "a": null is not a valid value/);
    refuses(["all"], /expected a JSON object/);
  });
});

describe("reconcilePolicyConfig", () => {
  const policies = [
    { name: "p", level: "mandatory" as const, defaults: { limit: 1 } },
    { name: "q", level: "advisory" as const, defaults: {} },
  ];
  const levels = (m: Map<string, { level: string }>) => Object.fromEntries([...m].map(([k, v]) => [k, v.level]));

  it("applies `all` to every policy first, then the named entries over it, in any order", () => {
    expect(levels(reconcilePolicyConfig(policies, [parsePolicyConfig({ q: "mandatory", all: "disabled" })]))).toEqual({
      p: "disabled",
      q: "mandatory",
      all: "disabled",
    });
  });

  it("keeps schema defaults under the given properties", () => {
    const r = reconcilePolicyConfig(policies, [parsePolicyConfig({ p: { limit: 5, extra: true } })]);
    expect(r.get("p")).toEqual({ level: "mandatory", properties: { limit: 5, extra: true } });
  });

  it("refuses an entry that names no policy and sets no level, as the CLI does", () => {
    expect(() => reconcilePolicyConfig(policies, [parsePolicyConfig({ typo: { limit: 2 } })])).toThrow(
      /entry "typo" names no policy of the pack and sets no enforcement level/,
    );
  });
});

describe("the gate refuses config lowering a governance policy, in every form", () => {
  const STACK = "example";
  let repo: ApprovedRepo;
  let gate: (config: PolicyConfig) => Promise<GateResult>;

  beforeAll(async () => {
    repo = await approvedRepo([STACK]);
    const plan = await makePlan(repo.root, STACK);
    gate = (config) => runGate(repo.root, plan.run, config);
  });
  afterAll(() => repo.cleanup());

  const locked = (r: GateResult) =>
    r.violations.filter((v) => v.policy === "governance-policy-config-locked" && v.level === "mandatory").map((v) => v.message);

  // Whether the example otherwise passes is the lock's business (test/cli/gate/baseline.test.ts).
  it("no config, or one lowering only baseline policies, is not refused", async () => {
    expect(locked(await gate({}))).toEqual([]);
    const baselineOnly = await gate({ all: "advisory", ...Object.fromEntries([...GOVERNANCE_POLICY_NAMES].map((n) => [n, "mandatory"])) });
    expect(locked(baselineOnly)).toEqual([]);
    // The baseline policies did run at the lowered level: nothing of theirs is mandatory.
    expect(baselineOnly.violations.filter((v) => v.level === "mandatory" && !GOVERNANCE_POLICY_NAMES.has(v.policy))).toEqual([]);
  });

  it('{"all":"disabled"} lowers every governance policy: each is named', async () => {
    const r = await gate({ all: "disabled" });
    expect(r.passed).toBe(false);
    for (const name of GOVERNANCE_POLICY_NAMES) expect(locked(r)).toContainEqual(expect.stringContaining(`run ${name} as 'disabled'`));
  });

  it("the string form names the level: governance-resource-matches-lock as 'disabled', or 'remediate'", async () => {
    expect(locked(await gate({ "governance-resource-matches-lock": "disabled" }))).toEqual([
      expect.stringMatching(/run governance-resource-matches-lock as 'disabled'/),
    ]);
    expect(locked(await gate({ "governance-lock-approved": "remediate" }))).toEqual([
      expect.stringMatching(/run governance-lock-approved as 'remediate'/),
    ]);
  });

  it("a named entry over `all` decides: all mandatory but one governance policy advisory", async () => {
    expect(locked(await gate({ all: "mandatory", "governance-stack-no-unapproved-deletions": { enforcementLevel: "advisory" } }))).toEqual([
      expect.stringMatching(/run governance-stack-no-unapproved-deletions as 'advisory'/),
    ]);
  });

  it("a second tampered run in the same process is refused again (the pack is configured anew)", async () => {
    for (let run = 0; run < 2; run++) {
      const r = await gate({ "governance-lock-approved": "advisory" });
      expect(locked(r), `run ${run + 1}`).toEqual([expect.stringMatching(/run governance-lock-approved as 'advisory'/)]);
      expect(r.passed).toBe(false);
    }
  });
});
