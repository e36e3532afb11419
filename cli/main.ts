/**
 * `coop <command> [--stack NAME] [--json]`: the co-op's infrastructure and governance tool.
 *
 * Exit codes: 0 ok; 1 the check did not pass; 2 bad input or usage. With --json, stdout
 * carries exactly one JSON document (an `error` document when the command could not run).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CoopError, FileProblems, InputError } from "../kernel/errors";
import { fileSystemError } from "../kernel/fs-atomic";
import { findRepoRoot } from "../kernel/repo";
import { closest } from "../kernel/yaml-file";
import { COMMANDS } from "./commands";
import { createInterface } from "node:readline/promises";
import type { Command, Context, OptionSpec, Output, Terminal } from "./context";

const COMMON: OptionSpec = {
  stack: { type: "string", short: "s" },
  tree: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** The version of coop-infra this command belongs to (package.json). */
function version(): string {
  // The repository's package.json, one level above cli/.
  try {
    return (JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    "usage: coop <command> [--stack NAME] [--tree DIR] [--json]     coop --version",
    "",
    "commands:",
    ...lines,
    "",
    "--stack may be omitted when exactly one stacks/<name>.yaml exists. --tree DIR runs the",
    "command on the repository in DIR (CI: the base branch's coop judges a pull request's tree).",
    "Exit codes: 0 ok, 1 check did not pass, 2 bad input or usage.",
    "Run `coop <command> --help` for a command's options.",
  ].join("\n");
}

export interface RunResult {
  readonly code: number;
}

/** Runs one command; never throws. Writes through `io`. */
export async function run(
  argv: string[],
  io: Output,
  env: NodeJS.ProcessEnv = process.env,
  root?: string,
  terminal?: Terminal,
): Promise<number> {
  const json = argv.includes("--json");
  let repoRoot: string | undefined;
  try {
    const [name, ...rest] = argv;
    if (name === "--version" || name === "-V" || name === "version") {
      io.out(`coop ${version()}`);
      return 0;
    }
    if (!name || name === "--help" || name === "-h" || name === "help") {
      io.out(usage());
      return name ? 0 : 2;
    }
    const entry = COMMANDS[name];
    if (!entry) {
      const guess = closest(name, Object.keys(COMMANDS));
      throw new InputError(
        `unknown command '${name}'`,
        guess ? `did you mean \`coop ${guess}\`? (coop --help lists the commands)` : "coop --help lists the commands",
      );
    }
    const command: Command = await entry.load();
    let parsed: ReturnType<typeof parseArgs>;
    try {
      const options = { ...COMMON, ...command.options };
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true, tokens: true });
      // A flag that takes one value, given twice, is a mistake to report, not a choice to make silently.
      const seen = new Set<string>();
      for (const tok of parsed.tokens ?? []) {
        if (tok.kind !== "option") continue;
        const spec = options[tok.name];
        if (spec && !spec.multiple && seen.has(tok.name))
          throw new InputError(`--${tok.name} was given twice`, `give --${tok.name} once (see \`coop ${name} --help\`)`);
        seen.add(tok.name);
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, "")}`, `see \`coop ${name} --help\``);
    }
    if (parsed.values.help) {
      io.out(command.usage);
      return 0;
    }
    if (parsed.positionals.length > 0 && !command.positionals) {
      throw new InputError(`coop ${name} takes no argument '${parsed.positionals[0]}'`, `see \`coop ${name} --help\``);
    }
    const ctx: Context = {
      root: treeRoot(parsed.values.tree as string | undefined) ?? root ?? findRepoRoot(process.cwd()),
      json,
      values: parsed.values as Context["values"],
      positionals: parsed.positionals,
      env,
      io,
      terminal,
    };
    repoRoot = ctx.root;
    return await command.run(ctx);
  } catch (e) {
    return reportError(e, io, json, env, repoRoot);
  }
}

/** The repository `--tree` names: it must be one (a Pulumi.yaml at its top). */
function treeRoot(tree: string | undefined): string | undefined {
  if (tree === undefined) return undefined;
  const dir = resolve(tree);
  if (!existsSync(join(dir, "Pulumi.yaml")))
    throw new InputError(
      `--tree ${tree} is not a coop-infra repository (no Pulumi.yaml)`,
      "pass the checkout of the pull request or branch to judge",
    );
  return dir;
}

function reportError(e: unknown, io: Output, json: boolean, env: NodeJS.ProcessEnv, root?: string): number {
  if (e instanceof CoopError) {
    if (json) {
      io.json({
        error: {
          message: e.message,
          hint: e.hint,
          exitCode: e.exitCode,
          ...(e instanceof FileProblems ? { problems: e.problems } : {}),
        },
      });
    }
    io.err(`coop: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`);
    return e.exitCode;
  }
  // Permission and disk problems are the machine's, not a bug of coop: say so, with the path.
  const fsError = fileSystemError(e, root);
  if (fsError) return reportError(fsError, io, json, env);
  // An unexpected failure is a bug; it must still never pass a check, so it exits non-zero.
  const message = e instanceof Error ? e.message : String(e);
  if (json) io.json({ error: { message: `internal error: ${message}`, exitCode: 2 } });
  io.err(`coop: internal error: ${message}\n  hint: this is a bug in coop; rerun with COOP_DEBUG=1 for details and report it`);
  if (env.COOP_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
  return 2;
}

/** Process-level output: human text is suppressed in --json mode so stdout stays one document. */
export function processOutput(json: boolean): Output {
  return {
    out: (text) => {
      if (!json) process.stdout.write(`${text}\n`);
    },
    err: (text) => process.stderr.write(`${text}\n`),
    json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

/** The process's terminal, when a person sits at it: questions go to stderr, answers come from stdin. */
function processTerminal(): Terminal | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return {
    ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      // End of input (Ctrl-D) is "no": the question must never be left hanging.
      return new Promise<string>((resolve) => {
        rl.once("close", () => resolve(""));
        rl.question(question).then(resolve, () => resolve(""));
      }).finally(() => rl.close());
    },
  };
}

export function main(argv: string[]): void {
  const io = processOutput(argv.includes("--json"));
  run(argv, io, process.env, undefined, processTerminal()).then(
    (code) => exitWhenFlushed(code),
    () => exitWhenFlushed(2),
  );
}

/** Exits once stdout and stderr are flushed; gRPC servers or timers must not keep the process alive. */
function exitWhenFlushed(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}
