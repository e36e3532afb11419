/**
 * `npm run bench`: what the gate costs a co-op's reviewers and a hosting co-op's CI, on this
 * machine. Every case is a fresh process of the real command (as CI runs it), repeated and
 * interleaved with the cases it is compared with, so a slow minute of the machine hits all of
 * them alike. Reports median and spread, peak memory, and the targets; writes
 * bench/results.json and the table in the README.
 *
 *   BENCH_RUNS=7 npm run bench          (runs per case; the 100-stack and 10,000-decision cases use fewer)
 */
import { spawn, spawnSync } from "node:child_process";
import { cpus, freemem, release, tmpdir, totalmem, type as osType } from "node:os";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../kernel/fs-atomic";
import { findRepoRoot } from "../kernel/repo";
import { generateCooperatives } from "./cooperatives";
import { generateLedger } from "./ledger";
import { deferUnusedSdkModules } from "../kernel/sdk-internals";

deferUnusedSdkModules();

const ROOT = findRepoRoot(__dirname);
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 7));
const COOP = join(ROOT, "bin", "coop.js");
const RSS_REPORTER = join(ROOT, "bench", "rss-reporter.cjs");

interface Case {
  readonly id: string;
  readonly label: string;
  readonly args: string[];
  readonly cwd: string;
  readonly runs: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Measured until the process prints its port (a policy pack), then stopped. */
  readonly untilPort?: boolean;
}

interface Measured {
  readonly id: string;
  readonly label: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly p10Ms: number;
  readonly p90Ms: number;
  readonly peakRssMb: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** One run of a case, as a fresh process whose main module is the case's script (bench/rss-reporter.cjs). */
function once(c: Case): Promise<{ ms: number; rssKb: number }> {
  return c.untilPort ? untilPort(c) : Promise.resolve(toExit(c));
}

function toExit(c: Case): { ms: number; rssKb: number } {
  const rssFile = join(mkdtempSync(join(tmpdir(), "coop-bench-")), "rss");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [RSS_REPORTER, ...c.args], {
    cwd: c.cwd,
    env: { ...process.env, ...c.env, BENCH_RSS_FILE: rssFile },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.label} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  const rssKb = Number(readFileSync(rssFile, "utf8"));
  rmSync(dirname(rssFile), { recursive: true, force: true });
  return { ms, rssKb };
}

/** From the spawn to the port line a policy pack prints when it listens (what the engine waits for). */
function untilPort(c: Case): Promise<{ ms: number; rssKb: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [RSS_REPORTER, ...c.args], { cwd: c.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!/^\d+\s*$/m.test(out)) return;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      // Peak memory so far, from Linux's record of the process (none elsewhere).
      const hwm = existsSync(`/proc/${child.pid}/status`)
        ? /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]
        : undefined;
      child.kill();
      resolve({ ms, rssKb: Number(hwm ?? Number.NaN) });
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("exit", (code) => {
      if (!/^\d+\s*$/m.test(out)) reject(new Error(`${c.label} stopped (exit ${code}) before it listened:\n${err.slice(-2000)}`));
    });
  });
}

/** Runs the cases round-robin, `runs` times each, after one warm-up run each. */
async function measure(cases: Case[]): Promise<Measured[]> {
  const samples = new Map<string, Array<{ ms: number; rssKb: number }>>(cases.map((c) => [c.id, []]));
  for (const c of cases) await once(c); // warm the file cache and the compiled sources
  const rounds = Math.max(...cases.map((c) => c.runs));
  for (let i = 0; i < rounds; i++) {
    for (const c of cases) {
      if (i >= c.runs) continue;
      const s = await once(c);
      samples.get(c.id)!.push(s);
      process.stderr.write(`  ${c.label}: ${s.ms.toFixed(0)} ms, ${(s.rssKb / 1024).toFixed(0)} MB\n`);
    }
  }
  return cases.map((c) => {
    const list = samples.get(c.id)!;
    const ms = list.map((s) => s.ms).sort((a, b) => a - b);
    return {
      id: c.id,
      label: c.label,
      runs: list.length,
      medianMs: quantile(ms, 0.5),
      minMs: ms[0],
      maxMs: ms[ms.length - 1],
      p10Ms: quantile(ms, 0.1),
      p90Ms: quantile(ms, 0.9),
      peakRssMb: Math.max(...list.map((s) => s.rssKb)) / 1024, // NaN where the system keeps no record
    };
  });
}

/** A generated ledger whose polls a loopback Loomio (a child process) serves. */
async function onlineLedger(decisions: number): Promise<{ root: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "coop-bench-loomio-"));
  const portFile = join(dir, "port");
  const pollsFile = join(dir, "polls.json");
  writeFileSync(pollsFile, "{}");
  const server = spawn(
    process.execPath,
    [join(ROOT, "scripts", "run-ts.cjs"), join(ROOT, "bench", "loomio-stand-in.ts"), pollsFile, portFile],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 400 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(portFile)) {
    server.kill();
    throw new Error("the loopback Loomio did not start");
  }
  const ledger = generateLedger(decisions, 1, ROOT, `http://127.0.0.1:${readFileSync(portFile, "utf8")}`);
  writeFileSync(pollsFile, JSON.stringify(Object.fromEntries(ledger.polls)));
  return { root: ledger.root, stop: () => server.kill() };
}

function policyEvaluation(): { wire: { medianMs: number; p90Ms: number; resources: number }; grpc: { medianMs: number; p90Ms: number } } {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "run-ts.cjs"), join(ROOT, "bench", "policy-eval.ts"), "5"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`policy evaluation failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof policyEvaluation>;
}

function machine() {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? "unknown",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    freeMemoryGb: Math.round(freemem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
  };
}

const fmt = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  const started = new Date();
  process.stderr.write(`coop-infra benchmark: ${RUNS} runs per case\n`);

  process.stderr.write("the example co-op, beside loading the Pulumi SDK:\n");
  const single = await measure([
    { id: "sdk-floor", label: "node -e \"require('@pulumi/pulumi')\"", args: ["-e", "require('@pulumi/pulumi')"], cwd: ROOT, runs: RUNS },
    {
      id: "plan-example",
      label: "coop plan --stack example --json",
      args: [COOP, "plan", "--stack", "example", "--json"],
      cwd: ROOT,
      runs: RUNS,
    },
    {
      id: "gate-example",
      label: "coop gate --stack example --json",
      args: [COOP, "gate", "--stack", "example", "--json"],
      cwd: ROOT,
      runs: RUNS,
    },
    {
      id: "pack-start",
      label: "the pack under the CLI's launcher, until it listens",
      // What the CLI's pulumi-analyzer-policy script runs, in the pack's folder.
      args: [require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [join(ROOT, "policies")] }), "127.0.0.1:0", "."],
      cwd: join(ROOT, "policies"),
      runs: RUNS,
      untilPort: true,
    },
  ]);

  process.stderr.write("a hosting co-op's CI gating every member co-op's stack (coop gate --all):\n");
  const hosting: Measured[] = [];
  const work: string[] = [];
  try {
    for (const n of [1, 10, 100]) {
      const t0 = Date.now();
      const repo = await generateCooperatives(n, ROOT);
      work.push(repo.root);
      process.stderr.write(`  generated ${n} co-op stack${n === 1 ? "" : "s"} with locks and signed decisions in ${Date.now() - t0} ms\n`);
      hosting.push(
        ...(await measure([
          {
            id: `gate-all-${n}`,
            label: `coop gate --all, ${n} stack${n === 1 ? "" : "s"}`,
            args: [COOP, "gate", "--all", "--json"],
            cwd: repo.root,
            runs: n >= 100 ? 3 : RUNS,
          },
        ])),
      );
    }

    process.stderr.write("policy evaluation per resource (sequential Analyze requests, warm):\n");
    const evaluation = policyEvaluation();
    process.stderr.write(
      `  wire: median ${evaluation.wire.medianMs.toFixed(3)} ms, gRPC: median ${evaluation.grpc.medianMs.toFixed(3)} ms\n`,
    );

    process.stderr.write("coop verify on generated ledgers:\n");
    const verify: Measured[] = [];
    for (const n of [100, 10_000]) {
      const t0 = Date.now();
      const ledger = generateLedger(n, Math.max(1, Math.min(50, Math.ceil(n / 200))), ROOT);
      work.push(ledger.root);
      process.stderr.write(`  generated ${n} decisions in ${Date.now() - t0} ms\n`);
      verify.push(
        ...(await measure([
          {
            id: `verify-${n}`,
            label: `coop verify, ${n.toLocaleString("en")} decisions`,
            args: [COOP, "verify"],
            cwd: ledger.root,
            runs: n >= 10_000 ? 5 : RUNS,
          },
        ])),
      );
    }
    // Every recorded poll fetched again from a loopback Loomio (its own process).
    const online = await onlineLedger(101);
    work.push(online.root);
    try {
      verify.push(
        ...(await measure([
          {
            id: "verify-online-100",
            label: "coop verify --online, 100 polls (loopback Loomio)",
            args: [COOP, "verify", "--online"],
            cwd: online.root,
            runs: RUNS,
            env: { LOOMIO_API_KEY: "bench" },
          },
        ])),
      );
    } finally {
      online.stop();
    }

    process.stderr.write("the governance workflow's whole run on a fresh clone (npm ci, coop verify, coop gate --all):\n");
    const workflow = governanceWorkflow();

    const byId = (id: string) => [...single, ...hosting, ...verify].find((m) => m.id === id)!;
    const floor = byId("sdk-floor").medianMs;
    const g10 = byId("gate-all-10").medianMs;
    const g100 = byId("gate-all-100").medianMs;
    const perStack = (g100 - g10) / 90;
    const all = [...single, ...hosting, ...verify];
    const targets = [
      {
        what: "coop gate on the example within 1.5× the SDK-loading floor",
        value: `${(byId("gate-example").medianMs / floor).toFixed(2)}×`,
        met: byId("gate-example").medianMs <= 1.5 * floor,
      },
      {
        what: "the pack under the CLI's launcher listening within 2× the SDK-loading floor",
        value: `${(byId("pack-start").medianMs / floor).toFixed(2)}×`,
        met: byId("pack-start").medianMs <= 2 * floor,
      },
      { what: "100 stacks within 20 s in total", value: fmt(g100), met: g100 <= 20_000 },
      {
        what: "growing linearly (per stack from 10 to 100 vs. from 1 to 10)",
        value: `${perStack.toFixed(0)} ms vs ${((g10 - byId("gate-all-1").medianMs) / 9).toFixed(0)} ms per stack`,
        met: perStack <= 1.5 * Math.max(1, (g10 - byId("gate-all-1").medianMs) / 9),
      },
      {
        what: "median policy evaluation under 0.5 ms per resource",
        value: `${evaluation.wire.medianMs.toFixed(3)} ms`,
        met: evaluation.wire.medianMs < 0.5,
      },
      {
        what: "coop verify on 10,000 decisions within 1 s",
        value: fmt(byId("verify-10000").medianMs),
        met: byId("verify-10000").medianMs <= 1000,
      },
      {
        what: "peak memory under 400 MB in every case",
        value: `${Math.max(...all.map((m) => m.peakRssMb).filter((v) => !Number.isNaN(v))).toFixed(0)} MB`,
        met: all.every((m) => !(m.peakRssMb >= 400)),
      },
    ];
    const results = {
      date: started.toISOString(),
      machine: machine(),
      runsPerCase: RUNS,
      cases: all,
      policyEvaluationPerResource: evaluation,
      governanceWorkflow: workflow,
      derived: {
        gateToFloor: byId("gate-example").medianMs / floor,
        planToFloor: byId("plan-example").medianMs / floor,
        packStartToFloor: byId("pack-start").medianMs / floor,
        perStackMs: perStack,
      },
      targets,
    };
    writeFileAtomic(join(ROOT, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    const table = renderTable(results);
    process.stdout.write(`\n${table}\n`);
    updateReadme(table);
    process.stderr.write("wrote bench/results.json and the README's benchmark table\n");
  } finally {
    for (const dir of work) rmSync(dir, { recursive: true, force: true });
  }
}

interface WorkflowRun {
  readonly installMs: number;
  readonly verifyMs: number;
  readonly gateAllMs: number;
  readonly totalMs: number;
}

/** How many whole workflow runs (each installs every dependency into a fresh clone). */
const WORKFLOW_RUNS = Math.max(1, Number(process.env.BENCH_WORKFLOW_RUNS ?? 3));

/**
 * The governance workflow's job on the bundled example, as .github/workflows/governance.yml runs
 * it after the checkout: `npm ci`, `npx coop verify`, `npx coop gate --all --policy-config
 * policies/config.json`, in a fresh clone of the committed repository (so the first coop run
 * compiles every source it uses). npm installs from its local cache where it can.
 */
function governanceWorkflow(): { runs: WorkflowRun[]; median: WorkflowRun } {
  const runs: WorkflowRun[] = [];
  for (let i = 0; i < WORKFLOW_RUNS; i++) {
    const dir = mkdtempSync(join(tmpdir(), "coop-workflow-"));
    try {
      const step = (cmd: string, args: string[], cwd = dir) => {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(cmd, args, {
          cwd,
          encoding: "utf8",
          maxBuffer: 256 * 1024 * 1024,
          env: { ...process.env, GITHUB_STEP_SUMMARY: "" },
        });
        if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      step("git", ["clone", "--quiet", ROOT, dir], tmpdir());
      const installMs = step("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"]);
      const verifyMs = step("npx", ["coop", "verify"]);
      const gateAllMs = step("npx", ["coop", "gate", "--all", "--policy-config", "policies/config.json"]);
      const run = { installMs, verifyMs, gateAllMs, totalMs: installMs + verifyMs + gateAllMs };
      runs.push(run);
      process.stderr.write(`  install ${fmt(installMs)}, verify ${fmt(verifyMs)}, gate --all ${fmt(gateAllMs)}: ${fmt(run.totalMs)}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const med = (k: keyof WorkflowRun) =>
    quantile(
      runs.map((r) => r[k]).sort((a, b) => a - b),
      0.5,
    );
  return { runs, median: { installMs: med("installMs"), verifyMs: med("verifyMs"), gateAllMs: med("gateAllMs"), totalMs: med("totalMs") } };
}

function renderTable(r: {
  date: string;
  machine: ReturnType<typeof machine>;
  cases: Measured[];
  policyEvaluationPerResource: ReturnType<typeof policyEvaluation>;
  governanceWorkflow: ReturnType<typeof governanceWorkflow>;
  targets: Array<{ what: string; value: string; met: boolean }>;
}): string {
  const m = r.machine;
  const lines = [
    `Measured ${r.date.slice(0, 10)} on ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}, Node ${m.node} (\`npm run bench\`).`,
    "",
    "| case | median | spread (min – max) | peak memory |",
    "|---|---|---|---|",
    ...r.cases.map(
      (c) =>
        `| ${c.label.replace(/\|/g, "\\|")} | ${fmt(c.medianMs)} | ${fmt(c.minMs)} – ${fmt(c.maxMs)} | ${Number.isNaN(c.peakRssMb) ? "" : `${c.peakRssMb.toFixed(0)} MB`} |`,
    ),
    workflowRow(r.governanceWorkflow),
    `| policy evaluation per resource (Analyze, sequential) | ${r.policyEvaluationPerResource.wire.medianMs.toFixed(3)} ms | p90 ${r.policyEvaluationPerResource.wire.p90Ms.toFixed(3)} ms (over gRPC: ${r.policyEvaluationPerResource.grpc.medianMs.toFixed(3)} ms) | |`,
    "",
    "| target | measured | met |",
    "|---|---|---|",
    ...r.targets.map((t) => `| ${t.what} | ${t.value} | ${t.met ? "yes" : "**no**"} |`),
  ];
  return lines.join("\n");
}

function workflowRow(w: ReturnType<typeof governanceWorkflow>): string {
  const m = w.median;
  const totals = w.runs.map((r) => r.totalMs).sort((a, b) => a - b);
  return `| governance workflow on a fresh clone: npm ci ${fmt(m.installMs)}, coop verify ${fmt(m.verifyMs)}, coop gate --all ${fmt(m.gateAllMs)} | ${fmt(m.totalMs)} | ${fmt(totals[0])} – ${fmt(totals[totals.length - 1])} (${w.runs.length} runs) | |`;
}

const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

function updateReadme(table: string): void {
  const path = join(ROOT, "README.md");
  const text = readFileSync(path, "utf8");
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    process.stderr.write("README.md has no benchmark markers; the table is only printed\n");
    return;
  }
  writeFileAtomic(path, `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`);
  // The table is written plainly; the project's formatter aligns it as `npm test`'s lint expects.
  const biome = spawnSync(process.execPath, [require.resolve("@biomejs/biome/bin/biome"), "format", "--write", path], { encoding: "utf8" });
  if (biome.status !== 0) process.stderr.write(`could not format README.md (biome format): ${biome.stderr}\n`);
}

main().catch((e) => {
  process.stderr.write(`benchmark failed: ${(e as Error).message}\n`);
  process.exit(1);
});
