/**
 * Reading files that someone else may have written: the ledger, the bylaws, specs, config.
 * A pull request can put anything in the repository, so a read refuses what is not a regular
 * file (a symlink could point at /dev/zero or a secret outside the repository, a FIFO would hang)
 * and anything larger than the caller's limit, before reading a byte of it. Messages name the
 * file and the reason, never its content.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { InputError } from "./errors";

/** Limits per kind of file, in bytes: generous for real use, small enough to bound memory. */
export const SIZE_LIMITS = {
  /** A decision record (a Loomio answer included). */
  record: 2 * 1024 * 1024,
  /** A lock or a stored object (a whole desired state, a code manifest). */
  object: 32 * 1024 * 1024,
  /** rules.yaml, members.yaml, a stack spec, Pulumi.<stack>.yaml, the price table. */
  config: 4 * 1024 * 1024,
  /** A file hashed into the code digest. */
  code: 64 * 1024 * 1024,
} as const;

export class UnsafeFile extends InputError {
  constructor(
    readonly shown: string,
    readonly reason: string,
  ) {
    super(`${shown} ${reason}`, `restore it from git (git restore ${shown}); coop reads only regular files of the repository`);
  }
}

/**
 * Reads a regular file of at most `maxBytes`. Throws ENOENT errors through (callers decide
 * whether a missing file is a problem) and UnsafeFile for anything else that is refused.
 */
export function readRegularFile(path: string, maxBytes: number, shown = path): Buffer {
  let fd: number;
  try {
    // O_NOFOLLOW refuses a symbolic link as the file itself; O_NONBLOCK keeps a FIFO from hanging the open.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP" || (e as NodeJS.ErrnoException).code === "EMLINK")
      throw new UnsafeFile(shown, "is a symbolic link");
    throw e;
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw new UnsafeFile(shown, "is not a regular file");
    if (opened.size > maxBytes) throw new UnsafeFile(shown, `is larger than ${maxBytes} bytes (${opened.size})`);
    // A file that grows after the check is read only up to the limit, and then refused.
    const buf = Buffer.allocUnsafe(Math.min(opened.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > maxBytes) throw new UnsafeFile(shown, `is larger than ${maxBytes} bytes`);
      if (n === buf.length) break;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export function readRegularText(path: string, maxBytes: number, shown = path): string {
  const buf = readRegularFile(path, maxBytes, shown);
  const text = buf.toString("utf8");
  if (text.includes("\uFFFD") && !Buffer.from(text, "utf8").equals(buf)) throw new UnsafeFile(shown, "is not UTF-8 text");
  return text;
}

export function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === "ENOENT" || (e as NodeJS.ErrnoException | undefined)?.code === "ENOTDIR";
}
