/** Snapshots of a directory tree, to prove a command wrote nothing (or exactly what it should). */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export function snapshot(root: string, dir = "governance"): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), readFileSync(p, "utf8"));
    }
  };
  walk(join(root, dir));
  return out;
}

export function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}
