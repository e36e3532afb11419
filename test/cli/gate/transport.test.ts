/**
 * `coop gate` reaches the pack's handlers with wire-encoded requests instead of a gRPC client;
 * both must give the same verdict, on a passing plan and on a refused one.
 */
import { describe, expect, it } from "vitest";
import { runGate, type GateResult } from "../../../cli/gate/run-gate";
import { runOffline } from "../../../cli/plan/planning";
import { REPO_ROOT } from "../../helpers/repo";
import { parseSetFlag } from "../../../stacks/load";

const verdict = (r: GateResult) => ({ passed: r.passed, analyzed: r.analyzed, violations: r.violations });

describe("the wire and gRPC transports", () => {
  for (const [label, edits] of [
    ["the approved example", []],
    ["an unapproved change", [parseSetFlag("host.serverType=cx43"), parseSetFlag("services.mastodon.version=v5.0.0")]],
  ] as const) {
    it(`give the same verdict on ${label}`, async () => {
      const run = await runOffline(REPO_ROOT, "example", edits);
      const wire = await runGate(REPO_ROOT, run, {}, "wire");
      const grpc = await runGate(REPO_ROOT, run, {}, "grpc");
      expect(verdict(grpc)).toEqual(verdict(wire));
      expect(wire.passed).toBe(edits.length === 0);
    });
  }
});
