/**
 * A write that cannot happen says so, with the path and the real reason (not "a bug in coop"),
 * and leaves nothing half-written. The file system's refusals are injected, since the suite
 * runs as root in CI, where permissions never refuse.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InputError } from "../../kernel/errors";
import { writeFilesAtomic } from "../../kernel/fs-atomic";

const refuse: { code?: string } = {};
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      if (refuse.code) throw Object.assign(new Error(`${refuse.code}: refused`), { code: refuse.code });
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    },
  };
});

afterEach(() => {
  refuse.code = undefined;
});

describe("writeFilesAtomic", () => {
  it("writes every file or none", () => {
    const dir = mkdtempSync(join(tmpdir(), "coop-atomic-"));
    writeFilesAtomic([
      [join(dir, "a"), "A"],
      [join(dir, "sub", "b"), "B"],
    ]);
    expect(readFileSync(join(dir, "a"), "utf8")).toBe("A");
    expect(readFileSync(join(dir, "sub", "b"), "utf8")).toBe("B");
  });

  for (const [code, reason] of [
    ["EACCES", /permission denied \(EACCES\)/],
    ["ENOSPC", /the disk is full \(ENOSPC\)/],
    ["EROFS", /the file system is read-only \(EROFS\)/],
  ] as const) {
    it(`${code} is said as such, with the path; the old file stays and no temporary file is left`, () => {
      const dir = mkdtempSync(join(tmpdir(), "coop-atomic-"));
      writeFileSync(join(dir, "a"), "old");
      refuse.code = code;
      let error: unknown;
      try {
        writeFilesAtomic([[join(dir, "a"), "new"]]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(
        new RegExp(`cannot write ${join(dir, "a").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: ${reason.source}`),
      );
      expect(readFileSync(join(dir, "a"), "utf8")).toBe("old");
      expect(readdirSync(dir)).toEqual(["a"]);
    });
  }
});
