/**
 * The repository under test, and throw-away copies of it for tests that write files.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "..", "..");

/** Copies what a co-op's repository holds (not node_modules) into a temporary directory. */
export function tempRepo(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), "coop-repo-"));
  for (const entry of ["Pulumi.yaml", "stacks", "governance", "plan/prices"]) {
    try {
      cpSync(join(REPO_ROOT, entry), join(root, entry), { recursive: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
