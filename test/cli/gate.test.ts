import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { coop, spawnCoop } from "../helpers/cli";
import { approvedRepo } from "../helpers/approved-repo";

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
    // A bigger server also gives the containers more memory (stacks/catalog.ts serviceMemoryMb): more than one change.
    expect(r.stdout).toMatch(/^gate FAILED for stack example: \d+ causes? \(\d+ mandatory violations?\)\./);
    expect(r.stdout).toMatch(/governance-resource-matches-lock \(1 resource: host-server\)\n(\s+.*\n)*?\s+serverType: "cx33" → "cx43"/);
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
    expect(doc.stacks.map((s) => s.stack)).toEqual(["example", "example-grown", "local", "split-cloud", "split-mail", "split-social"]);
  });

  it("--all judges each stack by its own lock: a lock edited by hand fails its stack only", async () => {
    const repo = await approvedRepo(["example", "local"]);
    try {
      const file = join(repo.root, "governance", "approved", "example.lock.json");
      writeFileSync(file, readFileSync(file, "utf8").replace('"serverType": "cx33"', '"serverType": "cx53"'));
      const r = await coop(["gate", "--all", "--json"], { root: repo.root });
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout) as { passed: boolean; stacks: GateJson[] };
      const failed = doc.stacks.filter((s) => !s.passed);
      expect(failed.map((s) => s.stack)).toEqual(["example"]);
      expect(failed[0].violations).toContainEqual(
        expect.objectContaining({
          policy: "governance-lock-approved",
          level: "mandatory",
          message: expect.stringMatching(/example\.lock\.json digest: does not match the lock's content .*\[lock-invalid\]/),
        }),
      );
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
    expect(doc.violations).toContainEqual(
      expect.objectContaining({
        policy: "governance-policy-config-locked",
        level: "mandatory",
        message: expect.stringMatching(/governance-lock-approved as 'advisory'/),
      }),
    );
  });

  it("reads the config as pulumi does: `all` and the string form lower governance policies too", () => {
    const dir = mkdtempSync(join(tmpdir(), "coop-config-"));
    const cases: Array<[unknown, RegExp[]]> = [
      [
        { all: "disabled" },
        [
          /governance-resource-matches-lock as 'disabled'/,
          /governance-lock-approved as 'disabled'/,
          /governance-stack-no-unapproved-deletions as 'disabled'/,
          /governance-policy-config-locked as 'disabled'/,
        ],
      ],
      [{ "governance-resource-matches-lock": "disabled" }, [/governance-resource-matches-lock as 'disabled'/]],
    ];
    for (const [i, [content, messages]] of cases.entries()) {
      const config = join(dir, `config-${i}.json`);
      writeFileSync(config, JSON.stringify(content));
      const r = spawnCoop(["gate", "--stack", "example", "--policy-config", config, "--json"]);
      expect(r.code, `${JSON.stringify(content)}: ${r.stderr}`).toBe(1);
      const doc = JSON.parse(r.stdout) as GateJson;
      const locked = doc.violations
        .filter((v) => v.policy === "governance-policy-config-locked" && v.level === "mandatory")
        .map((v) => v.message);
      for (const m of messages) expect(locked, JSON.stringify(content)).toContainEqual(expect.stringMatching(m));
    }
  });

  it("exits 2 on a config pulumi would refuse, naming the file and the entry", () => {
    const dir = mkdtempSync(join(tmpdir(), "coop-config-"));
    const cases: Array<[unknown, RegExp]> = [
      [{ all: "off" }, /entry "all": "off" is not an enforcement level/],
      [
        { "governance-lock-approved": { enforcementLevel: "warn" } },
        /entry "governance-lock-approved": enforcementLevel "warn" is not an enforcement level/,
      ],
      [{ "governance-lock-approved": 1 }, /entry "governance-lock-approved": 1 is not a valid value/],
      [{ "no-such-policy": { limit: 1 } }, /entry "no-such-policy" names no policy of the pack and sets no enforcement level/],
    ];
    for (const [i, [content, message]] of cases.entries()) {
      const config = join(dir, `config-${i}.json`);
      writeFileSync(config, JSON.stringify(content));
      const r = spawnCoop(["gate", "--stack", "example", "--policy-config", config]);
      expect(r.code, `${JSON.stringify(content)}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(config);
      expect(r.stderr).toMatch(message);
    }
  });

  it("exits 2 on a policy config that is not JSON, and on --stack with --all", () => {
    const config = join(mkdtempSync(join(tmpdir(), "coop-config-")), "config.json");
    writeFileSync(config, "{ not json");
    expect(spawnCoop(["gate", "--stack", "example", "--policy-config", config]).stderr).toMatch(/cannot read the policy config/);
    expect(spawnCoop(["gate", "--stack", "example", "--all"]).code).toBe(2);
  });
});
