/**
 * The bylaws' rules on major upgrades, end to end: the proposal names them, `coop decide`
 * refuses a poll that does not, and no Nextcloud plan may skip a major version.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planBindingLine } from "../../rulebook/loomio/binding";
import { makePlan } from "../../cli/plan/planning";
import { coop } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { closedPoll, json, startLoomio, type FakeLoomio } from "../helpers/loomio";
import { tempRepo } from "../helpers/repo";

const KEY = "bot-key-for-majors";
let fake: FakeLoomio;
beforeAll(async () => {
  fake = await startLoomio();
});
afterAll(() => fake.close());

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LOOMIO_URL: fake.url,
    LOOMIO_API_KEY: KEY,
    LOOMIO_GROUP_ID: "42",
    COOP_NOW: "2026-03-11T09:00:00Z",
    COOP_LOOMIO_BACKOFF_MS: "1",
  };
}

/** A copy of the repository whose example spec was edited. */
async function edited(edit: (spec: string) => string) {
  const repo = tempRepo();
  const file = join(repo.root, "stacks", "example.yaml");
  writeFileSync(file, edit(readFileSync(file, "utf8")));
  return repo;
}

describe("a Mastodon major upgrade", () => {
  const toV5 = (s: string) => s.replace("version: v4.6.3", "version: v5.0.0");

  it("is named in the proposal with a coop-major line", async () => {
    const repo = await edited(toV5);
    try {
      const r = await coop(["propose", "--stack", "example"], { root: repo.root, env: env() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("Mastodon moves from major version 4 to 5.");
      expect(r.stdout).toMatch(/\ncoop-major: mastodon 4 -> 5\ncoop-plan: stack=example sha256=[0-9a-f]{64}\n/);
    } finally {
      repo.cleanup();
    }
  });

  it("is refused by coop decide when the poll does not name it, and nothing is written", async () => {
    const repo = await edited(toV5);
    try {
      const { digest } = await makePlan(repo.root, "example");
      fake.answers = [json(200, closedPoll({ details: `Upgrade.\n\n${planBindingLine("example", digest)}\n` }))];
      const before = snapshot(repo.root);
      const r = await coop(["decide", "--stack", "example", "--poll", "AbC123xy"], { root: repo.root, env: env() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/rule major-named failed \(the decision does not name 'coop-major: mastodon 4 -> 5'\)/);
      expect(changedFiles(before, snapshot(repo.root))).toEqual([]);
    } finally {
      repo.cleanup();
    }
  });

  it("is recorded, with the changes the decision approved, when the poll names it", async () => {
    const repo = await edited(toV5);
    try {
      const { digest } = await makePlan(repo.root, "example");
      fake.answers = [
        json(200, closedPoll({ details: `Upgrade.\n\ncoop-major: mastodon 4 -> 5\n${planBindingLine("example", digest)}\n` })),
      ];
      const r = await coop(["decide", "--stack", "example", "--poll", "AbC123xy"], { root: repo.root, env: env() });
      expect(r.code, r.stderr).toBe(0);
      const record = readFileSync(join(repo.root, "governance/decisions/example-0002-change.yaml"), "utf8");
      expect(record).toContain(`majors: ["coop-major: mastodon 4 -> 5"]`);
      expect(record).toMatch(/changes:\n/);
      expect(record).toContain('"ghcr.io/mastodon/mastodon:v5.0.0"');
    } finally {
      repo.cleanup();
    }
  });
});

describe("a Nextcloud upgrade that skips a major version", () => {
  it("cannot be proposed", async () => {
    const repo = await edited((s) => s.replace("version: 34.0.2", "version: 36.0.0"));
    try {
      const r = await coop(["propose", "--stack", "example"], { root: repo.root, env: env() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Nextcloud would move from major version 34 to 36/);
      expect(r.stderr).toMatch(/hint: set services.nextcloud.version to the latest 35.x release first/);
    } finally {
      repo.cleanup();
    }
  });
});
