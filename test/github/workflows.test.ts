/**
 * The CI template a fork switches on: the trust model (README) holds only if these hold.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../helpers/repo";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  "working-directory"?: string;
}
interface Job {
  if?: string;
  environment?: string;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const read = (name: string): Workflow => parse(readFileSync(join(REPO_ROOT, ".github", "workflows", name), "utf8")) as Workflow;
const governance = read("governance.yml");
const deploy = read("deploy.yml");
// Every workflow of the folder, so that a new one (the site, the drift alarm) is held to the same rules.
const allJobs = readdirSync(join(REPO_ROOT, ".github", "workflows"))
  .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
  .sort()
  .flatMap((f) => Object.entries(read(f).jobs));
const envOf = (job: Job) => job.steps.flatMap((s) => Object.entries(s.env ?? {}));

describe("the workflows a fork uses", () => {
  it("pin every action to a commit, not a movable tag", () => {
    for (const [, job] of allJobs) for (const s of job.steps) if (s.uses) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
  });

  it("give the read-write Hetzner token to the deploy job alone, on the protected branch, in its protected environment", () => {
    const holders = allJobs.filter(([, job]) => envOf(job).some(([, v]) => /secrets\.HCLOUD_TOKEN\b/.test(v)));
    expect(holders.map(([name]) => name)).toEqual(["deploy"]);
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    expect(deploy.jobs.deploy.environment).toBe("production");
    expect(deploy.jobs.deploy.if).toMatch(/github\.ref == 'refs\/heads\/main'/);
  });

  it("run the pull request's code with state secrets only behind the reviewed `preview` environment", () => {
    for (const [name, job] of Object.entries(governance.jobs)) {
      const secrets = envOf(job).filter(([, v]) => v.includes("secrets."));
      if (secrets.length > 0) expect(job.environment, name).toBe("preview");
    }
    expect(envOf(governance.jobs.preview).find(([k]) => k === "HCLOUD_TOKEN")?.[1]).toMatch(/HCLOUD_TOKEN_READONLY/);
  });

  it("always preview with the policy pack, and never skip the preview", () => {
    const commands = allJobs.flatMap(([, job]) => job.steps.map((s) => s.run ?? "")).join("\n");
    expect(commands).not.toMatch(/--skip-preview/);
    for (const line of commands.split("\n").filter((l) => /^\s*pulumi (preview|up)\b/.test(l)))
      expect(line).toMatch(/--policy-pack policies --policy-pack-config policies\/config\.json/);
    const deployRun = deploy.jobs.deploy.steps.map((s) => s.run ?? "").join("\n");
    expect(deployRun.indexOf("pulumi preview")).toBeGreaterThan(-1);
    expect(deployRun.indexOf("pulumi preview")).toBeLessThan(deployRun.indexOf("pulumi up"));
  });

  it("on pull requests, the base branch's coop judges the pull request's tree before any of its code runs, without credentials", () => {
    const gate = governance.jobs.gate;
    expect(envOf(gate)).toEqual([]);
    const steps = gate.steps.map((s) => ({ run: s.run ?? "", dir: s["working-directory"], with: s.with }));
    const checkouts = gate.steps.filter((s) => (s.uses ?? "").startsWith("actions/checkout@"));
    expect(checkouts.map((s) => s.with)).toEqual([
      { ref: "${{ github.event.pull_request.base.sha }}", path: "approved" },
      { path: "proposed" },
    ]);
    const at = (run: string, dir: string) => steps.findIndex((s) => s.run === run && s.dir === dir);
    const installApproved = at("npm ci", "approved");
    const verify = at("npx coop verify --tree ../proposed --approved .", "approved");
    const installProposed = at("npm ci", "proposed");
    const gateRun = at("npx coop gate --all --tree ../proposed --policy-config ../proposed/policies/config.json", "approved");
    expect([installApproved, verify, installProposed, gateRun].every((i) => i >= 0)).toBe(true);
    expect(installApproved < verify && verify < installProposed && installProposed < gateRun).toBe(true);
  });

  it("on deploys, the branch as it was before the push judges the new tree, with Loomio's polls fetched again, before anything of it runs", () => {
    const steps = deploy.jobs.deploy.steps;
    const verify = steps.findIndex(
      (s) => s.run === "npx coop verify --tree .. --approved . --online" && s["working-directory"] === ".approved",
    );
    const firstInstall = steps.findIndex((s) => s.run === "npm ci" && !s["working-directory"]);
    expect(verify).toBeGreaterThan(0);
    expect(verify).toBeLessThan(firstInstall);
    expect(steps.find((s) => s.with?.path === ".approved")?.with?.ref).toBe("${{ github.event.before }}");
    expect(steps[verify].env?.LOOMIO_API_KEY).toBe("${{ secrets.LOOMIO_API_KEY }}");
  });
});

describe("the pull-request guards, run as CI runs them", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const step = (name: string) =>
    governance.jobs.gate.steps.find((s) => s.name === name)!.run!.replace(/\$\{\{ github\.base_ref \}\}/g, "main");
  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", args, {
      cwd,
      stdio: "pipe",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.coop",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.coop",
      },
    });

  /** Runs the gate job's step `name` in a clone whose origin/main holds two decisions, on a pull-request branch made by `change`. */
  function pullRequest(name: string, change: (dir: string) => void): { code: number; out: string } {
    const origin = mkdtempSync(join(tmpdir(), "coop-wf-origin-"));
    const clone = mkdtempSync(join(tmpdir(), "coop-wf-clone-"));
    dirs.push(origin, clone);
    git(origin, "init", "-q", "-b", "main");
    mkdirSync(join(origin, "governance", "decisions"), { recursive: true });
    for (const id of ["prod-0001-genesis", "prod-0002-change"])
      writeFileSync(join(origin, "governance", "decisions", `${id}.yaml`), `id: ${id}\n`);
    writeFileSync(join(origin, "Pulumi.yaml"), "name: coop-infra\n");
    git(origin, "add", "-A");
    git(origin, "commit", "-qm", "base");
    git(clone, "clone", "-q", origin, ".");
    git(clone, "checkout", "-qb", "pr");
    change(clone);
    git(clone, "add", "-A");
    git(clone, "commit", "-qm", "pr", "--allow-empty");
    const r = spawnSync("bash", ["-ec", step(name)], { cwd: clone, encoding: "utf8" });
    return { code: r.status ?? -1, out: r.stdout + r.stderr };
  }

  it("refuse a Hetzner token in stack config, and accept stack config without one", () => {
    const withToken = pullRequest("no Hetzner token in stack config", (dir) =>
      writeFileSync(join(dir, "Pulumi.prod.yaml"), "config:\n  hcloud:token:\n    secure: v1:abc\n"),
    );
    expect(withToken.code).toBe(1);
    expect(withToken.out).toMatch(/pulumi config rm hcloud:token/);
    const clean = pullRequest("no Hetzner token in stack config", (dir) =>
      writeFileSync(join(dir, "Pulumi.prod.yaml"), "config:\n  coop-infra:mailRelayPassword:\n    secure: v1:abc\n"),
    );
    expect(clean.code, clean.out).toBe(0);
  });
});
