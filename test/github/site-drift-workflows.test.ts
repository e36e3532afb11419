/**
 * The two workflows of the members' record: `site.yml` publishes `coop site` on GitHub Pages,
 * `drift.yml` is the nightly drift alarm. Their structure holds the trust model (least
 * privilege, read-only token, the protected branch, the deploy's concurrency group), and their
 * shell runs here as a runner runs it, against stand-ins for pulumi, gh and the alert webhook.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readOracle } from "../helpers/oracles";
import { REPO_ROOT } from "../helpers/repo";
import { withTool } from "../helpers/tools";

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  "continue-on-error"?: boolean;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  "runs-on"?: string;
  environment?: string | { name: string; url?: string };
  permissions?: Record<string, string>;
  needs?: string;
  strategy?: { "fail-fast"?: boolean; matrix: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const read = (name: string): Workflow => parse(readFileSync(join(REPO_ROOT, ".github", "workflows", name), "utf8")) as Workflow;
const site = read("site.yml");
const drift = read("drift.yml");
const deploy = read("deploy.yml");
const job = drift.jobs.drift;
const step = (name: string) => job.steps.find((s) => s.name === name)!;
const PREVIEW = "pulumi preview --refresh, expecting no changes";
const OPEN = "open or update the stack's drift issue";
const CLOSE = "close the stack's drift issue";
const WEBHOOK = "call the alert webhook";
const FAIL = "fail on drift";
/** The messages the Pulumi CLI prints when --expect-no-changes finds changes (test/oracles). */
const NO_CHANGES_MESSAGES = [...readOracle("pulumi-preview-drift.md").matchAll(/^message: (.+)$/gm)].map((m) => m[1]);
const secretsOf = (s: Step) =>
  Object.values(s.env ?? {})
    .flatMap((v) => [...v.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]))
    .sort();

describe("site.yml: the members' record on GitHub Pages", () => {
  it("builds from the protected branch with no secrets and contents: read, once the co-op switches it on", () => {
    expect(site.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: null });
    expect(site.permissions).toEqual({ contents: "read" });
    const build = site.jobs.build;
    expect(build.if).toBe("vars.COOP_SITE == 'true' && github.ref == 'refs/heads/main'");
    expect(build.permissions).toBeUndefined();
    expect(build.steps.flatMap(secretsOf)).toEqual([]);
    const runs = build.steps.map((s) => s.run ?? s.uses?.split("@")[0]);
    expect(runs).toEqual([
      "actions/checkout",
      "actions/setup-node",
      "npm ci",
      "npx coop site --out _site",
      "actions/upload-pages-artifact",
    ]);
    expect(build.steps[4].with).toEqual({ path: "_site" });
  });

  it("gives Pages' write permissions only to the job that runs no code of the repository", () => {
    const d = site.jobs.deploy;
    expect(d.needs).toBe("build");
    expect(d.permissions).toEqual({ pages: "write", "id-token": "write" });
    expect(d.environment).toEqual({ name: "github-pages", url: "${{ steps.deployment.outputs.page_url }}" });
    expect(d.steps).toHaveLength(1);
    expect(d.steps[0].uses).toMatch(/^actions\/deploy-pages@[0-9a-f]{40}$/);
    expect(d.steps[0].run).toBeUndefined();
  });
});

describe("drift.yml: the drift alarm", () => {
  it("runs every night and by hand, on the protected branch only, once the co-op deploys", () => {
    expect(Object.keys(drift.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect((drift.on.schedule as Array<{ cron: string }>)[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(job.if).toBe("vars.COOP_DEPLOY == 'true' && github.ref == 'refs/heads/main'");
    expect(job.strategy).toEqual({ "fail-fast": false, matrix: { stack: ["prod"] } });
  });

  it("shares the deploy's concurrency group, queued so that it never replaces a pending deploy", () => {
    expect(drift.concurrency).toEqual({ group: "deploy", "cancel-in-progress": false, queue: "max" });
    expect(deploy.concurrency).toEqual({ group: "deploy", "cancel-in-progress": false, queue: "max" });
    expect(drift.concurrency?.group).toBe(deploy.concurrency?.group);
  });

  it("holds least privilege: contents read everywhere, issues write for its job, the read-only token in its own environment", () => {
    expect(drift.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toEqual({ contents: "read", issues: "write" });
    expect(job.environment).toBe("drift");
    expect(step(PREVIEW).env?.HCLOUD_TOKEN).toBe("${{ secrets.HCLOUD_TOKEN_READONLY }}");
    expect(job.steps.flatMap(secretsOf)).not.toContain("HCLOUD_TOKEN");
  });

  it("gives each secret to the one step that needs it", () => {
    const holders = Object.fromEntries(job.steps.filter((s) => secretsOf(s).length).map((s) => [s.name, secretsOf(s)]));
    expect(holders).toEqual({
      [PREVIEW]: [
        "DRIFT_SSH_PRIVATE_KEY",
        "HCLOUD_TOKEN_READONLY",
        "PULUMI_BACKEND_URL",
        "PULUMI_CONFIG_PASSPHRASE",
        "STATE_ACCESS_KEY_ID",
        "STATE_SECRET_ACCESS_KEY",
      ],
      [WEBHOOK]: ["ALERT_WEBHOOK_URL"],
    });
    const tokenHolders = job.steps.filter((s) => Object.values(s.env ?? {}).includes("${{ github.token }}")).map((s) => s.name);
    expect(tokenHolders).toEqual([OPEN, CLOSE]);
  });

  it("previews with the exact flags, then acts on the outcome: issue, webhook, failure on drift; closing when clean", () => {
    const names = job.steps.map((s) => s.name ?? s.run ?? s.uses?.split("@")[0]);
    expect(names).toEqual(["actions/checkout", "actions/setup-node", "npm ci", "pulumi/actions", PREVIEW, OPEN, CLOSE, WEBHOOK, FAIL]);
    const lines = step(PREVIEW)
      .run!.split("\n")
      .filter((l) => /\bpulumi preview\b/.test(l));
    expect(lines.map((l) => l.trim())).toEqual([
      "pulumi preview --refresh --expect-no-changes --policy-pack policies --policy-pack-config policies/config.json --diff",
    ]);
    expect(step(PREVIEW).id).toBe("preview");
    expect(step(PREVIEW).if).toBeUndefined();
    expect(step(OPEN).if).toBe("steps.preview.outputs.outcome != 'clean'");
    expect(step(CLOSE).if).toBe("steps.preview.outputs.outcome == 'clean'");
    expect(step(WEBHOOK).if).toBe("always() && steps.preview.outputs.outcome != 'clean'");
    expect(step(FAIL).if).toBe("always() && steps.preview.outputs.outcome != 'clean'");
    expect(step(FAIL).run).toMatch(/exit 1\s*$/);
  });

  it("still alarms in a fork with Issues turned off: a failing issue step stops neither the webhook nor the failed run", () => {
    expect(step(OPEN)["continue-on-error"]).toBe(true);
    expect(step(CLOSE)["continue-on-error"]).toBe(true);
    for (const s of [WEBHOOK, FAIL]) expect(step(s).if).toMatch(/^always\(\) && /);
  });
});

/** A folder with stand-ins for pulumi and gh first on PATH; every call is logged. */
function stage(): { dir: string; env: Record<string, string>; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), "coop-drift-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "pulumi"),
    `#!/bin/sh
echo "pulumi $*" >> "$FAKE_DIR/calls.log"
[ "$1" = stack ] && exit 0
case "$FAKE_PREVIEW" in
  clean) echo "Resources: 60 unchanged"; exit 0 ;;
  drift) echo "~ hcloud:index/firewall:Firewall host-firewall update [diff: ~rules]"; echo "$FAKE_MESSAGE" >&2; exit 255 ;;
  *) echo "error: dial tcp 203.0.113.7:22: i/o timeout" >&2; exit 255 ;;
esac
`,
  );
  writeFileSync(
    join(bin, "gh"),
    `#!/bin/sh
echo "gh $*" >> "$FAKE_DIR/calls.log"
if [ "$1 $2" = "issue list" ]; then printf '%s' "$FAKE_ISSUES"; fi
`,
  );
  chmodSync(join(bin, "pulumi"), 0o755);
  chmodSync(join(bin, "gh"), 0o755);
  writeFileSync(join(dir, "calls.log"), "");
  writeFileSync(join(dir, "output"), "");
  writeFileSync(join(dir, "summary"), "");
  return {
    dir,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_DIR: dir,
      GITHUB_OUTPUT: join(dir, "output"),
      GITHUB_STEP_SUMMARY: join(dir, "summary"),
      GITHUB_SERVER_URL: "https://github.example",
      GITHUB_REPOSITORY: "river-coop/infra",
      GITHUB_RUN_ID: "4242",
      STACK: "prod",
    },
    calls: () => readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n").filter(Boolean),
  };
}

function runStep(name: string, env: Record<string, string>, cwd: string) {
  return spawnSync("bash", ["--noprofile", "--norc", "-e", "-c", step(name).run!], { cwd, env, encoding: "utf8", timeout: 30_000 });
}

describe("the drift job's shell, as a runner runs it", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const staged = () => {
    const s = stage();
    dirs.push(s.dir);
    return s;
  };

  it("knows both messages of the Pulumi CLI for changes found", () => expect(NO_CHANGES_MESSAGES).toHaveLength(2));
  for (const [mode, outcome, says, message] of [
    ["clean", "clean", /equals the approved state/, ""],
    ...NO_CHANGES_MESSAGES.map((m) => ["drift", "drift", /differs from the approved state/, m] as const),
    ["unreachable", "failed", /could not run to the end\*\* \(exit 255\)/, ""],
  ] as const) {
    it(`a preview that ends ${mode}${message ? ` (${message})` : ""} is the outcome '${outcome}', written to the job summary, and the step itself passes`, () => {
      const s = staged();
      const r = runStep(PREVIEW, { ...s.env, FAKE_PREVIEW: mode, FAKE_MESSAGE: message, SSH_PRIVATE_KEY: "" }, s.dir);
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(s.dir, "output"), "utf8")).toBe(`outcome=${outcome}\n`);
      const summary = readFileSync(join(s.dir, "summary"), "utf8");
      expect(summary).toContain(`## Drift check of stack \`prod\`: ${outcome}`);
      expect(summary).toMatch(says);
      expect(s.calls()).toEqual([
        "pulumi stack select prod",
        "pulumi preview --refresh --expect-no-changes --policy-pack policies --policy-pack-config policies/config.json --diff",
      ]);
    });
  }

  it("opens one issue per stack, and comments on it while it stays open", () => {
    const s = staged();
    const none = runStep(OPEN, { ...s.env, OUTCOME: "drift", FAKE_ISSUES: "[]" }, s.dir);
    expect(none.status, none.stderr).toBe(0);
    expect(s.calls()[1]).toMatch(
      /^gh issue create --title Drift alarm: stack prod --body \d{4}-\d{2}-\d{2}: the live infrastructure of stack prod differs from the approved state\. .*https:\/\/github\.example\/river-coop\/infra\/actions\/runs\/4242$/,
    );
    const t = staged();
    const open = JSON.stringify([
      { number: 7, title: "Drift alarm: stack prod-eu" },
      { number: 9, title: "Drift alarm: stack prod" },
    ]);
    const again = runStep(OPEN, { ...t.env, OUTCOME: "failed", FAKE_ISSUES: open }, t.dir);
    expect(again.status, again.stderr).toBe(0);
    expect(t.calls()[1]).toMatch(/^gh issue comment 9 --body .*the drift check of stack prod could not run to the end/);
  });

  it("closes the stack's open issue once the check is clean, and does nothing when none is open", () => {
    const s = staged();
    expect(runStep(CLOSE, { ...s.env, FAKE_ISSUES: JSON.stringify([{ number: 9, title: "Drift alarm: stack prod" }]) }, s.dir).status).toBe(
      0,
    );
    expect(s.calls()[1]).toMatch(/^gh issue close 9 --comment .*no drift any more/);
    const t = staged();
    expect(runStep(CLOSE, { ...t.env, FAKE_ISSUES: "[]" }, t.dir).status).toBe(0);
    expect(t.calls()).toHaveLength(1);
  });

  it("calls the alert webhook with the stack and the outcome when one is set, and carries on without one", async () => {
    const got: Array<{ method?: string; type?: string; body: string }> = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        got.push({ method: req.method, type: req.headers["content-type"], body });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const s = staged();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
        const child = spawn("bash", ["--noprofile", "--norc", "-e", "-c", step(WEBHOOK).run!], {
          cwd: s.dir,
          env: { ...s.env, OUTCOME: "drift", ALERT_WEBHOOK_URL: url },
        });
        let out = "";
        child.stdout.on("data", (c) => {
          out += c;
        });
        child.stderr.on("data", (c) => {
          out += c;
        });
        child.on("close", (status) => resolve({ status, out }));
      });
      expect(r.status, r.out).toBe(0);
      expect(got).toHaveLength(1);
      expect([got[0].method, got[0].type]).toEqual(["POST", "application/json"]);
      expect(JSON.parse(got[0].body)).toEqual({
        text: "coop drift alarm: stack prod: drift (https://github.example/river-coop/infra/actions/runs/4242)",
        stack: "prod",
        outcome: "drift",
        run: "https://github.example/river-coop/infra/actions/runs/4242",
      });
      const none = runStep(WEBHOOK, { ...s.env, OUTCOME: "drift", ALERT_WEBHOOK_URL: "" }, s.dir);
      expect(none.status).toBe(0);
      expect(none.stdout).toMatch(/no alert sent/);
      expect(got).toHaveLength(1);
    } finally {
      server.close();
    }
  });

  const shellcheckIt = withTool("shellcheck", "shellcheck");
  shellcheckIt("every run step of both workflows passes shellcheck", () => {
    for (const s of [...job.steps, ...site.jobs.build.steps].filter((x) => x.run)) {
      const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: s.run, encoding: "utf8" });
      expect(r.status, `${s.name ?? s.run}\n${r.stdout}`).toBe(0);
    }
  });
});
