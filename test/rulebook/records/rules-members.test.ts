import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MembersSchema } from "../../../rulebook/records/members";
import { meets, toRatio } from "../../../rulebook/records/ratio";
import { RulesSchema, rulesDigest } from "../../../rulebook/records/rules";
import { FileProblems } from "../../../kernel/errors";
import { parseYamlText } from "../../../kernel/yaml-file";
import { fixturePublicKey } from "../../helpers/governance";
import { REPO_ROOT } from "../../helpers/repo";

function problemsOf(fn: () => unknown): FileProblems["problems"] {
  try {
    fn();
  } catch (e) {
    if (e instanceof FileProblems) return e.problems;
    throw e;
  }
  throw new Error("expected problems");
}

describe("governance/rules.yaml", () => {
  it("the example's bylaws: quorum 0.5, two thirds, no block, 30 days, two admins' signatures, three quarters to amend them", () => {
    const rules = parseYamlText(readFileSync(join(REPO_ROOT, "governance/rules.yaml"), "utf8"), RulesSchema, "governance/rules.yaml");
    expect(rules.polls).toEqual({ quorum: 0.5, threshold: "2/3", blocksAllowed: 0, maxAgeDays: 30 });
    expect(rules.signatures.decisions).toEqual({ count: 2, roles: ["admin"] });
    expect(rules.standing.classes["image-patch"]?.signatures).toEqual({ count: 2, roles: ["tech", "admin"] });
    expect(rules.amendments.bylaws.threshold).toBe("3/4");
    expect(rules.loomio).toEqual({ url: "https://loomio.example.coop", groupId: 42, wholeGroup: true });
    expect(rules.standing.classes["image-patch"]?.signatures.roles).toContain("tech");
    expect(rulesDigest(rules)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("every field has a default, so an empty mapping is valid bylaws", () => {
    expect(RulesSchema.parse({}).polls.threshold).toBe("2/3");
  });

  it("locates mistakes with file:line:col and suggests the field meant", () => {
    const text = "version: 2\npolls:\n  quorom: 0.5\n  threshold: 1.5\n";
    const ps = problemsOf(() => parseYamlText(text, RulesSchema, "governance/rules.yaml"));
    const typo = ps.find((p) => p.field === "polls.quorom");
    expect(typo).toMatchObject({ file: "governance/rules.yaml", line: 3, col: 3 });
    expect(typo?.hint).toMatch(/did you mean 'quorum'/);
    expect(ps.find((p) => p.field === "polls.threshold")).toMatchObject({ line: 4 });
  });

  it("fractions compare exactly: 4 of 6 meets 2/3, 0.6667 as a decimal would not", () => {
    expect(meets(4, 6, toRatio("2/3"))).toBe(true);
    expect(meets(4, 6, toRatio(0.6667))).toBe(false);
    expect(meets(3, 6, toRatio(0.5))).toBe(true);
    expect(meets(0, 0, toRatio(0.5))).toBe(false);
  });
});

describe("governance/members.yaml", () => {
  it("the example's two admins sign with the keys the example host installs", () => {
    const members = parseYamlText(
      readFileSync(join(REPO_ROOT, "governance/members.yaml"), "utf8"),
      MembersSchema,
      "governance/members.yaml",
    );
    expect(members.members.map((m) => m.name)).toEqual(["ada", "grace"]);
    const spec = readFileSync(join(REPO_ROOT, "stacks/example.yaml"), "utf8");
    for (const m of members.members) {
      expect(m.roles).toContain("admin");
      expect(spec).toContain(m.sshKeys[0]);
      expect(m.sshKeys[0]).toBe(fixturePublicKey(m.name as "ada" | "grace"));
    }
  });

  it("refuses a damaged key, a duplicate name and a malformed role, with locations", () => {
    const ada = fixturePublicKey("ada");
    const text = [
      "version: 1",
      "members:",
      "  - name: ada",
      "    roles: [admin]",
      `    sshKeys: ["${ada}"]`,
      "  - name: ada",
      "    roles: [admin]",
      `    sshKeys: ["${ada}"]`,
      "  - name: bob",
      "    roles: [Admin]",
      '    sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom bob"]',
      "",
    ].join("\n");
    const ps = problemsOf(() => parseYamlText(text, MembersSchema, "governance/members.yaml"));
    const fields = ps.map((p) => `${p.field}@${p.line}`);
    expect(fields).toContain("members[1].name@6");
    expect(fields.some((f) => f.startsWith("members[2].roles[0]@"))).toBe(true);
    expect(ps.find((p) => p.field === "members[2].sshKeys[0]")?.message).toMatch(/cannot be used|damaged|32 bytes/);
  });
});
