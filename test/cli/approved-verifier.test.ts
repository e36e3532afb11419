/**
 * The approved verifier judges (issue 12): CI runs the base branch's coop over the pull
 * request's tree. A pull request whose own coop was doctored to say "green" is still refused,
 * because its own coop never judges it.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { approvedRepo } from "../helpers/approved-repo";
import { coop } from "../helpers/cli";
import type { LedgerFixture } from "../helpers/ledger";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function baseAndPullRequest(): Promise<{ base: LedgerFixture; pr: string }> {
  const base = await approvedRepo(["example"]);
  cleanups.push(base.cleanup);
  const pr = mkdtempSync(join(tmpdir(), "coop-pr-"));
  cleanups.push(() => rmSync(pr, { recursive: true, force: true }));
  cpSync(base.root, pr, { recursive: true });
  return { base, pr };
}

describe("the approved verifier", () => {
  it("refuses a pull request whose own coop says green", async () => {
    const { base, pr } = await baseAndPullRequest();
    mkdirSync(join(pr, "bin"), { recursive: true });
    writeFileSync(join(pr, "bin", "coop.js"), '#!/usr/bin/env node\nconsole.log("ledger verified: 6 decisions");\n');
    chmodSync(join(pr, "bin", "coop.js"), 0o755);
    const own = spawnSync(process.execPath, [join(pr, "bin", "coop.js"), "verify"], { encoding: "utf8" });
    expect(own.status).toBe(0);
    expect(own.stdout).toContain("ledger verified");
    const judged = await coop(["verify", "--tree", pr, "--approved", base.root, "--json"]);
    expect(judged.code).toBe(1);
    const doc = JSON.parse(judged.stdout);
    expect(doc.findings).toContainEqual(expect.objectContaining({ code: "code-unapproved", level: "error" }));
  });

  it("passes a pull request that only records a signed decision the bylaws admit", async () => {
    const { base, pr } = await baseAndPullRequest();
    const prFixture = Object.assign(Object.create(Object.getPrototypeOf(base)), base, { root: pr }) as LedgerFixture;
    prFixture.write(prFixture.vote("example", prFixture.lock("example", "1"), { recordedAt: new Date(Date.now() - 60_000).toISOString() }));
    const judged = await coop(["verify", "--tree", pr, "--approved", base.root, "--json"]);
    const doc = JSON.parse(judged.stdout);
    expect(doc.new).toBe(1);
    expect(doc.findings.filter((f: { level: string }) => f.level === "error")).toEqual([]);
    expect(judged.code).toBe(0);
  });

  it("refuses a pull request that rewrites an approved decision", async () => {
    const { base, pr } = await baseAndPullRequest();
    writeFileSync(
      join(pr, "governance", "decisions", "example-0001-genesis.json"),
      `${JSON.stringify({ ...JSON.parse(readFileSync(join(base.root, "governance", "decisions", "example-0001-genesis.json"), "utf8")), note: "rewritten" }, null, 2)}\n`,
    );
    const judged = await coop(["verify", "--tree", pr, "--approved", base.root, "--json"]);
    expect(judged.code).toBe(1);
    expect(JSON.parse(judged.stdout).findings).toContainEqual(expect.objectContaining({ code: "ledger-rewritten" }));
  });
});
