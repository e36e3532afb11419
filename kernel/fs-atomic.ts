/**
 * Writing files so that a crash or a full disk never leaves a half-written file behind:
 * each file is written to a temporary file beside its target and flushed; only when every
 * temporary file is complete are they renamed over their targets.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError } from "./errors";

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
    throw writeError(e, staged[staged.length - 1]?.[1] ?? files[0]?.[0]);
  }
  try {
    for (const [tmp, path] of staged) renameSync(tmp, path);
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw writeError(e, staged[0]?.[1]);
  }
}

const WHY: Record<string, [string, string]> = {
  EACCES: ["permission denied", "check who owns the folder (ls -l) and run coop as that user, or fix its permissions"],
  EPERM: ["permission denied", "check who owns the folder (ls -l) and run coop as that user, or fix its permissions"],
  EROFS: ["the file system is read-only", "run coop in a writable checkout of the repository"],
  ENOSPC: ["the disk is full", "free some space (df -h shows where), then run the command again; nothing was changed"],
  EDQUOT: ["the disk quota is exhausted", "free some space, then run the command again; nothing was changed"],
};

/** A write that failed, said as what it is (with the path), not as a bug of coop. */
function writeError(e: unknown, path: string | undefined): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code ? WHY[code] : undefined;
  if (!why || !path) return e;
  return new InputError(`cannot write ${path}: ${why[0]} (${code})`, why[1]);
}

const VERB: Record<string, string> = { open: "open", mkdir: "create", rename: "write", unlink: "remove", rmdir: "remove", scandir: "list" };

/**
 * Any file-system failure a machine causes (permissions, a full disk, a read-only mount), or a
 * file that is not there, wherever it was raised, as an InputError naming the path (relative to
 * `root` when inside it); undefined for anything else.
 */
export function fileSystemError(e: unknown, root?: string): InputError | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  if (typeof err?.path !== "string" || !err.code) return undefined;
  const inside = root !== undefined && err.path.startsWith(`${root}/`);
  const path = inside ? err.path.slice(root.length + 1) : err.path;
  if (err.code === "ENOENT")
    return new InputError(
      `${path} does not exist`,
      inside ? `if the repository tracks it, restore it from git (git restore ${path})` : "check the path you gave",
    );
  const why = WHY[err.code];
  if (!why) return undefined;
  const verb = (err.syscall && VERB[err.syscall]) ?? "use";
  const hint =
    verb === "write" || verb === "create" || err.code !== "EACCES"
      ? why[1]
      : "check who owns it (ls -l) and run coop as that user, or fix its permissions";
  return new InputError(`cannot ${verb} ${path}: ${why[0]} (${err.code})`, hint);
}
