/**
 * What a command gets: the repository root, its parsed flags, and where to write. Commands
 * return their exit code; only main.ts exits the process.
 */
import type { ParseArgsConfig } from "node:util";
import { parseSetFlag } from "../stacks/load";
import type { YamlEdit } from "../kernel/yaml-file";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface Output {
  /** Human-readable text for stdout (suppressed with --json). */
  out(text: string): void;
  /** Diagnostics for stderr. */
  err(text: string): void;
  /** The one JSON document of --json mode. */
  json(value: unknown): void;
}

/** A person at a terminal who can answer a question (absent without a TTY, and in CI). */
export interface Terminal {
  /** Asks `question` and resolves to the line typed (empty on end of input). */
  ask(question: string): Promise<string>;
}

export interface Context {
  readonly root: string;
  readonly json: boolean;
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly io: Output;
  /** Present only when a person can answer: stdin and stderr are terminals and CI is not set. */
  readonly terminal?: Terminal;
}

export interface Command {
  readonly name: string;
  /** One line for `coop --help`. */
  readonly summary: string;
  /** Usage text for `coop <command> --help`. */
  readonly usage: string;
  readonly options: OptionSpec;
  /** Whether the command takes positional arguments. */
  readonly positionals?: boolean;
  run(ctx: Context): Promise<number>;
}

export function stringFlag(ctx: Context, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
}

/** The `--set path=value` edits given to plan and gate. */
export function specEdits(ctx: Context): YamlEdit[] {
  const v = ctx.values.set;
  return (Array.isArray(v) ? v : []).map(parseSetFlag);
}

/**
 * The terminal to ask before a destructive step, or undefined when nobody can answer. CI runners
 * may allocate a TTY, so CI=true (set by GitHub Actions and most CI services) always counts as
 * nobody there.
 */
export function interactive(ctx: Context): Terminal | undefined {
  const ci = ctx.env.CI;
  return ci !== undefined && ci !== "" && ci !== "false" && ci !== "0" ? undefined : ctx.terminal;
}
