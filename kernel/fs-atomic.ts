/**
 * Writing files so that a crash or a full disk never leaves a half-written file behind:
 * each file is written to a temporary file beside its target and flushed; only when every
 * temporary file is complete are they renamed over their targets.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export function writeFileAtomic(path: string, text: string): void {
  writeFilesAtomic([[path, text]]);
}

/** Writes several files so that either all of them land or none does (short of a crash between renames). */
export function writeFilesAtomic(files: ReadonlyArray<readonly [path: string, text: string]>): void {
  const staged: Array<[tmp: string, path: string]> = [];
  try {
    for (const [path, text] of files) {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${staged.length}.tmp`);
      staged.push([tmp, path]);
      const fd = openSync(tmp, "w", 0o644);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw e;
  }
  for (const [tmp, path] of staged) renameSync(tmp, path);
}
