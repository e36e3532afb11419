/**
 * Reads the repository's tree for kernel/code-boundary.ts: every file, folder and link outside
 * node_modules and .git, and the text of the configuration files it checks.
 */
import { type Dirent, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_FILES, type CodeTree } from "./code-boundary";

/** Folders never walked: installed packages (npm ci replaces them) and git's own store. */
const SKIPPED: ReadonlySet<string> = new Set(["node_modules", ".git"]);

export function readCodeTree(root: string): CodeTree {
  const files: string[] = [];
  const folders: string[] = [];
  const links: string[] = [];
  const walk = (dir: string, rel: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      // A folder that cannot be read may hold anything: the caller refuses to start.
      throw new Error(`cannot read ${rel || "."}: ${(e as Error).message}`);
    }
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) {
        if (!SKIPPED.has(e.name)) links.push(path);
      } else if (e.isDirectory()) {
        if (SKIPPED.has(e.name)) continue;
        folders.push(path);
        walk(join(dir, e.name), path);
      } else {
        files.push(path);
      }
    }
  };
  walk(root, "");
  const present = new Set(files);
  const texts: Record<string, string> = {};
  for (const file of CONFIG_FILES) if (present.has(file)) texts[file] = readFileSync(join(root, file), "utf8");
  return { files, folders, links, texts };
}
