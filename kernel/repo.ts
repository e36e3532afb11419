/**
 * The repository a command or the program runs in: its root (where Pulumi.yaml is) and the
 * Pulumi project name that config keys and URNs use.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { InputError } from "./errors";

/** The repository root: the nearest directory above `from` that holds Pulumi.yaml. */
export function findRepoRoot(from: string = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new InputError(`no Pulumi.yaml found above ${from}`, "run coop from inside the co-op's repository");
    dir = up;
  }
}

const projectNames = new Map<string, string>();

/** The Pulumi project name (`name` in Pulumi.yaml); config keys and URNs use it. */
export function readProjectName(root: string): string {
  const cached = projectNames.get(root);
  if (cached) return cached;
  const text = readFileSync(join(root, "Pulumi.yaml"), "utf8");
  const name = (parse(text) as { name?: unknown } | null)?.name;
  if (typeof name !== "string" || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new InputError(
      "Pulumi.yaml has no valid `name`",
      "set `name: coop-infra` (or your fork's project name) at the top of Pulumi.yaml",
    );
  }
  projectNames.set(root, name);
  return name;
}
