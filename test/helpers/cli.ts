/**
 * Running `coop` in tests: in-process (fast, for most assertions) or as a real child process
 * (for exit codes, stream separation and --json purity).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { run } from "../../cli/main";
import { REPO_ROOT } from "./repo";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function coop(args: string[], opts: { root?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
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
