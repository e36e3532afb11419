import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { coop, spawnCoop } from "../helpers/cli";
import { tempRepo } from "../helpers/repo";

interface GateJson {
  stack: string;
  passed: boolean;
  violations: Array<{ policy: string; urn?: string; message: string; level: string }>;
}

describe("coop gate (the reviewers' check), as a process", () => {
  it("passes the bundled example on a fresh clone: exit 0, one JSON document", () => {
    const r = spawnCoop(["gate", "--stack", "example", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as GateJson;
    expect(doc).toMatchObject({ stack: "example", passed: true });
    expect(doc.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("refuses an unapproved change with exit 1, naming the policy and the change", () => {
    const r = spawnCoop(["gate", "--stack", "example", "--set", "host.serverType=cx43"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^gate FAILED for stack example: 1 mandatory violation\./);
    expect(r.stdout).toMatch(/governance-resource-matches-lock\n\s+host-server: .*\n\s+serverType: "cx33" → "cx43"/);
  });

  it("appends a Markdown summary for CI when GITHUB_STEP_SUMMARY is set", () => {
    const summary = join(mkdtempSync(join(tmpdir(), "coop-summary-")), "summary.md");
    writeFileSync(summary, "# earlier step\n");
    const r = spawnCoop(["gate", "--stack", "example", "--set", "host.serverType=cx43"], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(r.code).toBe(1);
    const md = readFileSync(summary, "utf8");
    expect(md).toMatch(/^# earlier step\n### coop gate · stack `example`: ❌ not approved\n/);
    expect(md).toMatch(/\| mandatory \| governance-resource-matches-lock \| host-server \| .*serverType: "cx33" → "cx43"/);
  });

  it("gates every stack in one run with --all", () => {
    const r = spawnCoop(["gate", "--all", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { passed: boolean; stacks: GateJson[] };
    expect(doc.passed).toBe(true);
    expect(doc.stacks.map((s) => s.stack)).toEqual(["example", "local", "split-cloud", "split-mail", "split-social"]);
  });

  it("--all judges each stack by its own lock: a lock edited by hand fails its stack only", async () => {
    const repo = tempRepo();
    try {
      const file = join(repo.root, "governance", "approved", "split-mail.lock.json");
      writeFileSync(file, readFileSync(file, "utf8").replace('"serverType": "cx23"', '"serverType": "cx53"'));
      const r = await coop(["gate", "--all", "--json"], { root: repo.root });
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout) as { passed: boolean; stacks: GateJson[] };
      const failed = doc.stacks.filter((s) => !s.passed);
      expect(failed.map((s) => s.stack)).toEqual(["split-mail"]);
      expect(failed[0].violations).toContainEqual(expect.objectContaining({ policy: "governance-lock-approved", level: "mandatory", message: expect.stringMatching(/split-mail\.lock\.json digest: does not match the lock's content .*\[lock-invalid\]/) }));
    } finally {
      repo.cleanup();
    }
  });

  it("fails when the policy config CI would pass lowers a governance policy", () => {
    const config = join(mkdtempSync(join(tmpdir(), "coop-config-")), "config.json");
    writeFileSync(config, JSON.stringify({ "governance-lock-approved": { enforcementLevel: "advisory" } }));
    const r = spawnCoop(["gate", "--stack", "example", "--policy-config", config, "--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as GateJson;
    expect(doc.violations).toContainEqual(expect.objectContaining({ policy: "governance-policy-config-locked", level: "mandatory", message: expect.stringMatching(/governance-lock-approved as 'advisory'/) }));
  });

  it("exits 2 on a policy config that is not JSON, and on --stack with --all", () => {
    const config = join(mkdtempSync(join(tmpdir(), "coop-config-")), "config.json");
    writeFileSync(config, "{ not json");
    expect(spawnCoop(["gate", "--stack", "example", "--policy-config", config]).stderr).toMatch(/cannot read the policy config/);
    expect(spawnCoop(["gate", "--stack", "example", "--all"]).code).toBe(2);
  });
});
