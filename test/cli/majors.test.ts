/**
 * The bylaws' rules on major upgrades, end to end: the proposal names them, `coop decide`
 * refuses a poll that does not, and no Nextcloud plan may skip a major version.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvedRepo, setSpec } from "../helpers/approved-repo";
import { coop, verifyJson } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import type { LedgerFixture } from "../helpers/ledger";
import { closedPoll, type FakeLoomio, json, startLoomio } from "../helpers/loomio";

const KEY = "bot-key-for-majors";
const NOW = "2026-03-11T09:00:00.000Z";
let fake: FakeLoomio;
beforeAll(async () => {
  fake = await startLoomio();
});
afterAll(() => fake.close());

function env(): NodeJS.ProcessEnv {
  return { ...process.env, LOOMIO_URL: fake.url, LOOMIO_API_KEY: KEY, COOP_LOOMIO_BACKOFF_MS: "1" };
}

/** An approved repository (pinned to the loopback Loomio) whose example spec was edited. */
async function edited(from: string, to: string): Promise<LedgerFixture> {
  const repo = await approvedRepo(["example"], { loomioUrl: fake.url });
  setSpec(repo.root, "example", from, to);
  return repo;
}

async function proposal(root: string): Promise<string> {
  const r = await coop(["propose", "--stack", "example", "--json"], { root, env: env(), at: NOW });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { markdown: string }).markdown;
}

describe("a Mastodon major upgrade", () => {
  const toV5 = ["version: v4.6.3", "version: v5.0.0"] as const;

  it("is named in the proposal: in words, and with a coop-major line", async () => {
    const repo = await edited(...toV5);
    try {
      const md = await proposal(repo.root);
      expect(md).toContain("- Mastodon moves from major version 4 to 5.");
      expect(md).toMatch(/\ncoop-major: mastodon 4 -> 5\ncoop-plan: stack=example sha256=[0-9a-f]{64}\n/);
    } finally {
      repo.cleanup();
    }
  });

  it("is refused by coop decide when the poll does not name it, and nothing is written", async () => {
    const repo = await edited(...toV5);
    try {
      const md = await proposal(repo.root);
      fake.answers = [json(200, closedPoll({ details: md.replace("coop-major: mastodon 4 -> 5\n", "") }))];
      const before = snapshot(repo.root);
      const r = await coop(["decide", "--stack", "example", "--poll", "AbC123xy"], { root: repo.root, env: env(), at: NOW });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/it approves mastodon 4 → 5 without naming it \[major-unnamed\]/);
      expect(changedFiles(before, snapshot(repo.root))).toEqual([]);
    } finally {
      repo.cleanup();
    }
  });

  it("is recorded when the poll names it", async () => {
    const repo = await edited(...toV5);
    try {
      fake.answers = [json(200, closedPoll({ details: await proposal(repo.root) }))];
      const r = await coop(["decide", "--stack", "example", "--poll", "AbC123xy"], { root: repo.root, env: env(), at: NOW });
      expect(r.code, r.stderr).toBe(0);
      const record = JSON.parse(readFileSync(join(repo.root, "governance/decisions/example-0002-change.json"), "utf8")) as {
        summary: string;
        evidence: { answer: { polls: Array<{ details: string }> } };
      };
      expect(record.summary).toContain("- Mastodon moves from major version 4 to 5.");
      expect(record.evidence.answer.polls[0].details).toContain("coop-major: mastodon 4 -> 5");
      expect((await verifyJson(repo.root, NOW)).codes).toEqual(["signatures-insufficient"]);
    } finally {
      repo.cleanup();
    }
  });
});

describe("a Nextcloud upgrade that skips a major version", () => {
  it("cannot be proposed", async () => {
    const repo = await edited("version: 34.0.2", "version: 36.0.0");
    try {
      const r = await coop(["propose", "--stack", "example"], { root: repo.root, env: env(), at: NOW });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Nextcloud would move from major version 34 to 36/);
      expect(r.stderr).toMatch(/hint: set services.nextcloud.version to the latest 35.x release first/);
    } finally {
      repo.cleanup();
    }
  });
});
