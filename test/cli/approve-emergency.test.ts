import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../rulebook/records/decision";
import { approvedRepo } from "../helpers/approved-repo";
import { planBindingLine } from "../../rulebook/loomio/binding";
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

const env = (now: string) => ({
  ...process.env,
  LOOMIO_URL: fake.url,
  LOOMIO_API_KEY: "k-123456",
  COOP_NOW: now,
  COOP_LOOMIO_BACKOFF_MS: "1",
});

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
      const standing = await coop(
        [
          "decide",
          "--standing",
          "--classes",
          "image-patch",
          "--stacks",
          "example",
          "--manual",
          "--meeting",
          "General assembly 2026-08-30",
          "--minutes",
          "docs/minutes/2026-08-30.md",
          "--decided-on",
          "2026-08-30",
        ],
        { root, env: env(now) },
      );
      expect(standing.code, standing.stderr).toBe(0);
      const id = "standing-0001-image-patch";
      for (const who of ["ada", "grace"] as const)
        expect((await coop(["sign", id, "--key", fixtureKey(who)], { root, env: env(now) })).code).toBe(0);

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
      expect(changedFiles(before, snapshot(root))).toEqual([
        "governance/approved/example.lock.json",
        "governance/decisions/example-0002-routine.yaml",
      ]);
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
      expect(r.stderr).toMatch(
        /hint: it needs the signatures governance\/rules\.yaml requires \(coop sign standing-0001-image-patch --key <key>\)/,
      );
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
      const e = await coop(["emergency", "--stack", "example", "--reason", "Mastodon security release", "--key", fixtureKey("ada")], {
        root,
        env: env(t0),
      });
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

      expect(proposal.stdout).toContain("\ncoop-ratifies: stack=example ids=example-0002-emergency\n");
      expect(planBindingLine("example", digest)).toBe(`coop-plan: stack=example sha256=${digest}`);
      fake.answers = [json(200, closedPoll({ details: proposal.stdout, closed_at: "2026-09-08T12:00:00.000Z" }))];
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

/** Records an emergency change (signed by both admins, as the rules require) and returns its id. */
async function emergencyChange(root: string, now: string, reason: string, from: RegExp, to: string): Promise<string> {
  setSpec(root, from, to);
  const e = await coop(["emergency", "--stack", "example", "--reason", reason, "--key", fixtureKey("ada"), "--json"], {
    root,
    env: env(now),
  });
  expect(e.code, e.stderr).toBe(0);
  const id = (JSON.parse(e.stdout) as { decision: string }).decision;
  expect((await coop(["sign", id, "--key", fixtureKey("grace")], { root, env: env(now) })).code).toBe(0);
  return id;
}

async function decideWith(root: string, details: string, closedAt: string, now: string) {
  fake.answers = [json(200, closedPoll({ details, closed_at: closedAt }))];
  return coop(["decide", "--stack", "example", "--poll", "AbC123xy", "--key", fixtureKey("ada")], { root, env: env(now) });
}

describe("a later vote ratifies an emergency change only if it names it", () => {
  itSsh(
    "a proposal for another change names the pending emergency, its reason, changes and cost; a poll that does not is refused",
    async () => {
      const { root, cleanup } = tempRepo();
      try {
        await refreshGenesis(root);
        const t0 = "2026-09-01T10:00:00Z";
        const e = await emergencyChange(root, t0, "the server ran out of memory", /serverType: cx33/, "serverType: cx53");
        setSpec(root, /version: v4\.6\.3/, "version: v4.6.4");

        const p = await coop(["propose", "--stack", "example", "--json"], { root, env: env(t0) });
        expect(p.code, p.stderr).toBe(0);
        const doc = JSON.parse(p.stdout) as { digest: string; ratifies: string[]; title: string; markdown: string };
        expect(doc.ratifies).toEqual([e]);
        expect(doc.title).toMatch(
          /^Infrastructure change on example \(also ratifies an emergency change\): Mastodon upgrades from v4\.6\.3 to v4\.6\.4/,
        );
        const md = doc.markdown;
        expect(md).toContain("- Mastodon upgrades from v4.6.3 to v4.6.4.");
        expect(md).toContain("**This proposal also ratifies an emergency change**");
        expect(md).toContain("approving this proposal also ratifies it");
        expect(md).toContain(`- On 2026-09-01 (${e}), because: the server ran out of memory.`);
        expect(md).toMatch(/ {2}- The server that runs .* moves to a bigger type: cx33 .* → cx53 /);
        expect(md).toMatch(/ {2}- Monthly cost: €\d+\.\d\d → €\d+\.\d\d per month \(\+€21\.00\/month\)\./);
        expect(md).toContain(`\ncoop-ratifies: stack=example ids=${e}\ncoop-plan: stack=example sha256=${doc.digest}\n`);

        // The audit's case: a patch poll that never mentions the emergency would have cleared it.
        const before = snapshot(root);
        const t1 = "2026-09-09T09:00:00Z";
        const silent = await decideWith(root, `Mastodon patch.\n${planBindingLine("example", doc.digest)}`, "2026-09-08T12:00:00.000Z", t1);
        expect(silent.code).toBe(1);
        expect(silent.stderr).toContain(
          `poll AbC123xy does not name the emergency change awaiting ratification on 'example': ${e} (the server ran out of memory, recorded 2026-09-01)`,
        );
        expect(silent.stderr).toMatch(
          /Nothing was written\.\n {2}hint: .*coop propose --stack example --post \(it adds the coop-ratifies line\), then coop decide --stack example --poll <new key>/,
        );
        expect(changedFiles(before, snapshot(root))).toEqual([]);
        expect(await verifyCodes(root, "2026-09-16T00:00:00Z")).toEqual({ code: 1, codes: ["emergency-overdue"] });

        const named = await decideWith(root, md, "2026-09-08T12:00:00.000Z", t1);
        expect(named.code, named.stderr).toBe(0);
        const record = readFileSync(join(root, "governance/decisions/example-0003-change.yaml"), "utf8");
        expect(record).toContain(`\nratifies: ["${e}"]\n`);
        expect(record).toContain(`  ratifies: "coop-ratifies: stack=example ids=${e}"\n`);
        expect(await verifyCodes(root, "2026-12-01T00:00:00Z")).toEqual({ code: 0, codes: [] });
      } finally {
        cleanup();
      }
    },
  );

  itSsh("without a change of its own, the proposal ratifies every pending emergency, and the ratification names them all", async () => {
    const { root, cleanup } = tempRepo();
    try {
      await refreshGenesis(root);
      const e1 = await emergencyChange(
        root,
        "2026-09-01T10:00:00Z",
        "the server ran out of memory",
        /serverType: cx33/,
        "serverType: cx43",
      );
      const e2 = await emergencyChange(root, "2026-09-03T10:00:00Z", "Mastodon security release", /version: v4\.6\.3/, "version: v4.6.5");
      const t = "2026-09-05T10:00:00Z";
      const p = await coop(["propose", "--stack", "example"], { root, env: env(t) });
      expect(p.code, p.stderr).toBe(0);
      expect(p.stdout).toMatch(/^# Ratify 2 emergency changes on example: the server ran out of memory; Mastodon security release/);
      expect(p.stdout).toContain(`- On 2026-09-01 (${e1}), because: the server ran out of memory.`);
      expect(p.stdout).toContain(`- On 2026-09-03 (${e2}), because: Mastodon security release.`);
      expect(p.stdout).toContain("  - Mastodon upgrades from v4.6.3 to v4.6.5.");
      expect(p.stdout).toMatch(/\(\+€7\.50\/month\)\.\n- On 2026-09-03/);
      expect(p.stdout).toContain(`\ncoop-ratifies: stack=example ids=${e1},${e2}\n`);

      const d = await decideWith(root, p.stdout.replace(/^# .*\n\n/, ""), "2026-09-08T12:00:00.000Z", "2026-09-09T09:00:00Z");
      expect(d.code, d.stderr).toBe(0);
      const record = readFileSync(join(root, "governance/decisions/example-0004-ratification.yaml"), "utf8");
      expect(record).toContain(`\nratifies: ["${e1}", "${e2}"]\n`);
      expect(await verifyCodes(root, "2026-12-01T00:00:00Z")).toEqual({ code: 0, codes: [] });
    } finally {
      cleanup();
    }
  });

  itSsh(
    "after a ratification of only the later of two emergencies, the earlier one can still be ratified (the stack is not stuck)",
    async () => {
      const { root, cleanup } = tempRepo();
      try {
        await refreshGenesis(root);
        const e1 = await emergencyChange(
          root,
          "2026-09-01T10:00:00Z",
          "the server ran out of memory",
          /serverType: cx33/,
          "serverType: cx43",
        );
        const e2 = await emergencyChange(root, "2026-09-03T10:00:00Z", "Mastodon security release", /version: v4\.6\.3/, "version: v4.6.5");
        // A ratification of e2 alone, as a meeting recorded it (with both admins' signatures).
        const lockDigest = (JSON.parse(readFileSync(join(root, "governance/approved/example.lock.json"), "utf8")) as { digest: string })
          .digest;
        const genesis = readFileSync(join(root, "governance/decisions/example-0001-genesis.yaml"), "utf8");
        const rulesSha256 = /rulesSha256: "?([0-9a-f]{64})"?/.exec(genesis)![1];
        const r2 = [
          "version: 1",
          "id: example-0004-ratification",
          "kind: ratification",
          "stack: example",
          "project: coop-infra",
          `summary: Ratifies ${e2}`,
          `digest: "${lockDigest}"`,
          `ratifies: ${e2}`,
          'decidedAt: "2026-09-05T00:00:00.000Z"',
          'recordedAt: "2026-09-05T10:00:00.000Z"',
          "evidence:",
          "  type: meeting",
          "  meeting: General assembly 2026-09-05",
          "  minutes: docs/minutes/2026-09-05.md",
          `rulesSha256: "${rulesSha256}"`,
          "requires:",
          "  count: 2",
          "  roles: [admin]",
          "signatures: []",
          "",
        ].join("\n");
        writeFileSync(join(root, "governance/decisions/example-0004-ratification.yaml"), r2);
        for (const who of ["ada", "grace"] as const)
          expect(
            (await coop(["sign", "example-0004-ratification", "--key", fixtureKey(who)], { root, env: env("2026-09-05T10:00:00Z") })).code,
          ).toBe(0);

        const late = "2026-09-20T00:00:00Z";
        const v = await coop(["verify", "--json"], { root, env: env(late) });
        const findings = (JSON.parse(v.stdout) as { findings: Array<{ code: string; decision?: string; remediation: string }> }).findings;
        expect(findings.map((f) => [f.code, f.decision])).toEqual([["emergency-overdue", e1]]);
        expect(findings[0].remediation).toMatch(/coop propose --stack example --post, then coop decide --stack example --poll <key>/);

        // Before the fix, propose and decide said "nothing to propose/decide" here.
        const p = await coop(["propose", "--stack", "example"], { root, env: env(late) });
        expect(p.code, p.stderr).toBe(0);
        expect(p.stdout).toMatch(/^# Ratify the emergency change on example: the server ran out of memory/);
        expect(p.stdout).toContain(`\ncoop-ratifies: stack=example ids=${e1}\n`);
        expect(p.stdout).not.toContain(e2);
        const d = await decideWith(root, p.stdout, "2026-09-27T12:00:00.000Z", "2026-09-28T09:00:00Z");
        expect(d.code, d.stderr).toBe(0);
        const record = readFileSync(join(root, "governance/decisions/example-0005-ratification.yaml"), "utf8");
        expect(record).toContain(`\nratifies: ${e1}\n`);
        expect(record).toMatch(new RegExp(`\\ndigest: "?${lockDigest}"?\\n`));
        expect(await verifyCodes(root, "2026-12-01T00:00:00Z")).toEqual({ code: 0, codes: [] });
      } finally {
        cleanup();
      }
    },
  );
});

describe("a meeting's decision ratifies a pending emergency only with --ratifies", () => {
  itSsh("refuses (exit 1, nothing written, --json names the rule) until --ratifies names it", async () => {
    const { root, cleanup } = tempRepo();
    try {
      await refreshGenesis(root);
      const e = await emergencyChange(root, "2026-09-01T10:00:00Z", "the server ran out of memory", /serverType: cx33/, "serverType: cx53");
      setSpec(root, /version: v4\.6\.3/, "version: v4.6.4");
      const args = [
        "decide",
        "--stack",
        "example",
        "--manual",
        "--meeting",
        "General assembly 2026-09-05",
        "--minutes",
        "docs/minutes/2026-09-05.md",
        "--decided-on",
        "2026-09-05",
      ];
      const before = snapshot(root);
      const refused = await coop([...args, "--json"], { root, env: env("2026-09-06T10:00:00Z") });
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({
        passed: false,
        failed: [
          {
            rule: "ratifies-named",
            passed: false,
            detail: expect.stringContaining(
              `the meeting's decision does not name (--ratifies) the emergency change awaiting ratification on 'example': ${e}`,
            ),
          },
        ],
      });
      expect(refused.stderr).toContain(
        `hint: if the meeting ratified it, record that with --ratifies ${e}; otherwise the members vote on it: coop propose --stack example --post`,
      );
      expect(changedFiles(before, snapshot(root))).toEqual([]);

      const ok = await coop([...args, "--ratifies", e], { root, env: env("2026-09-06T10:00:00Z") });
      expect(ok.code, ok.stderr).toBe(0);
      expect(readFileSync(join(root, "governance/decisions/example-0003-change.yaml"), "utf8")).toContain(`\nratifies: ["${e}"]\n`);
    } finally {
      cleanup();
    }
  });
});
