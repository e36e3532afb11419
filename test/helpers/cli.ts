/**
 * Running `coop` in tests: in-process (fast, for most assertions) or as a real child process
 * (for exit codes, stream separation and --json purity).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Terminal } from "../../cli/context";
import { run } from "../../cli/main";
import { setClockForTests } from "../../kernel/clock";
import { REPO_ROOT } from "./repo";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs coop in this process. `at` fixes the clock for this run (coop reads the time only
 * through kernel/clock, which no environment variable can set); the machine's clock is back after.
 */
export async function coop(
  args: string[],
  opts: { root?: string; env?: NodeJS.ProcessEnv; at?: string | Date; terminal?: Terminal } = {},
): Promise<CliResult> {
  if (opts.at !== undefined) setClockForTests(opts.at);
  try {
    return await runInProcess(args, opts);
  } finally {
    if (opts.at !== undefined) setClockForTests(undefined);
  }
}

async function runInProcess(args: string[], opts: { root?: string; env?: NodeJS.ProcessEnv; terminal?: Terminal }): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const json = args.includes("--json");
  const code = await run(
    args,
    {
      out: (t) => {
        if (!json) stdout += `${t}\n`;
      },
      err: (t) => {
        stderr += `${t}\n`;
      },
      json: (v) => {
        stdout += `${JSON.stringify(v, null, 2)}\n`;
      },
    },
    opts.env ?? process.env,
    opts.root ?? REPO_ROOT,
    opts.terminal,
  );
  return { code, stdout, stderr };
}

/** Runs bin/coop.js as a child process with cwd = root. */
export function spawnCoop(args: string[], opts: { root?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "bin", "coop.js"), ...args], {
    cwd: opts.root ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    input: opts.input ?? "",
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface VerifyDoc {
  readonly passed: boolean;
  readonly decisions: number;
  readonly new: number;
  readonly polls?: number;
  readonly findings: ReadonlyArray<{
    readonly code: string;
    readonly level: "error" | "warning";
    readonly message: string;
    readonly remediation: string;
    readonly file?: string;
    readonly decision?: string;
    readonly stack?: string;
  }>;
}

/** `coop verify --json` (with `args`) in `root` at `at`: the exit code and the document. */
export async function verifyJson(
  root: string,
  at: string | Date,
  args: string[] = [],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; doc: VerifyDoc; codes: string[] }> {
  const r = await coop(["verify", "--json", ...args], { root, at, env });
  const doc = JSON.parse(r.stdout) as VerifyDoc;
  return { code: r.code, doc, codes: doc.findings.map((f) => f.code) };
}
