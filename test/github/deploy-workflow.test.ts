/**
 * The deploy job reaches the server through its own job firewall and always leaves the cloud,
 * and the recorded state, as approved. The job's steps run as a runner runs them, against a
 * loopback stand-in for the Hetzner Cloud API and a stand-in Pulumi CLI that behaves like the
 * hcloud provider where firewalls are concerned (test/helpers/fake-pulumi.cjs).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readLock } from "../../plan/lock";
import { fakeTools, type JobOptions, runJob, stepName, type WorkflowStep } from "../helpers/ci-job";
import { type FakeHetzner, type Fw, startHetzner } from "../helpers/hetzner-api";
import { REPO_ROOT } from "../helpers/repo";
import { withTool } from "../helpers/tools";

interface Workflow {
  jobs: Record<string, { steps: WorkflowStep[] }>;
}
const steps = (parse(readFileSync(join(REPO_ROOT, ".github", "workflows", "deploy.yml"), "utf8")) as Workflow).jobs.deploy.steps;
const holdsToken = (s: WorkflowStep) => Object.values(s.env ?? {}).some((v) => /secrets\.HCLOUD_TOKEN\b/.test(v));

const lockServer = readLock(REPO_ROOT, "example")!.resources.find((r) => r.type === "hcloud:index/server:Server")!;
const SERVER = { name: String(lockServer.inputs.name), labels: lockServer.inputs.labels as Record<string, string> };
const RUNNER = "20.1.2.3";

describe("the deploy job's steps", () => {
  it("check readiness first, open SSH before the preview, and close it always, after the deploy", () => {
    const names = steps.map(stepName);
    const index = (re: RegExp) => names.findIndex((n) => re.test(n));
    expect(index(/^npx coop doctor --stack "\$\{\{ matrix\.stack \}\}" --online$/)).toBe(names.indexOf("npm ci") + 1);
    expect(index(/coop doctor/)).toBeLessThan(steps.findIndex(holdsToken));
    const open = index(/^open SSH/);
    const deploy = index(/^preview, then deploy/);
    const close = steps.findIndex((s) => s.id === "close");
    expect(open).toBeGreaterThan(index(/^remove what an earlier run left behind$/));
    expect(open).toBeLessThan(deploy);
    expect(close).toBeGreaterThan(deploy);
    expect(steps[close].if).toBe("always()");
    expect(steps[close].run).toMatch(/ci-access close/);
    expect(steps[close + 1].if).toBe("always() && steps.close.outcome == 'success'");
  });

  it("never run `npx` where the token is: it could fetch a registry package of that name", () => {
    for (const s of steps.filter(holdsToken)) expect(s.run, stepName(s)).not.toMatch(/\bnpx\b/);
  });
});

describe("the deploy job's shell", () => {
  const shellcheckIt = withTool("shellcheck", "shellcheck");
  const check = (script: string) => spawnSync("shellcheck", ["-s", "bash", "-"], { input: script, encoding: "utf8" });

  shellcheckIt("passes shellcheck: every run step, and the state refresh script", () => {
    for (const s of steps.filter((x) => x.run)) {
      const r = check(s.run!.replace(/\$\{\{ matrix\.stack \}\}/g, "prod"));
      expect(r.status, `${stepName(s)}\n${r.stdout}`).toBe(0);
    }
    const script = spawnSync("shellcheck", [join(REPO_ROOT, "scripts", "ci", "refresh-server-state.sh")], { encoding: "utf8" });
    expect(script.status, script.stdout).toBe(0);
    // shellcheck itself finds what it should: an unquoted expansion.
    expect(check("rm $1\n").status).not.toBe(0);
  });
});

describe("a deploy job against the Hetzner API stand-in", () => {
  let api: FakeHetzner;
  let dir: string;
  let governed: Fw;

  beforeEach(async () => {
    api = await startHetzner();
    // Polling and settling are tested with coop ci-access itself; here they only cost time.
    api.actionPolls = 0;
    api.pendingReads = 0;
    governed = api.addFirewall({ name: "example-co-op-example-firewall", labels: { ...SERVER.labels } });
    dir = mkdtempSync(join(tmpdir(), "coop-deploy-job-"));
  });
  afterEach(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const job = (run: string, extra: Partial<JobOptions> = {}, env: Record<string, string> = {}) =>
    runJob({
      steps,
      matrix: { stack: "example" },
      secrets: {
        HCLOUD_TOKEN: api.token,
        PULUMI_BACKEND_URL: "file:///nonexistent",
        PULUMI_CONFIG_PASSPHRASE: "passphrase",
        STATE_ACCESS_KEY_ID: "key-id",
        STATE_SECRET_ACCESS_KEY: "secret-key",
        DEPLOY_SSH_PRIVATE_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----",
      },
      env: {
        PATH: `${fakeTools(dir)}:${process.env.PATH}`,
        HOME: dir,
        GITHUB_RUN_ID: run,
        GITHUB_RUN_ATTEMPT: "1",
        HCLOUD_ENDPOINT: api.url,
        FAKE_DIR: dir,
        FAKE_API: api.url,
        FAKE_SERVER: JSON.stringify(SERVER),
        FAKE_GOVERNED_ID: String(governed.id),
        FAKE_RUNNER_ADDRESS: RUNNER,
        ...env,
      },
      // The steps that talk to Hetzner and Pulumi; install, doctor, verify and gate have their own tests.
      only: (s) => holdsToken(s),
      ...extra,
    });
  const outcome = (r: Awaited<ReturnType<typeof job>>, re: RegExp) => r.results.find((x) => re.test(x.step))?.outcome;
  const jobFirewalls = () => [...api.firewalls.values()].filter((f) => f.name.startsWith("coop-ci-"));
  const server = () => [...api.servers.values()].find((s) => s.name === SERVER.name)!;
  const state = () => JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { server: { firewallIds: number[] } };
  const calls = () => readFileSync(join(dir, "calls.log"), "utf8");

  it("first deploy: the job reaches the server it creates, then leaves only the governed firewall, in the cloud and in the state", async () => {
    const before = structuredClone(governed);
    const r = await job("100");
    expect(r.failed, r.results.map((x) => `${x.step}: ${x.outcome}\n${x.output}`).join("\n")).toBe(false);
    expect(calls()).toMatch(/curl -fsS4 --retry 3 --max-time 10 https:\/\/api\.ipify\.org/);
    // Created with the job firewall on it (the provider read it), reached over SSH, …
    expect(calls()).toMatch(/created server: firewallIds=\[\d+,\d+\]\n {2}ssh: connected/);
    // … and afterwards: no job firewall, the server has the governed one only, and so does the state.
    expect(jobFirewalls()).toEqual([]);
    expect(api.firewallsOf(server())).toEqual([{ id: governed.id, status: "applied" }]);
    expect(state().server.firewallIds).toEqual([governed.id]);
    // The governed firewall: as approved, applied directly by the program's server, nothing else.
    expect(api.firewalls.get(governed.id)).toEqual({ ...before, applied_to: [{ type: "server", server: { id: server().id } }] });
    // The next plan sees no change, and the next deploy goes through.
    const next = await job("101", {}, { FAKE_UPDATE_SERVER: "1" });
    expect(next.failed, next.results.map((x) => x.output).join("\n")).toBe(false);
    expect(calls()).not.toMatch(/preview-diff/);
    expect(state().server.firewallIds).toEqual([governed.id]);
  });

  it("a failure in between: the deploy fails, and the job firewall is still removed", async () => {
    const r = await job("200", {}, { FAKE_UP: "fail" });
    expect(r.failed).toBe(true);
    expect(outcome(r, /^preview, then deploy/)).toBe("failure");
    expect(outcome(r, /^close SSH for this job$/)).toBe("success");
    expect(outcome(r, /^record the servers without the job firewall$/)).toBe("success");
    expect(jobFirewalls()).toEqual([]);
    expect(api.firewallsOf(server())).toEqual([{ id: governed.id, status: "applied" }]);
    expect(state().server.firewallIds).toEqual([governed.id]);
  });

  it("a runner lost mid-deploy: the next run removes its firewall and the record of it before opening its own", async () => {
    const lost = await job("300", { lostAfter: "preview, then deploy, both with the policy pack" }, { FAKE_UPDATE_SERVER: "1" });
    expect(lost.results.at(-1)?.step).toBe("preview, then deploy, both with the policy pack");
    const [stale] = jobFirewalls();
    expect(stale.name).toBe("coop-ci-example-300-1");
    expect(state().server.firewallIds).toEqual([governed.id, stale.id]);

    const next = await job("301");
    expect(next.failed, next.results.map((x) => `${x.step}: ${x.outcome}\n${x.output}`).join("\n")).toBe(false);
    expect(outcome(next, /^remove what an earlier run left behind$/)).toBe("success");
    expect(next.results.find((x) => /^remove what/.test(x.step))?.output).toContain("Removed coop-ci-example-300-1");
    expect(api.firewalls.has(stale.id)).toBe(false);
    // Without the refresh, the preview would show a change of the server and `up` would fail.
    expect(calls()).not.toMatch(/preview-diff/);
    expect(calls()).not.toMatch(/firewall_managed_by_label_selector/);
    expect(jobFirewalls()).toEqual([]);
    expect(state().server.firewallIds).toEqual([governed.id]);
  });

  it("without its own firewall the job could not reach the server: the stand-in Pulumi refuses SSH", async () => {
    const r = await job("400", { only: (s) => holdsToken(s) && !/^open SSH/.test(stepName(s)) });
    expect(outcome(r, /^preview, then deploy/)).toBe("failure");
    expect(r.results.find((x) => /^preview, then deploy/.test(x.step))?.output).toMatch(/no firewall admits 20\.1\.2\.3\/32/);
  });

  it("Hetzner refuses the token: nothing is created, the job fails, and the token is not printed", async () => {
    const r = await job("500", {
      secrets: {
        HCLOUD_TOKEN: "revoked-token-xyz",
        PULUMI_BACKEND_URL: "x",
        PULUMI_CONFIG_PASSPHRASE: "x",
        STATE_ACCESS_KEY_ID: "x",
        STATE_SECRET_ACCESS_KEY: "x",
        DEPLOY_SSH_PRIVATE_KEY: "x",
      },
    });
    expect(r.failed).toBe(true);
    expect(outcome(r, /^remove what an earlier run left behind$/)).toBe("failure");
    expect(outcome(r, /^preview, then deploy/)).toBe("skipped");
    expect(outcome(r, /^close SSH for this job$/)).toBe("failure");
    expect(outcome(r, /^record the servers without the job firewall$/)).toBe("skipped");
    expect(r.results.map((x) => x.output).join("\n")).toMatch(/Hetzner rejected the API token/);
    expect(r.results.map((x) => x.output).join("\n")).not.toContain("revoked-token-xyz");
    expect(jobFirewalls()).toEqual([]);
  });
});
