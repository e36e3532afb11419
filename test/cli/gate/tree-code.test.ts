/**
 * `coop gate --tree DIR`, as CI's governance job runs it from the base branch: a pull request's
 * code runs only once the base's coop found it approved by the pull request's ledger, and then
 * the pull request's own program and pack gate it — what the engine will run after the merge.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { judgeTreeCode } from "../../../cli/gate/tree-code";
import { coop } from "../../helpers/cli";
import { fixtureKey } from "../../helpers/governance";
import { REPO_ROOT } from "../../helpers/repo";
import { withTool } from "../../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A copy of this repository's files (what a clone of the pull request holds), its dependencies installed. */
function pullRequestClone(): string {
  const dir = mkdtempSync(join(tmpdir(), "coop-pr-clone-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" })
    .stdout.split("\0")
    .filter((p) => p && existsSync(join(REPO_ROOT, p)));
  for (const p of files) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    cpSync(join(REPO_ROOT, p), join(dir, p));
    chmodSync(join(dir, p), statSync(join(REPO_ROOT, p)).mode);
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** Prepends `line` to the clone's bin/coop.js: a change of code the pull request makes. */
function editCoop(root: string, line: string): void {
  const file = join(root, "bin", "coop.js");
  const [shebang, ...rest] = readFileSync(file, "utf8").split("\n");
  writeFileSync(file, [shebang, line, ...rest].join("\n"));
}

describe("coop gate --tree", () => {
  it("gates in its own process a tree whose code is its own", () => {
    expect(judgeTreeCode(pullRequestClone(), new Date()).kind).toBe("same");
  });

  it("red team: a pull request's coop changed without a decision never runs, and the gate fails", async () => {
    const pr = pullRequestClone();
    editCoop(
      pr,
      `require("node:fs").writeFileSync(require("node:path").join(__dirname, "..", "ran"), "yes"); console.log("all green"); process.exit(0);`,
    );
    const r = await coop(["gate", "--stack", "example", "--tree", pr]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the pull request's code \(sha256 [0-9a-f]{12}…\) is not this coop's and is not approved: none of it runs/);
    expect(r.stderr).toContain("[code-unapproved]");
    expect(r.stdout).not.toContain("all green");
    expect(existsSync(join(pr, "ran"))).toBe(false);
  });

  itSsh(
    "a pull request whose code two admins approved is gated by its own program and pack",
    async () => {
      const pr = pullRequestClone();
      editCoop(pr, `process.stderr.write("coop of the pull request\\n");`);
      const approve = await coop(["approve", "--code", "--key", fixtureKey("ada")], { root: pr });
      expect(approve.code, approve.stderr).toBe(0);
      const id = /Recorded code decision ([^\s:]+)/.exec(approve.stdout)?.[1];
      expect(id).toBeDefined();
      const sign = await coop(["sign", id as string, "--key", fixtureKey("grace")], { root: pr });
      expect(sign.code, sign.stderr).toBe(0);

      const r = await coop(["gate", "--stack", "example", "--tree", pr]);
      expect(r.stderr).toMatch(
        /differs from this coop's \([0-9a-f]{12}…\) and its ledger approves it: gating with its own program and pack/,
      );
      expect(r.stderr).toContain("coop of the pull request");
      expect(r.stdout).toContain("PASSED");
      expect(r.code, r.stderr).toBe(0);
    },
    240_000,
  );
});
