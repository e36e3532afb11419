import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checkLockBacked, loadGovernance, verifyLedger } from "../../../rulebook";
import { DecisionSchema, type Decision } from "../../../rulebook/records/decision";
import { coop } from "../../helpers/cli";
import { emptyRepo, nodeKey, signWith, syntheticLock, writeDecisionFile, writeLockFile, writeMembers } from "../../helpers/governance";

const ada = nodeKey("ada");

/** A genesis whose `requires` is written as given, signed by ada (so its signature verifies). */
function repoWithRequires(requires: unknown): string {
  const root = emptyRepo();
  writeMembers(root, [{ name: "ada", roles: ["admin"], keys: [ada.line] }]);
  const lock = syntheticLock("example", "x");
  const g = {
    kind: "genesis",
    version: 1,
    id: "example-0001-genesis",
    project: "coop-infra",
    decidedAt: "2026-01-01T00:00:00.000Z",
    recordedAt: "2026-01-01T00:00:00.000Z",
    summary: "",
    rulesSha256: "0".repeat(64),
    requires,
    signatures: [],
    stack: "example",
    digest: lock.digest,
    previous: null,
    replaces: null,
    note: "start",
  } as unknown as Decision;
  writeDecisionFile(root, signWith(g, "ada", ada));
  writeLockFile(root, lock);
  return root;
}

const FILE = "governance/decisions/example-0001-genesis.yaml";

describe("decision records are read as written", () => {
  it("the decision schema fills in nothing: the raw record the members signed is the decision", () => {
    const text = JSON.stringify(z.toJSONSchema(DecisionSchema, { io: "input", unrepresentable: "any" }));
    expect(text).not.toContain('"default"');
  });

  for (const [name, requires, field] of [
    ["no roles", { count: 2 }, "requires.roles"],
    ["no count", { roles: ["admin"] }, "requires.count"],
    ["count 0", { count: 0, roles: ["admin"] }, "requires.count"],
  ] as const) {
    it(`a signed record whose requires has ${name} is a schema finding naming the file, not a crash`, async () => {
      const root = repoWithRequires(requires);
      const gov = loadGovernance(root);
      expect(gov.decisions).toEqual([]);
      expect(gov.problems).toEqual([expect.objectContaining({ file: FILE, field })]);
      expect(verifyLedger(gov, new Date())).toContainEqual(expect.objectContaining({ code: "schema", level: "error", file: FILE, field }));
      expect(checkLockBacked(gov, "example", gov.locks.get("example")?.lock, new Date())).toContainEqual(
        expect.objectContaining({ code: "lock-unbacked", level: "error" }),
      );

      const r = await coop(["verify"], { root });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${FILE}:`);
      expect(r.stderr).toMatch(/\[schema\]/);
      expect(r.stderr).not.toMatch(/internal error/);
    });
  }

  it("the same record with count and roles verifies", () => {
    const gov = loadGovernance(repoWithRequires({ count: 1, roles: ["admin"] }));
    expect(verifyLedger(gov, new Date())).toEqual([]);
  });
});
