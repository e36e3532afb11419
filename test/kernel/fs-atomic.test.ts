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
import { fileSystemError, writeFilesAtomic } from "../../kernel/fs-atomic";

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

describe("fileSystemError", () => {
  const raised = (code: string, path: string, syscall = "open") => Object.assign(new Error(code), { code, path, syscall });

  it("names the path inside the repository relative to it, and restores only what git can restore", () => {
    expect(fileSystemError(raised("ENOENT", "/repo/governance/members.yaml"), "/repo")).toMatchObject({
      message: "governance/members.yaml does not exist",
      hint: "if the repository tracks it, restore it from git (git restore governance/members.yaml)",
    });
    expect(fileSystemError(raised("ENOENT", "/home/ada/.ssh/id_ed25519"), "/repo")).toMatchObject({
      message: "/home/ada/.ssh/id_ed25519 does not exist",
      hint: "check the path you gave",
    });
    expect(fileSystemError(raised("ENOSPC", "/repo/governance/x.json", "rename"), "/repo")?.message).toBe(
      "cannot write governance/x.json: the disk is full (ENOSPC)",
    );
  });

  it("leaves everything else to be reported as a bug", () => {
    expect(fileSystemError(new Error("boom"))).toBeUndefined();
    expect(fileSystemError(Object.assign(new Error("x"), { code: "EWEIRD", path: "/repo/a" }))).toBeUndefined();
    expect(fileSystemError(Object.assign(new Error("x"), { code: "EACCES" }))).toBeUndefined();
  });
});
