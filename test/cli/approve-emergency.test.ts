import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../policies/governance/decision";
import { approvedRepo } from "../helpers/approved-repo";
import { planBindingLine } from "../../policies/governance/binding";
import { coop } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { fixtureKey, refreshGenesis } from "../helpers/governance";
import { closedPoll, json, startLoomio, type FakeLoomio } from "../helpers/loomio";
import { tempRepo } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
let fake: FakeLoomio;
beforeAll(async () => {
  fake = await startLoomio();
});
afterAll(() => fake.close());

const env = (now: string) => ({ ...process.env, LOOMIO_URL: fake.url, LOOMIO_API_KEY: "k-123456", COOP_NOW: now, COOP_LOOMIO_BACKOFF_MS: "1" });

function setSpec(root: string, from: RegExp, to: string): void {
  const spec = join(root, "stacks", "example.yaml");
  const text = readFileSync(spec, "utf8");
  expect(text).toMatch(from);
  writeFileSync(spec, text.replace(from, to));
}

async function verifyCodes(root: string, now: string): Promise<{ code: number; codes: string[] }> {
  const r = await coop(["verify", "--json"], { root, env: env(now) });
  const doc = JSON.parse(r.stdout) as { findings: Array<{ code: string }> };
  return { code: r.code, codes: doc.findings.map((f) => f.code) };
}

describe("routine changes: coop approve --standing", () => {
  itSsh("a standing decision pre-approves patch upgrades; anything else still needs a vote", async () => {
    const { root, cleanup } = tempRepo();
    try {
      await refreshGenesis(root);
      const now = "2026-09-01T10:00:00Z";
      const standing = await coop(["decide", "--standing", "--classes", "image-patch", "--stacks", "example", "--manual", "--meeting", "General assembly 2026-08-30", "--minutes", "docs/minutes/2026-08-30.md", "--decided-on", "2026-08-30"], { root, env: env(now) });
      expect(standing.code, standing.stderr).toBe(0);
      const id = "standing-0001-image-patch";
      for (const who of ["ada", "grace"] as const) expect((await coop(["sign", id, "--key", fixtureKey(who)], { root, env: env(now) })).code).toBe(0);

      setSpec(root, /serverType: cx33/, "serverType: cx43");
      const before = snapshot(root);
      const refused = await coop(["approve", "--stack", "example", "--standing", id], { root, env: env(now) });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/host-server serverType: the value is not a container image reference/);
      expect(refused.stderr).toMatch(/needs a vote/);
      expect(changedFiles(before, snapshot(root))).toEqual([]);

      setSpec(root, /serverType: cx43/, "serverType: cx33");
      setSpec(root, /version: v4\.6\.3/, "version: v4.6.4");
      const ok = await coop(["approve", "--stack", "example", "--standing", id, "--key", fixtureKey("ada")], { root, env: env(now) });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/Recorded routine decision example-0002-routine \(image-patch/);
      expect(changedFiles(before, snapshot(root))).toEqual(["governance/approved/example.lock.json", "governance/decisions/example-0002-routine.yaml"]);
      expect(await verifyCodes(root, now)).toEqual({ code: 0, codes: [] });
    } finally {
      cleanup();
    }
  });
});

describe("routine changes: the standing decision must meet the rules in force", () => {
  it("coop approve refuses a standing decision that set itself a lower bar than the rules (one admin for a meeting)", async () => {
    const repo = await approvedRepo(["example"]);
    try {
      const now = "2026-09-01T10:00:00Z";
      const standing: Decision = {
        kind: "standing",
        version: 1,
        id: "standing-0001-image-patch",
        project: "coop-infra",
        decidedAt: "2026-08-30T00:00:00.000Z",
        recordedAt: "2026-08-30T00:00:00.000Z",
        summary: "Pre-approves image-patch on example.",
        rulesSha256: repo.rulesSha256(),
        requires: { count: 1, roles: ["admin"] },
        signatures: [],
        terms: { classes: ["image-patch"], stacks: ["example"], until: null },
        evidence: { type: "meeting", meeting: "General assembly 2026-08-30", minutes: "docs/minutes/2026-08-30.md" },
      };
      repo.write(repo.sign(standing, "ada"));
      setSpec(repo.root, /version: v4\.6\.3/, "version: v4.6.4");
      const before = snapshot(repo.root);
      const r = await coop(["approve", "--stack", "example", "--standing", standing.id], { root: repo.root, env: env(now) });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/standing decision standing-0001-image-patch is not valid under the rules in force/);
      expect(r.stderr).toMatch(/1 valid signature \(ada\); the rules in force require 2 by admin/);
      expect(r.stderr).toMatch(/hint: it needs the signatures governance\/rules\.yaml requires \(coop sign standing-0001-image-patch --key <key>\)/);
      expect(changedFiles(before, snapshot(repo.root))).toEqual([]);

      // With the second admin's signature it pre-approves the patch.
      repo.write(repo.sign(standing, "ada", "grace"));
      const ok = await coop(["approve", "--stack", "example", "--standing", standing.id], { root: repo.root, env: env(now) });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/Recorded routine decision example-0002-routine/);
    } finally {
      repo.cleanup();
    }
  });
});

describe("emergency changes: coop emergency, then ratification by a poll", () => {
  itSsh("needs two admin signatures, is flagged until ratified, and a violation after the deadline", async () => {
    const { root, cleanup } = tempRepo();
    try {
      await refreshGenesis(root);
      const t0 = "2026-09-01T10:00:00Z";
      setSpec(root, /version: v4\.6\.3/, "version: v4.6.5");
      const e = await coop(["emergency", "--stack", "example", "--reason", "Mastodon security release", "--key", fixtureKey("ada")], { root, env: env(t0) });
      expect(e.code, e.stderr).toBe(0);
      expect(e.stdout).toMatch(/needs 1 more signature by admin before it counts/);
      expect(e.stdout).toMatch(/ratify it by 2026-09-15/);
      expect(await verifyCodes(root, t0)).toEqual({ code: 1, codes: ["signatures-insufficient", "emergency-unratified"] });

      expect((await coop(["sign", "example-0002-emergency", "--key", fixtureKey("grace")], { root, env: env(t0) })).code).toBe(0);
      expect(await verifyCodes(root, t0)).toEqual({ code: 0, codes: ["emergency-unratified"] });
      expect(await verifyCodes(root, "2026-09-16T00:00:00Z")).toEqual({ code: 1, codes: ["emergency-overdue"] });

      const proposal = await coop(["propose", "--stack", "example"], { root, env: env(t0) });
      expect(proposal.code, proposal.stderr).toBe(0);
      expect(proposal.stdout).toMatch(/^# Ratify the emergency change on example: Mastodon security release/);
      expect(proposal.stdout).toContain("Mastodon upgrades from v4.6.3 to v4.6.5.");
      const digest = /coop-plan: stack=example sha256=([0-9a-f]{64})/.exec(proposal.stdout)![1];

      fake.answers = [json(200, closedPoll({ details: `Ratify.\n${planBindingLine("example", digest)}`, closed_at: "2026-09-08T12:00:00.000Z" }))];
      const before = snapshot(root);
      const t1 = "2026-09-09T09:00:00Z";
      const d = await coop(["decide", "--stack", "example", "--poll", "AbC123xy", "--key", fixtureKey("ada")], { root, env: env(t1) });
      expect(d.code, d.stderr).toBe(0);
      expect(d.stdout).toMatch(/Recorded ratification decision example-0003-ratification/);
      expect(changedFiles(before, snapshot(root))).toEqual(["governance/decisions/example-0003-ratification.yaml"]);
      expect(await verifyCodes(root, "2026-12-01T00:00:00Z")).toEqual({ code: 0, codes: [] });
    } finally {
      cleanup();
    }
  });
});
