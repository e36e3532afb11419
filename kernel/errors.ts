/**
 * Typed errors shared by every layer. Each says what happened, why, and what to do; the CLI
 * turns them into an exit code and a message, never a stack trace.
 *
 * Exit codes (the `coop` contract): 1 = the check ran and did not pass; 2 = bad input or usage.
 */

export type ExitCode = 1 | 2;

export class CoopError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** What to do about it; a command where one fixes it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: a file, a flag, an environment variable. Exit 2. */
export class InputError extends CoopError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
  }
}

/** The check ran and did not pass: violations, a rejected poll, a failed verification. Exit 1. */
export class CheckFailed extends CoopError {
  constructor(message: string, hint?: string) {
    super(message, 1, hint);
  }
}

/** One problem at a place in a file. `line`/`col` are 1-based; absent when the file has no such place. */
export interface Problem {
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
  /** Dotted field path, e.g. host.serverType or mailboxes[2].localPart. */
  readonly field?: string;
  readonly message: string;
  readonly hint?: string;
}

export function formatProblem(p: Problem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.col ?? 1}` : p.file;
  const field = p.field ? ` ${p.field}:` : "";
  const hint = p.hint ? `\n    hint: ${p.hint}` : "";
  return `${where}${field} ${p.message}${hint}`;
}

/** One or more problems in input files. Exit 2. */
export class FileProblems extends InputError {
  constructor(
    readonly problems: readonly Problem[],
    summary?: string,
  ) {
    super((summary ? `${summary}\n` : "") + problems.map((p) => `  ${formatProblem(p)}`).join("\n"), undefined);
  }
}

/** Formats a path like ["mailboxes", 2, "localPart"] as mailboxes[2].localPart. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
