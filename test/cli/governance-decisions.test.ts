/**
 * The governance chain through the commands: the bylaws, the members list and the code change
 * only by a decision judged by the version already approved — a bylaws amendment under the old
 * bylaws' larger majority, a signing role granted by a vote, a code change the bylaws reserve for
 * a vote — while routine churn (a member joins, a dependency bump) needs only the signatures the
 * bylaws set.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect } from "vitest";
import { approvedRepo, type ApprovedRepoOptions } from "../helpers/approved-repo";
import { coop, verifyJson } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { fixtureKey, nodeKey } from "../helpers/governance";
import type { LedgerFixture } from "../helpers/ledger";
import { closedPoll, type FakeLoomio, json, startLoomio, withVotes } from "../helpers/loomio";
import { withTool } from "../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const NOW = "2026-03-11T09:00:00.000Z";

let fake: FakeLoomio;
beforeAll(async () => {
  fake = await startLoomio();
});
afterAll(() => fake.close());
const repos: LedgerFixture[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

const env = () => ({ ...process.env, LOOMIO_URL: fake.url, LOOMIO_API_KEY: "k-governance", COOP_LOOMIO_BACKOFF_MS: "1" });

async function repo(opts: ApprovedRepoOptions = {}): Promise<LedgerFixture> {
  const f = await approvedRepo(["example"], { loomioUrl: fake.url, ...opts });
  repos.push(f);
  return f;
}

function editYaml(root: string, file: string, change: (doc: Record<string, unknown>) => void): void {
  const path = join(root, file);
  const doc = parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  change(doc);
  writeFileSync(path, stringify(doc));
}

async function propose(root: string, flag: string): Promise<string> {
  const r = await coop(["propose", flag, "--json"], { root, env: env(), at: NOW });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { markdown: string }).markdown;
}

async function decide(root: string, flag: string, details: string, votes = withVotes({ agree: 8, abstain: 0, disagree: 2, block: 0 }, 12)) {
  fake.answers = [json(200, closedPoll({ details, ...votes }))];
  return coop(["decide", flag, "--poll", "AbC123xy", "--key", fixtureKey("ada")], { root, env: env(), at: NOW });
}

async function sign(root: string, id: string, who: "ada" | "grace"): Promise<void> {
  const r = await coop(["sign", id, "--key", fixtureKey(who)], { root, at: NOW });
  expect(r.code, r.stderr).toBe(0);
}

function record(root: string, id: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, "governance", "decisions", `${id}.json`), "utf8"));
}

describe("a bylaws amendment is decided under the bylaws in force", () => {
  itSsh("the old bylaws' 3/4 majority applies, even when the new bylaws would lower it", async () => {
    const f = await repo();
    editYaml(f.root, "governance/rules.yaml", (rules) => {
      const a = rules.amendments as { bylaws: { threshold: string } };
      a.bylaws.threshold = "2/3";
      (rules.polls as { maxAgeDays: number }).maxAgeDays = 21;
    });
    expect((await verifyJson(f.root, NOW)).codes).toEqual(["rules-unapproved"]);

    const text = await propose(f.root, "--bylaws");
    expect(text).toContain('- amendments.bylaws.threshold: "3/4" → "2/3"');
    expect(text).toContain("- polls.maxAgeDays: 30 → 21");
    expect(text).toContain("at least three quarters of the agree and disagree votes must be agree");
    expect(text).toMatch(/\ncoop-bylaws: sha256=[0-9a-f]{64}\ncoop-summary: sha256=[0-9a-f]{64}\n$/);

    // 7 of 10 (70%): enough under the new bylaws' two thirds, not under the old three quarters.
    const before = snapshot(f.root);
    const short = await decide(f.root, "--bylaws", text, withVotes({ agree: 7, abstain: 0, disagree: 3, block: 0 }, 12));
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/7 agree, 3 disagree \(70(\.0)?% agree; needed 3\/4.*\[poll-threshold\]/);
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);

    const passed = await decide(f.root, "--bylaws", text);
    expect(passed.code, passed.stderr).toBe(0);
    expect(passed.stdout).toMatch(/Recorded bylaws decision bylaws-0001-amendment/);
    expect(record(f.root, "bylaws-0001-amendment")).toMatchObject({
      kind: "bylaws",
      previous: "governance-0001-founding",
      seen: { example: "example-0001-genesis" },
    });
    expect((await verifyJson(f.root, NOW)).codes).toEqual(["signatures-insufficient"]);
    await sign(f.root, "bylaws-0001-amendment", "grace");
    expect(await verifyJson(f.root, NOW)).toMatchObject({ code: 0, codes: [] });
  });
});

describe("the members list", () => {
  itSsh("a signing role is never routine: approve --members refuses it, a vote under the roles process grants it", async () => {
    const f = await repo();
    editYaml(f.root, "governance/members.yaml", (doc) => {
      for (const m of doc.members as Array<{ name: string; roles: string[] }>) if (m.name === "linus") m.roles = ["admin"];
    });
    const before = snapshot(f.root);
    const routine = await coop(["approve", "--members", "--key", fixtureKey("ada")], { root: f.root, at: NOW });
    expect(routine.code).toBe(1);
    expect(routine.stderr).toMatch(
      /linus is given the signing role admin: granting or taking a role that can sign is never routine \[membership-out-of-class\]/,
    );
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);

    const text = await propose(f.root, "--members");
    expect(text).toContain("- linus's roles change: member → admin.");
    expect(text).toMatch(/\ncoop-members: sha256=[0-9a-f]{64}\n/);
    const d = await decide(f.root, "--members", text);
    expect(d.code, d.stderr).toBe(0);
    expect(record(f.root, "members-0001-version")).toMatchObject({ kind: "members", evidence: { type: "loomio-poll" } });
    await sign(f.root, "members-0001-version", "grace");
    expect(await verifyJson(f.root, NOW)).toMatchObject({ code: 0, codes: [] });
  });

  itSsh("a member joins through the routine class: one admin's signature records it", async () => {
    const f = await repo();
    const mary = nodeKey("mary@example.coop");
    editYaml(f.root, "governance/members.yaml", (doc) => {
      (doc.members as unknown[]).push({ name: "mary", roles: ["member"], sshKeys: [mary.line] });
    });
    expect((await verifyJson(f.root, NOW)).codes).toEqual(["members-unapproved"]);
    const r = await coop(["approve", "--members", "--key", fixtureKey("ada"), "--json"], { root: f.root, at: NOW });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ subject: "members", decision: "members-0001-version", signatures: { missing: 0 } });
    expect(record(f.root, "members-0001-version").summary).toContain("- mary joins as member.");
    expect(await verifyJson(f.root, NOW)).toMatchObject({ code: 0, codes: [] });
  });
});

describe("the code", () => {
  itSsh("a dependency bump is approved by two admins (coop approve --code, then coop sign)", async () => {
    const f = await repo();
    writeFileSync(join(f.root, "package-lock.json"), '{"lockfileVersion":3,"packages":{"node_modules/yaml":{"version":"2.9.2"}}}\n');
    const unapproved = await verifyJson(f.root, NOW);
    expect(unapproved.codes).toEqual(["code-unapproved"]);

    const r = await coop(["approve", "--code", "--key", fixtureKey("ada")], { root: f.root, at: NOW });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Recorded code decision code-0001-version/);
    expect(r.stdout).toMatch(/needs 1 more signature by admin/);
    expect(record(f.root, "code-0001-version").summary).toContain("- package-lock.json (added)");
    expect((await verifyJson(f.root, NOW)).codes).toEqual(["signatures-insufficient"]);
    await sign(f.root, "code-0001-version", "grace");
    expect(await verifyJson(f.root, NOW)).toMatchObject({ code: 0, codes: [] });
  });

  itSsh("a change to paths the bylaws reserve for a vote needs one: approve --code refuses, a vote approves it", async () => {
    const f = await repo({ rules: (t) => t.replace("voteWhenChanged: []", 'voteWhenChanged: ["policies/**"]') });
    mkdirSync(join(f.root, "policies"), { recursive: true });
    writeFileSync(join(f.root, "policies", "lenient.ts"), "export const lenient = true;\n");
    const before = snapshot(f.root);
    const refused = await coop(["approve", "--code", "--key", fixtureKey("ada")], { root: f.root, at: NOW });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/it changes policies\/lenient\.ts, which the bylaws reserve for a vote .*\[code-vote-required\]/);
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);

    const text = await propose(f.root, "--code");
    expect(text).toContain("- policies/lenient.ts (added)");
    expect(text).toMatch(/\ncoop-code: sha256=[0-9a-f]{64}\n/);
    const d = await decide(f.root, "--code", text);
    expect(d.code, d.stderr).toBe(0);
    expect(record(f.root, "code-0001-version")).toMatchObject({ kind: "code", evidence: { type: "loomio-poll" } });
    await sign(f.root, "code-0001-version", "grace");
    expect(await verifyJson(f.root, NOW)).toMatchObject({ code: 0, codes: [] });
  });
});
