/**
 * Writes the site as a whole: every file goes to a fresh folder beside the target, flushed;
 * only then does the folder take the target's place (the old one is removed after). A crash or
 * a full disk leaves the previous site as it was. A folder that holds something other than a
 * site coop wrote is never replaced: `--out ~` must not delete a home directory.
 */
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "../../kernel/errors";

/** The file that marks a folder as a site coop wrote (and may therefore replace). */
export const SITE_MARKER = ".coop-site";

function writeOne(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "wx", 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * Flushes every written file before the folder takes the target's place. Many flushes in flight
 * at once let the file system commit them together: one at a time, a site of 10,000 decisions
 * spent most of its time waiting on them.
 */
async function flushAll(paths: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const handle = await open(paths[next++], "r");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(64, paths.length) }, worker));
}

export async function writeSiteDir(out: string, files: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const target = resolve(out);
  if (existsSync(target)) {
    const st = lstatSync(target);
    if (!st.isDirectory() || st.isSymbolicLink())
      throw new InputError(`--out ${out} is not a folder`, "name a new folder (it is created) or the folder of an earlier `coop site`");
    if (readdirSync(target).length > 0 && !existsSync(join(target, SITE_MARKER)))
      throw new InputError(
        `--out ${out} holds files that coop site did not write; nothing was changed`,
        "name a new or empty folder, e.g. --out _site (coop replaces only a folder it wrote before)",
      );
  }
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.staging-`));
  try {
    const written: string[] = [];
    for (const [rel, text] of files) {
      const path = resolve(staging, rel);
      if (!path.startsWith(`${staging}/`)) throw new Error(`site file outside the site: ${rel}`);
      writeOne(path, text);
      written.push(path);
    }
    writeOne(join(staging, SITE_MARKER), "Written by coop site; the next run replaces this folder as a whole.\n");
    await flushAll([...written, join(staging, SITE_MARKER)]);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  const old = existsSync(target) ? `${staging}.old` : undefined;
  try {
    if (old) renameSync(target, old);
    renameSync(staging, target);
  } catch (e) {
    if (old && !existsSync(target) && existsSync(old)) renameSync(old, target);
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  if (old) rmSync(old, { recursive: true, force: true });
}
