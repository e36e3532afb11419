import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { coop, spawnCoop } from "../helpers/cli";
import { tempRepo } from "../helpers/repo";

interface PlanJson {
  stack: string;
  digest: string;
  resources: Array<{ urn: string; type: string; name: string; inputs: Record<string, unknown> }>;
  changes: Array<{ urn: string; op: string; paths?: string[] }>;
}

describe("coop plan --json on the bundled examples", () => {
  for (const stack of ["example", "local"]) {
    it(`${stack}: follows the contract and is deterministic`, async () => {
      const first = await coop(["plan", "--stack", stack, "--json"]);
      expect(first.code, first.stderr).toBe(0);
      const plan = JSON.parse(first.stdout) as PlanJson;
      expect(plan.stack).toBe(stack);
      expect(plan.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(plan.resources.length).toBeGreaterThan(0);
      for (const r of plan.resources) {
        // Every custom resource but a provider records the provider it is deployed with; computed values, what they are made of.
        const keys = Object.keys(r)
          .filter((k) => k !== "sources")
          .sort();
        expect(keys).toEqual(
          r.type.startsWith("pulumi:providers:") ? ["inputs", "name", "type", "urn"] : ["inputs", "name", "provider", "type", "urn"],
        );
        expect(r.urn.startsWith(`urn:pulumi:${stack}::coop-infra::`)).toBe(true);
      }
      const urns = plan.resources.map((r) => r.urn);
      expect([...urns].sort()).toEqual(urns);
      for (const c of plan.changes) expect(["create", "update", "delete"]).toContain(c.op);
      const second = JSON.parse((await coop(["plan", "--stack", stack, "--json"])).stdout) as PlanJson;
      expect(second.digest).toBe(plan.digest);
    });
  }

  it("example: declares the Hetzner host", async () => {
    const plan = JSON.parse((await coop(["plan", "--stack", "example", "--json"])).stdout) as PlanJson;
    const types = new Set(plan.resources.map((r) => r.type));
    for (const t of [
      "hcloud:index/server:Server",
      "hcloud:index/firewall:Firewall",
      "hcloud:index/volume:Volume",
      "pulumi:providers:docker",
    ])
      expect(types).toContain(t);
  });

  it("local: declares nothing at Hetzner", async () => {
    const plan = JSON.parse((await coop(["plan", "--stack", "local", "--json"])).stdout) as PlanJson;
    expect(plan.resources.filter((r) => r.type.startsWith("hcloud:"))).toEqual([]);
  });
});

describe("coop plan as a process", () => {
  it("prints exactly one JSON document on stdout with --json", () => {
    const r = spawnCoop(["plan", "--stack", "example", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });

  it("prints the resource tree and the change from the lock", () => {
    const r = spawnCoop(["plan", "--stack", "example"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^stack example · \d+ resources · sha256 [0-9a-f]{64}\n/);
    expect(r.stdout).toMatch(/[├└]─ host {2}Host\n/);
    expect(r.stdout).toMatch(/host-server {2}hcloud Server {2}cx33 in fsn1 · image debian-12 · delete-protected/);
  });

  const repo = tempRepo();
  afterAll(repo.cleanup);

  it("exits 2 with the file, line and field for a bad spec, and writes a JSON error document with --json", () => {
    writeFileSync(
      join(repo.root, "stacks", "broken.yaml"),
      "coop:\n  name: X\ndomain: x.coop\nhost:\n  target: hetzner\n  serverTyp: cx33\n",
    );
    const human = spawnCoop(["plan", "--stack", "broken"], { root: repo.root });
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(
      /stacks\/broken\.yaml:6:3 host\.serverTyp: unknown field 'serverTyp'\n\s+hint: did you mean 'serverType'\?/,
    );
    expect(human.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const json = spawnCoop(["plan", "--stack", "broken", "--json"], { root: repo.root });
    expect(json.code).toBe(2);
    const doc = JSON.parse(json.stdout) as { error: { problems: Array<{ file: string; line: number; field: string }> } };
    expect(doc.error.problems).toContainEqual(expect.objectContaining({ file: "stacks/broken.yaml", line: 6, field: "host.serverTyp" }));
  });

  it("exits 2 naming the specs that exist when --stack names none", () => {
    const r = spawnCoop(["plan", "--stack", "exmple"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/there is no spec for stack 'exmple'.*\n\s+hint: did you mean --stack example\?/);
  });

  it("exits 2 on usage errors", () => {
    expect(spawnCoop(["plna"]).stderr).toMatch(/unknown command 'plna'\n\s+hint: did you mean `coop plan`\?/);
    expect(spawnCoop(["plan", "--stak", "x"]).code).toBe(2);
    expect(spawnCoop([]).code).toBe(2);
  });
});

describe("coop plan --set (what if)", () => {
  it("plans as if the spec said so, without touching the file, and shows the change from the lock", async () => {
    const r = await coop([
      "plan",
      "--stack",
      "example",
      "--set",
      "host.serverType=cx43",
      "--set",
      "services.mastodon.version=v4.6.4",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    const server = plan.changes.find((c) => c.urn.endsWith("::host-server"));
    expect(server).toMatchObject({ op: "update", paths: ["serverType"] });
    expect(plan.changes.some((c) => c.urn.endsWith("::mastodon-web") && c.paths?.includes("image"))).toBe(true);
  });

  it("validates the edited spec like the file, naming the field", async () => {
    const r = await coop(["plan", "--stack", "example", "--set", "host.serverType=cx99"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/host\.serverType: expected one of cx23, cx33/);
    expect((await coop(["plan", "--stack", "example", "--set", "serverType"])).stderr).toMatch(/is not of the form path=value/);
  });
});
