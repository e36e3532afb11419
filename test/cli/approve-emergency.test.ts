/**
 * The paths without a vote per change, end to end through the commands: routine changes under a
 * standing decision (`coop approve --standing`), and emergency changes (`coop emergency`) that
 * the members ratify afterwards by a poll or a meeting that names them.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect } from "vitest";
import { approvedRepo, setSpec } from "../helpers/approved-repo";
import { coop, verifyJson } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { fixtureKey } from "../helpers/governance";
import type { LedgerFixture } from "../helpers/ledger";
import { closedPoll, type FakeLoomio, json, startLoomio } from "../helpers/loomio";
import { withTool } from "../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const DAY = 86_400_000;

let fake: FakeLoomio;
beforeAll(async () => {
  fake = await startLoomio();
});
afterAll(() => fake.close());
const repos: LedgerFixture[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

const env = () => ({ ...process.env, LOOMIO_URL: fake.url, LOOMIO_API_KEY: "k-123456", COOP_LOOMIO_BACKOFF_MS: "1" });

async function repo(): Promise<LedgerFixture> {
  const f = await approvedRepo(["example"], { loomioUrl: fake.url });
  repos.push(f);
  return f;
}

const iso = (t: string, plusDays = 0) => new Date(Date.parse(t) + plusDays * DAY).toISOString();

/** `coop propose` (with `args`) at `at`: its Markdown. */
async function propose(root: string, at: string, args: string[] = ["--stack", "example"]): Promise<string> {
  const r = await coop(["propose", ...args, "--json"], { root, env: env(), at });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { markdown: string }).markdown;
}

/** A poll showing `details`, closed an hour before `at`, recorded by `coop decide` (with `args`) at `at`. */
async function decideWith(root: string, details: string, at: string, args: string[] = ["--stack", "example"], key = "AbC123xy") {
  fake.answers = [json(200, closedPoll({ key, details, closed_at: iso(at, -1 / 24) }))];
  return coop(["decide", ...args, "--poll", key, "--key", fixtureKey("ada")], { root, env: env(), at });
}

async function sign(root: string, id: string, who: "ada" | "grace", at: string): Promise<void> {
  const r = await coop(["sign", id, "--key", fixtureKey(who)], { root, at });
  expect(r.code, r.stderr).toBe(0);
}

/** Records an emergency change at `at` (signed by both admins, as the bylaws require) and returns its id. */
async function emergency(f: LedgerFixture, at: string, reason: string, from: string, to: string): Promise<string> {
  setSpec(f.root, "example", from, to);
  const e = await coop(["emergency", "--stack", "example", "--reason", reason, "--key", fixtureKey("ada"), "--json"], {
    root: f.root,
    at,
  });
  expect(e.code, e.stderr).toBe(0);
  const id = (JSON.parse(e.stdout) as { decision: string }).decision;
  await sign(f.root, id, "grace", at);
  return id;
}

function record(root: string, id: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, "governance", "decisions", `${id}.json`), "utf8"));
}

describe("routine changes: coop approve --standing", () => {
  itSsh("a standing decision voted in Loomio pre-approves patch upgrades; anything else still needs a vote", async () => {
    const f = await repo();
    const t0 = "2026-09-01T10:00:00.000Z";
    const terms = ["--standing", "--classes", "image-patch", "--stacks", "example"];
    const text = await propose(f.root, t0, terms);
    expect(text).toContain("\ncoop-standing: classes=image-patch stacks=example until=none\n");
    expect(text).toContain("- image-patch: Patch upgrades of the pinned service images");
    const standing = await decideWith(f.root, text, t0, terms);
    expect(standing.code, standing.stderr).toBe(0);
    const id = "standing-0001-image-patch";
    expect(record(f.root, id)).toMatchObject({
      kind: "standing",
      previous: "governance-0001-founding",
      terms: { classes: ["image-patch"] },
    });
    await sign(f.root, id, "grace", t0);
    expect((await verifyJson(f.root, t0)).codes).toEqual([]);

    setSpec(f.root, "example", "serverType: cx33", "serverType: cx43");
    const before = snapshot(f.root);
    const refused = await coop(["approve", "--stack", "example", "--standing", id], { root: f.root, at: t0 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/host-server serverType: .*\(recomputed from the two approved states\) \[routine-out-of-class\]/);
    expect(refused.stderr).toMatch(/Nothing was written/);
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);

    setSpec(f.root, "example", "serverType: cx43", "serverType: cx33");
    setSpec(f.root, "example", "version: v4.6.3", "version: v4.6.4");
    const ok = await coop(["approve", "--stack", "example", "--standing", id, "--key", fixtureKey("ada")], { root: f.root, at: t0 });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Recorded routine decision \(image-patch, under standing-0001-image-patch\) example-0002-routine/);
    expect(ok.stdout).toMatch(/needs 1 more signature by tech or admin/);
    expect(changedFiles(before, snapshot(f.root))).toEqual(
      expect.arrayContaining(["governance/approved/example.lock.json", "governance/decisions/example-0002-routine.json"]),
    );
    expect((await verifyJson(f.root, t0)).codes).toEqual(["signatures-insufficient"]);
    await sign(f.root, "example-0002-routine", "grace", t0);
    expect(await verifyJson(f.root, t0)).toMatchObject({ code: 0, codes: [] });
  });

  itSsh("a standing decision that lacks the signatures the bylaws require pre-approves nothing until it has them", async () => {
    const f = await repo();
    const at = "2026-09-01T10:00:00.000Z";
    mkdirSync(join(f.root, "docs", "minutes"), { recursive: true });
    writeFileSync(join(f.root, "docs", "minutes", "2026-08-30.md"), "# General assembly\n\nStanding approval of patch upgrades.\n");
    const meeting = [
      "decide",
      "--standing",
      "--classes",
      "image-patch",
      "--manual",
      "--meeting",
      "General assembly 2026-08-30",
      "--minutes",
      "docs/minutes/2026-08-30.md",
      "--decided-on",
      "2026-08-30",
      "--key",
      fixtureKey("ada"),
    ];
    const standing = await coop(meeting, { root: f.root, at });
    expect(standing.code, standing.stderr).toBe(0);
    const id = "standing-0001-image-patch";

    setSpec(f.root, "example", "version: v4.6.3", "version: v4.6.4");
    const before = snapshot(f.root);
    const refused = await coop(["approve", "--stack", "example", "--standing", id], { root: f.root, at });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/its standing decision 'standing-0001-image-patch' is not valid .*\[standing-missing\]/);
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);

    await sign(f.root, id, "grace", at);
    const ok = await coop(["approve", "--stack", "example", "--standing", id], { root: f.root, at });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Recorded routine decision .*example-0002-routine/);
  });
});

describe("emergency changes: coop emergency, then ratification by a poll", () => {
  itSsh("needs two admin signatures, is flagged until ratified, a violation after the deadline; the ratifying poll names it", async () => {
    const f = await repo();
    const t0 = "2026-09-01T10:00:00.000Z";
    setSpec(f.root, "example", "version: v4.6.3", "version: v4.6.5");
    const e = await coop(["emergency", "--stack", "example", "--reason", "Mastodon security release", "--key", fixtureKey("ada")], {
      root: f.root,
      at: t0,
    });
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/needs 1 more signature by admin before it counts/);
    expect(e.stdout).toMatch(/ratify it by 2026-09-15/);
    expect((await verifyJson(f.root, t0)).codes).toEqual(["signatures-insufficient", "emergency-unratified"]);
    await sign(f.root, "example-0002-emergency", "grace", t0);
    expect(await verifyJson(f.root, t0)).toMatchObject({ code: 0, codes: ["emergency-unratified"] });
    // The deadline runs from when it was recorded, by the bylaws in force there (14 days).
    expect(await verifyJson(f.root, iso(t0, 14.1))).toMatchObject({ code: 1, codes: ["emergency-overdue"] });

    const t1 = iso(t0, 7);
    const text = await propose(f.root, t1);
    expect(text).toContain("**Emergency change this vote ratifies**");
    expect(text).toContain("- On 2026-09-01 (example-0002-emergency), because: Mastodon security release.");
    expect(text).toContain("  - Mastodon upgrades from v4.6.3 to v4.6.5 (patch).");
    expect(text).toContain("\ncoop-ratifies: stack=example ids=example-0002-emergency\n");
    const before = snapshot(f.root);
    const d = await decideWith(f.root, text, t1);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/Recorded ratification decision example-0003-ratification/);
    // The state stays as the emergency left it: only the record (and the price table its cost came from) is new.
    expect(changedFiles(before, snapshot(f.root)).filter((x) => !x.startsWith("governance/objects/prices-"))).toEqual([
      "governance/decisions/example-0003-ratification.json",
    ]);
    expect(record(f.root, "example-0003-ratification")).toMatchObject({ kind: "ratification", ratifies: ["example-0002-emergency"] });
    await sign(f.root, "example-0003-ratification", "grace", t1);
    expect(await verifyJson(f.root, iso(t0, 90))).toMatchObject({ code: 0, codes: [] });
  });
});

describe("a later vote ratifies an emergency change only if it names it", () => {
  itSsh("a proposal for another change names the pending emergency; a poll whose text drops it is refused", async () => {
    const f = await repo();
    const t0 = "2026-09-01T10:00:00.000Z";
    const e = await emergency(f, t0, "the server ran out of memory", "serverType: cx33", "serverType: cx53");
    setSpec(f.root, "example", "version: v4.6.3", "version: v4.6.4");

    const t1 = iso(t0, 7);
    const p = await coop(["propose", "--stack", "example", "--json"], { root: f.root, env: env(), at: t1 });
    const doc = JSON.parse(p.stdout) as { title: string; markdown: string };
    expect(doc.title).toMatch(
      /^Infrastructure change on example \(also ratifies emergency changes\): Mastodon upgrades from v4\.6\.3 to v4\.6\.4/,
    );
    const md = doc.markdown;
    expect(md).toContain("- Mastodon upgrades from v4.6.3 to v4.6.4 (patch).");
    expect(md).toContain(`- On 2026-09-01 (${e}), because: the server ran out of memory.`);
    expect(md).toMatch(/ {2}- The server that runs .* moves to a bigger type: cx33 .* → cx53 /);
    expect(md).toMatch(/ {2}- Monthly cost: €\d+\.\d\d → €\d+\.\d\d per month \(\+€\d+\.\d\d\/month\)\./);
    expect(md).toMatch(new RegExp(`\\ncoop-ratifies: stack=example ids=${e}\\ncoop-plan: stack=example sha256=[0-9a-f]{64}\\n`));

    // The audit's case: a poll whose text no longer names the emergency cannot ratify it.
    const before = snapshot(f.root);
    const silent = await decideWith(
      f.root,
      md.replace(/coop-ratifies: .*\n/, "").replace(/\*\*Emergency change[\s\S]*?\n\n(?=\*\*Monthly)/, ""),
      t1,
    );
    expect(silent.code).toBe(1);
    expect(silent.stderr).toContain("[summary-mismatch]");
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);
    expect((await verifyJson(f.root, iso(t0, 15))).codes).toEqual(["emergency-overdue"]);

    const named = await decideWith(f.root, md, t1);
    expect(named.code, named.stderr).toBe(0);
    expect(record(f.root, "example-0003-change")).toMatchObject({ kind: "change", ratifies: [e] });
    await sign(f.root, "example-0003-change", "grace", t1);
    expect(await verifyJson(f.root, iso(t0, 90))).toMatchObject({ code: 0, codes: [] });
  });

  itSsh("without a change of its own, the proposal ratifies every pending emergency, and the ratification names them all", async () => {
    const f = await repo();
    const e1 = await emergency(f, "2026-09-01T10:00:00.000Z", "the server ran out of memory", "serverType: cx33", "serverType: cx43");
    const e2 = await emergency(f, "2026-09-03T10:00:00.000Z", "Mastodon security release", "version: v4.6.3", "version: v4.6.5");
    const t = "2026-09-05T10:00:00.000Z";
    const p = await coop(["propose", "--stack", "example"], { root: f.root, env: env(), at: t });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^# Ratify 2 emergency changes on example/);
    expect(p.stdout).toContain(`- On 2026-09-01 (${e1}), because: the server ran out of memory.`);
    expect(p.stdout).toContain(`- On 2026-09-03 (${e2}), because: Mastodon security release.`);
    expect(p.stdout).toContain(`\ncoop-ratifies: stack=example ids=${e1},${e2}\n`);

    const d = await decideWith(f.root, p.stdout.replace(/^# .*\n\n/, ""), t);
    expect(d.code, d.stderr).toBe(0);
    expect(record(f.root, "example-0004-ratification")).toMatchObject({ ratifies: [e1, e2] });
    await sign(f.root, "example-0004-ratification", "grace", t);
    expect(await verifyJson(f.root, "2026-12-01T00:00:00.000Z")).toMatchObject({ code: 0, codes: [] });
  });
});

describe("a meeting's decision ratifies a pending emergency only with --ratifies", () => {
  const meeting = (day: string) => [
    "decide",
    "--stack",
    "example",
    "--manual",
    "--meeting",
    `General assembly ${day}`,
    "--minutes",
    `docs/minutes/${day}.md`,
    "--decided-on",
    day,
    "--key",
    fixtureKey("ada"),
  ];
  function minutes(root: string, day: string): void {
    mkdirSync(join(root, "docs", "minutes"), { recursive: true });
    writeFileSync(join(root, "docs", "minutes", `${day}.md`), "# General assembly\n");
  }

  itSsh("without --ratifies the emergency stays pending; with it, the meeting's decision ratifies it", async () => {
    const f = await repo();
    const e = await emergency(f, "2026-09-01T10:00:00.000Z", "the server ran out of memory", "serverType: cx33", "serverType: cx53");
    setSpec(f.root, "example", "version: v4.6.3", "version: v4.6.4");
    minutes(f.root, "2026-09-05");
    const silent = await coop(meeting("2026-09-05"), { root: f.root, at: "2026-09-06T10:00:00.000Z" });
    expect(silent.code, silent.stderr).toBe(0);
    expect(record(f.root, "example-0003-change")).not.toHaveProperty("ratifies");
    await sign(f.root, "example-0003-change", "grace", "2026-09-06T10:00:00.000Z");
    // A decision that does not name the emergency does not ratify it.
    expect(await verifyJson(f.root, "2026-09-06T10:00:00.000Z")).toMatchObject({ code: 0, codes: ["emergency-unratified"] });
    expect((await verifyJson(f.root, "2026-09-20T00:00:00.000Z")).codes).toEqual(["emergency-overdue"]);

    setSpec(f.root, "example", "version: v4.6.4", "version: v4.6.5");
    minutes(f.root, "2026-09-07");
    const named = await coop([...meeting("2026-09-07"), "--ratifies", e], { root: f.root, at: "2026-09-08T10:00:00.000Z" });
    expect(named.code, named.stderr).toBe(0);
    expect(record(f.root, "example-0004-change")).toMatchObject({ ratifies: [e], evidence: { type: "meeting" } });
    await sign(f.root, "example-0004-change", "grace", "2026-09-08T10:00:00.000Z");
    expect(await verifyJson(f.root, "2026-12-01T00:00:00.000Z")).toMatchObject({ code: 0, codes: [] });
  });

  itSsh(
    "after a meeting ratified only the later of two emergencies, a vote can still ratify the earlier (the stack is not stuck)",
    async () => {
      const f = await repo();
      const e1 = await emergency(f, "2026-09-01T10:00:00.000Z", "the server ran out of memory", "serverType: cx33", "serverType: cx43");
      const e2 = await emergency(f, "2026-09-03T10:00:00.000Z", "Mastodon security release", "version: v4.6.3", "version: v4.6.5");
      minutes(f.root, "2026-09-05");
      const r2 = await coop([...meeting("2026-09-05"), "--ratifies", e2], { root: f.root, at: "2026-09-05T10:00:00.000Z" });
      expect(r2.code, r2.stderr).toBe(0);
      expect(record(f.root, "example-0004-ratification")).toMatchObject({ kind: "ratification", ratifies: [e2] });
      await sign(f.root, "example-0004-ratification", "grace", "2026-09-05T10:00:00.000Z");

      const late = "2026-09-20T00:00:00.000Z";
      const v = await verifyJson(f.root, late);
      expect(v.doc.findings.map((x) => [x.code, x.decision])).toEqual([["emergency-overdue", e1]]);
      expect(v.doc.findings[0].remediation).toMatch(/coop propose --stack example --post, then coop decide --stack example --poll <key>/);

      const p = await coop(["propose", "--stack", "example"], { root: f.root, env: env(), at: late });
      expect(p.code, p.stderr).toBe(0);
      expect(p.stdout).toMatch(/^# Ratify the emergency change on example/);
      expect(p.stdout).toContain(`\ncoop-ratifies: stack=example ids=${e1}\n`);
      expect(p.stdout).not.toContain(e2);
      const d = await decideWith(f.root, p.stdout.replace(/^# .*\n\n/, ""), late);
      expect(d.code, d.stderr).toBe(0);
      expect(record(f.root, "example-0005-ratification")).toMatchObject({ ratifies: [e1] });
      await sign(f.root, "example-0005-ratification", "grace", late);
      expect(await verifyJson(f.root, "2026-12-01T00:00:00.000Z")).toMatchObject({ code: 0, codes: [] });
    },
  );

  itSsh("a meeting cannot ratify what is not an emergency of the stack", async () => {
    const f = await repo();
    setSpec(f.root, "example", "version: v4.6.3", "version: v4.6.4");
    mkdirSync(join(f.root, "docs", "minutes"), { recursive: true });
    writeFileSync(join(f.root, "docs", "minutes", "2026-09-05.md"), "# General assembly\n");
    const before = snapshot(f.root);
    const r = await coop(
      [
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
        "--ratifies",
        "example-0001-genesis",
      ],
      { root: f.root, at: "2026-09-06T10:00:00.000Z" },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /it ratifies 'example-0001-genesis', which is a genesis decision, not an emergency change \[ratification-target\]/,
    );
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);
  });
});
