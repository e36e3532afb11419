/**
 * Finding and loading the stack specs (stacks/<stack>.yaml).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { FileProblems, formatPath, InputError, type Problem } from "../kernel/errors";
import { readRegularText, SIZE_LIMITS } from "../kernel/safe-read";
import { StackSpecSchema, type StackSpec } from "./schema";
import { closest, parseYamlText, type YamlEdit } from "../kernel/yaml-file";

export const STACK_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/;

export function stacksDir(root: string): string {
  return join(root, "stacks");
}

/** Names of the stacks that have a spec, sorted. */
export function listStacks(root: string): string[] {
  return readdirSync(stacksDir(root))
    .filter((f) => f.endsWith(".yaml") && !f.startsWith("."))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

export interface LoadedSpec {
  readonly stack: string;
  /** Repository-relative path, as shown in messages. */
  readonly file: string;
  readonly spec: StackSpec;
}

export function loadStackSpec(root: string, stack: string, edits: readonly YamlEdit[] = []): LoadedSpec {
  if (!STACK_NAME_RE.test(stack)) {
    throw new InputError(`'${stack}' is not a valid stack name`, "stack names use letters, digits, '-', '_' and '.'");
  }
  const file = `stacks/${stack}.yaml`;
  const path = join(stacksDir(root), `${stack}.yaml`);
  if (!existsSync(path)) {
    const names = listStacks(root);
    const guess = closest(stack, names);
    throw new InputError(
      `there is no spec for stack '${stack}': ${file} does not exist`,
      [
        guess ? `did you mean --stack ${guess}?` : undefined,
        names.length ? `specs here: ${names.join(", ")}` : undefined,
        `to add a stack, copy stacks/example.yaml to ${file} and edit it`,
      ]
        .filter(Boolean)
        .join("; "),
    );
  }
  const text = readRegularText(path, SIZE_LIMITS.config, file);
  if (edits.length === 0) {
    // The plan and the policy pack both read the spec in one process; check it once per text.
    const hit = specCache.get(path);
    if (hit && hit.text === text) return hit.loaded;
    const loaded = { stack, file, spec: parseYamlText(text, StackSpecSchema, file) };
    specCache.set(path, { text, loaded });
    return loaded;
  }
  try {
    return { stack, file, spec: parseYamlText(text, StackSpecSchema, file, edits) };
  } catch (e) {
    throw blameEdits(e, edits);
  }
}

/**
 * A problem at a path a `--set` edit wrote comes from the flag, not from a line of the file:
 * it is reported as the flag's.
 */
function blameEdits(e: unknown, edits: readonly YamlEdit[]): unknown {
  if (!(e instanceof FileProblems)) return e;
  const flags = edits.map((ed) => ({ path: formatPath(ed.path), flag: `--set ${formatPath(ed.path)}=${JSON.stringify(ed.value)}` }));
  const problems: Problem[] = e.problems.map((p) => {
    const f = p.field
      ? flags.find((x) => p.field === x.path || p.field!.startsWith(`${x.path}.`) || p.field!.startsWith(`${x.path}[`))
      : undefined;
    return f
      ? { file: f.flag, field: p.field, message: p.message, hint: p.hint ? `${p.hint} (check the --set flag)` : "check the --set flag" }
      : p;
  });
  return new FileProblems(problems);
}

const specCache = new Map<string, { text: string; loaded: LoadedSpec }>();

/** Resolves `--stack`: required unless exactly one spec exists. */
export function resolveStackName(root: string, given: string | undefined): string {
  if (given) return given;
  const names = listStacks(root);
  if (names.length === 1) return names[0];
  throw new InputError(
    names.length === 0 ? "there is no stack spec in stacks/" : `--stack is needed: there are ${names.length} specs (${names.join(", ")})`,
    names.length === 0 ? "copy the example: cp stacks/example.yaml stacks/<your-stack>.yaml" : `e.g. --stack ${names[0]}`,
  );
}

/**
 * Parses `--set path=value` (a dotted path with [n] for list items; the value read as YAML),
 * e.g. host.serverType=cx43 or host.sshSources[0]=203.0.113.7/32.
 */
export function parseSetFlag(flag: string): YamlEdit {
  const eq = flag.indexOf("=");
  const pathText = eq > 0 ? flag.slice(0, eq) : "";
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\[\d+\]|\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(pathText)) {
    throw new InputError(
      `--set '${flag}' is not of the form path=value`,
      "e.g. --set host.serverType=cx43 or --set services.mastodon.version=v4.6.4",
    );
  }
  const path: Array<string | number> = [];
  for (const m of pathText.matchAll(/([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)) path.push(m[1] ?? Number(m[2]));
  let value: unknown;
  try {
    value = parse(flag.slice(eq + 1));
  } catch (e) {
    throw new InputError(`--set '${flag}': the value is not valid YAML (${(e as Error).message})`);
  }
  return { path, value };
}
