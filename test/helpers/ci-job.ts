/**
 * Runs a workflow job's steps the way a GitHub-hosted runner does, closely enough to test what
 * the steps do to the cloud: each `run:` in `bash -e` with the step's env and the job's
 * expressions filled in; a failed step skips the steps after it unless their `if:` says
 * `always()`; `steps.<id>.outcome` is known to later conditions. `uses:` steps and the steps a
 * test leaves out count as done. External commands come from a directory of stand-ins put first
 * on PATH (pulumi, curl, ssh-agent, ssh-add).
 */
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo";

export interface WorkflowStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}

export type Outcome = "success" | "failure" | "skipped";

export interface StepResult {
  readonly step: string;
  readonly outcome: Outcome;
  readonly output: string;
}

export interface JobOptions {
  readonly steps: readonly WorkflowStep[];
  /** ${{ matrix.X }} */
  readonly matrix: Record<string, string>;
  /** ${{ secrets.X }} */
  readonly secrets: Record<string, string>;
  /** Environment every step sees (the runner's own, e.g. GITHUB_RUN_ID). */
  readonly env: Record<string, string>;
  /** Steps (by name or run text) to run; the others count as done without running. */
  readonly only: (step: WorkflowStep) => boolean;
  /** The runner dies after this step: nothing after it runs, not even `always()` steps. */
  readonly lostAfter?: string;
  readonly cwd?: string;
}

export const stepName = (s: WorkflowStep): string => s.name ?? s.run?.split("\n")[0] ?? s.uses ?? "(step)";

function fill(text: string, opts: JobOptions): string {
  return text.replace(/\$\{\{\s*(matrix|secrets)\.([A-Za-z0-9_]+)\s*\}\}/g, (_m, scope: string, key: string) => {
    const v = (scope === "matrix" ? opts.matrix : opts.secrets)[key];
    if (v === undefined) throw new Error(`the test gives no ${scope}.${key}`);
    return v;
  });
}

/** Evaluates the `if:` forms the deploy workflow uses: always(), success(), steps.<id>.outcome == '<x>', joined by &&. */
function shouldRun(condition: string | undefined, failed: boolean, outcomes: Map<string, Outcome>): boolean {
  if (condition === undefined) return !failed;
  const terms = condition.split("&&").map((t) => t.trim());
  let explicitStatus = false;
  const ok = terms.every((t) => {
    if (t === "always()") {
      explicitStatus = true;
      return true;
    }
    if (t === "success()") {
      explicitStatus = true;
      return !failed;
    }
    const m = /^steps\.([\w-]+)\.outcome\s*==\s*'(\w+)'$/.exec(t);
    if (m) return outcomes.get(m[1]) === m[2];
    throw new Error(`the job runner does not understand the condition '${t}'`);
  });
  // Without a status function, GitHub adds success().
  return ok && (explicitStatus || !failed);
}

/** Runs a step's script without blocking this process: the API stand-in answers from here. */
function runScript(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-e", "-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      output += c.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

export async function runJob(opts: JobOptions): Promise<{ results: StepResult[]; failed: boolean }> {
  const results: StepResult[] = [];
  const outcomes = new Map<string, Outcome>();
  let failed = false;
  for (const step of opts.steps) {
    const name = stepName(step);
    let outcome: Outcome;
    let output = "";
    if (!shouldRun(step.if, failed, outcomes)) outcome = "skipped";
    else if (!step.run || !opts.only(step)) outcome = "success";
    else {
      const env: Record<string, string> = { ...opts.env };
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = fill(v, opts);
      const r = await runScript(fill(step.run, opts), opts.cwd ?? REPO_ROOT, env);
      output = r.output;
      outcome = r.code === 0 ? "success" : "failure";
    }
    if (outcome === "failure") failed = true;
    if (step.id) outcomes.set(step.id, outcome);
    results.push({ step: name, outcome, output });
    if (opts.lostAfter === name) break;
  }
  return { results, failed };
}

/** A directory of stand-ins for the runner's external commands; returns it for PATH. */
export function fakeTools(dir: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  copyFileSync(join(__dirname, "fake-pulumi.cjs"), join(bin, "pulumi"));
  // The runner's public address, as the echo service would answer; the arguments are logged.
  writeFileSync(join(bin, "curl"), `#!/bin/sh\necho "curl $*" >> "$FAKE_DIR/calls.log"\nprintf '%s' "$FAKE_RUNNER_ADDRESS"\n`);
  writeFileSync(join(bin, "ssh-agent"), "#!/bin/sh\necho 'SSH_AUTH_SOCK=/nonexistent; export SSH_AUTH_SOCK;'\n");
  writeFileSync(join(bin, "ssh-add"), "#!/bin/sh\ncat > /dev/null\n");
  for (const tool of ["pulumi", "curl", "ssh-agent", "ssh-add"]) chmodSync(join(bin, tool), 0o755);
  return bin;
}
