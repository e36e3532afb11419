/**
 * The program as the Pulumi CLI runs it: the module Pulumi.yaml `main` names, resolved and
 * loaded by Node with the project's loader (kernel/load-sources.cjs) — the entry, module
 * resolution and compiler settings of a real `pulumi preview`, so whatever would change the
 * engine's run (a .js beside a .ts, a setting in tsconfig.json) changes this one too, or stops it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { InputError } from "../../kernel/errors";
import { findRepoRoot } from "../../kernel/repo";
import type { StackSpec } from "../../stacks/schema";

/** What index.ts exports: the Pulumi CLI calls it with nothing, coop with the spec it planned. */
export type Program = (planned?: { readonly spec: StackSpec }) => unknown;

interface Loader {
  install(root: string): unknown;
}

/** The program of the repository coop runs from (its code; the co-op's record may be elsewhere). */
export function loadProgram(codeRoot: string = findRepoRoot(__dirname)): Program {
  // Under coop the loader already runs; a test runner loading this module gets it here.
  (require(join(codeRoot, "kernel", "load-sources.cjs")) as Loader).install(codeRoot);
  const main = programMain(codeRoot);
  // As the CLI's cmd/run: a main naming a folder is required with a trailing slash.
  const exported = require(main === "." ? `${codeRoot}/` : join(codeRoot, main)) as unknown;
  if (typeof exported !== "function")
    throw new InputError(
      `the program (${main === "." ? "the project folder" : main}, named by Pulumi.yaml \`main\`) exports no function to run`,
      "restore index.ts from the approved version (git checkout origin/main -- index.ts)",
    );
  return exported as Program;
}

/** Pulumi.yaml `main`, or "." (the project folder) when it names none, as the CLI reads it. */
function programMain(codeRoot: string): string {
  const main = (parse(readFileSync(join(codeRoot, "Pulumi.yaml"), "utf8")) as { main?: unknown } | null)?.main;
  return typeof main === "string" && main !== "" ? main : ".";
}
