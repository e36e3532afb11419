/**
 * The manifest of the code in a working tree: every file git tracks or would track (tracked,
 * plus untracked files .gitignore does not exclude — a stray `index.js` counts), minus the
 * declared data (rulebook/records/code.ts). Outside a git work tree (a copy of the repository)
 * every file is walked with the root .gitignore applied.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ignore from "ignore";
import { InputError } from "../../kernel/errors";
import { isMissing, readRegularFile, readRegularText, SIZE_LIMITS, UnsafeFile } from "../../kernel/safe-read";
import { CODE_MANIFEST_VERSION, type CodeManifest, isDataPath } from "../records/code";

function gitFiles(root: string): string[] | undefined {
  if (!existsSync(join(root, ".git"))) return undefined;
  const r = spawnSync("git", ["-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "buffer",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (r.error || r.status !== 0) {
    throw new InputError(
      `cannot list the repository's files with git (${r.error ? r.error.message : `exit ${r.status}`})`,
      "install git, or run coop from a clone of the co-op's repository",
    );
  }
  // A file deleted from the work tree but still in the index is not there to run: skip it.
  return r.stdout
    .toString("utf8")
    .split("\0")
    .filter((p) => p && existsSync(join(root, p)));
}

function walkedFiles(root: string): string[] {
  const ig = ignore().add([".git", "node_modules"]);
  try {
    ig.add(readRegularText(join(root, ".gitignore"), SIZE_LIMITS.config, ".gitignore"));
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      const rel = relative(root, abs).split(sep).join("/");
      if (ig.ignores(entry.isDirectory() ? `${rel}/` : rel)) continue;
      if (entry.isDirectory()) walk(abs);
      else out.push(rel);
    }
  };
  walk(root);
  return out;
}

/** A code file's entry in the manifest: its SHA-256, marked `+x` when it is executable. */
export function codeFileDigest(content: Buffer | string, executable: boolean): string {
  const hash = createHash("sha256").update(content).digest("hex");
  return executable ? `${hash}+x` : hash;
}

/** The code manifest of the tree at `root`. */
export function readCodeManifest(root: string): CodeManifest {
  const paths = (gitFiles(root) ?? walkedFiles(root)).filter((p) => !isDataPath(p)).sort();
  const files: Record<string, string> = {};
  for (const p of paths) {
    const abs = join(root, p);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) throw new UnsafeFile(p, "is a symbolic link; code files must be regular files");
    files[p] = codeFileDigest(readRegularFile(abs, SIZE_LIMITS.code, p), (st.mode & 0o111) !== 0);
  }
  return { version: CODE_MANIFEST_VERSION, files };
}
