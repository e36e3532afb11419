/**
 * The pack as the Pulumi CLI runs it: started in its own process exactly as the CLI's
 * `pulumi-analyzer-policy` script starts it (run-policy-pack in policies/, with the engine's
 * address and "."), called over gRPC as the engine calls it, gives the same verdicts as
 * `coop gate`, which loads the same pack through the same entry in its own process and reaches
 * its handlers with wire-encoded requests (or a loopback gRPC client).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policyPack, type PackHost } from "../../../cli/gate/policy-host";
import { runGate, type GateResult } from "../../../cli/gate/run-gate";
import { runOffline } from "../../../cli/plan/planning";
import { parseSetFlag } from "../../../stacks/load";
import { PACK_NAME, POLICIES } from "../../../policies/pack";
import { REPO_ROOT } from "../../helpers/repo";

const readJson = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, file), "utf8")) as { version: string };
const verdict = (r: GateResult) => ({ passed: r.passed, analyzed: r.analyzed, violations: r.violations });

describe("the pack launched as the Pulumi CLI launches it", () => {
  let pack: PackHost;
  beforeAll(async () => {
    pack = await policyPack("cli");
  });
  afterAll(() => pack?.close());

  it("answers the engine's first calls: the policy SDK's version, the pack's name, version and policies", async () => {
    const info = await pack.calls.getPluginInfo();
    expect(info.getVersion()).toBe(readJson("node_modules/@pulumi/policy/package.json").version.replace(/^v/, ""));
    const analyzer = await pack.calls.getAnalyzerInfo();
    expect(analyzer.getName()).toBe(PACK_NAME);
    expect(analyzer.getVersion()).toBe(readJson("policies/package.json").version);
    expect(
      analyzer
        .getPoliciesList()
        .map((p) => p.getName())
        .sort(),
    ).toEqual(POLICIES.map((p) => p.name).sort());
  });

  it("reads only the repository it was started from, as under the CLI", () => {
    expect(() => pack.useRepository("/elsewhere")).toThrow(/reads its own repository/);
  });
});

describe("every transport gives coop gate's verdict", () => {
  for (const [label, edits] of [
    ["the approved example", []],
    ["an unapproved change", [parseSetFlag("host.serverType=cx43"), parseSetFlag("services.mastodon.version=v5.0.0")]],
  ] as const) {
    it(`on ${label}`, async () => {
      const run = await runOffline(REPO_ROOT, "example", edits);
      const wire = await runGate(REPO_ROOT, run, {}, "wire");
      const grpc = await runGate(REPO_ROOT, run, {}, "grpc");
      const cli = await runGate(REPO_ROOT, run, {}, "cli");
      expect(verdict(grpc)).toEqual(verdict(wire));
      expect(verdict(cli)).toEqual(verdict(wire));
      expect(wire.passed).toBe(edits.length === 0);
      if (edits.length > 0) expect(wire.violations.map((v) => v.policy)).toContain("governance-resource-matches-lock");
    });
  }
});
