/**
 * A StackReference is a read the engine never sends to Analyze: the stack it names must be the
 * one the members approved, or a service stack could take its mail password from another stack.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGate } from "../../cli/gate/run-gate";
import { makePlan } from "../../cli/plan/planning";
import type { Lock } from "../../plan/lock";
import { NAME, referenceProblem } from "../../policies/governance-stack-references-match-lock";
import { approvedRepo, type ApprovedRepo } from "../helpers/approved-repo";

const URN = "urn:pulumi:split-social::coop-infra::pulumi:pulumi:StackReference::mail-stack";
const lock = (name: unknown): Lock =>
  ({
    version: 1,
    project: "coop-infra",
    stack: "split-social",
    resources: [{ urn: URN, type: "pulumi:pulumi:StackReference", name: "mail-stack", inputs: { name } }],
  }) as unknown as Lock;

describe("a StackReference against the approved lock", () => {
  it("passes when it reads the stack the lock names", () => {
    expect(referenceProblem(lock("organization/coop-infra/split-mail"), URN, "organization/coop-infra/split-mail")).toBeUndefined();
  });

  it("is refused when it reads another stack, naming both", () => {
    expect(referenceProblem(lock("organization/coop-infra/split-mail"), URN, "organization/coop-infra/evil-mail")).toBe(
      "StackReference 'mail-stack' reads stack 'organization/coop-infra/evil-mail', but the members approved reading 'organization/coop-infra/split-mail'",
    );
  });

  it("is refused when the approved state reads no stack under that name", () => {
    const other = "urn:pulumi:split-social::coop-infra::pulumi:pulumi:StackReference::other";
    expect(referenceProblem(lock("organization/coop-infra/split-mail"), other, "x/y/z")).toMatch(/which the approved state does not read/);
  });
});

describe("the gate over a split service stack", () => {
  let repo: ApprovedRepo;
  let spec: string;
  const file = () => join(repo.root, "stacks", "split-social.yaml");
  beforeAll(async () => {
    repo = await approvedRepo(["split-mail", "split-social"]);
    spec = readFileSync(file(), "utf8");
  });
  afterAll(() => repo.cleanup());

  it("records the stack it reads in the lock, and passes as approved", async () => {
    writeFileSync(file(), spec);
    const plan = await makePlan(repo.root, "split-social");
    expect(plan.view.resources.find((r) => r.type === "pulumi:pulumi:StackReference")).toEqual({
      urn: URN,
      type: "pulumi:pulumi:StackReference",
      name: "mail-stack",
      inputs: { name: "organization/coop-infra/split-mail" },
    });
    const gate = await runGate(repo.root, plan.run);
    expect(gate.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("red team: fromStack pointed at another stack (no governed input changes) is refused", async () => {
    writeFileSync(file(), spec.replace("fromStack: organization/coop-infra/split-mail", "fromStack: organization/coop-infra/evil-mail"));
    const plan = await makePlan(repo.root, "split-social");
    const gate = await runGate(repo.root, plan.run);
    expect(gate.passed).toBe(false);
    expect(gate.violations.filter((v) => v.policy === NAME)).toEqual([
      expect.objectContaining({
        level: "mandatory",
        urn: URN,
        message: expect.stringContaining(
          "reads stack 'organization/coop-infra/evil-mail', but the members approved reading 'organization/coop-infra/split-mail'",
        ),
      }),
    ]);
  });
});
