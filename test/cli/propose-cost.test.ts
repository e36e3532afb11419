import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../kernel/json";
import { normalizeText } from "../../rulebook";
import { approvedRepo, setSpec } from "../helpers/approved-repo";
import { coop } from "../helpers/cli";
import type { LedgerFixture } from "../helpers/ledger";
import { createdPoll, type FakeLoomio, json, startLoomio } from "../helpers/loomio";

const KEY = "bot-key-for-posting-987";
const NOW = "2026-09-01T10:00:00.000Z";
let fake: FakeLoomio;
let repo: LedgerFixture;

beforeAll(async () => {
  fake = await startLoomio();
  repo = await approvedRepo(["example"], { loomioUrl: fake.url });
  setSpec(repo.root, "example", "version: v4.6.3", "version: v4.6.4");
  setSpec(repo.root, "example", "serverType: cx33", "serverType: cx43");
});
afterAll(async () => {
  await fake.close();
  repo.cleanup();
});

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  LOOMIO_URL: fake.url,
  LOOMIO_API_KEY: KEY,
  LOOMIO_GROUP_ID: "42",
  COOP_LOOMIO_BACKOFF_MS: "1",
  ...extra,
});
const at = NOW;

describe("coop propose", () => {
  it("writes Markdown a member understands: plain words per service, cost before → after, the binding line", async () => {
    const r = await coop(["propose", "--stack", "example"], { root: repo.root, env: env(), at });
    expect(r.code, r.stderr).toBe(0);
    const md = r.stdout;
    expect(md).toMatch(/^# Infrastructure change on example: /);
    expect(md).toContain("- Mastodon upgrades from v4.6.3 to v4.6.4 (patch).");
    expect(md).toContain(
      "- The server that runs Mastodon, Nextcloud and mail moves to a bigger type: cx33 (4 vCPU, 8 GB RAM) → cx43 (8 vCPU, 16 GB RAM). It restarts during the change.",
    );
    expect(md).toMatch(
      /\*\*Monthly cost:\*\* €\d+\.\d\d → €\d+\.\d\d per month \(\+€7\.50\/month; Hetzner prices as of 2026-08-02, VAT excluded\)/,
    );
    const plan = JSON.parse((await coop(["plan", "--stack", "example", "--json"], { root: repo.root })).stdout) as { digest: string };
    expect(md).toContain(`\ncoop-plan: stack=example sha256=${plan.digest}\n`);
    // The summary block members read is the rulebook's, bound by its digest: decide renders it again.
    const summary = md.slice(md.indexOf("**What changes on stack example**"), md.indexOf("\n\n**How to vote:**"));
    expect(summary).toMatch(/\*\*Monthly cost:\*\*/);
    expect(md).toContain(`\ncoop-summary: sha256=${sha256Hex(normalizeText(summary))}\n`);
    expect(md.split("\n").filter((l) => /^\*\*Technical details\*\*/.test(l))).toHaveLength(1);
  });

  it("--post creates the proposal with the exact b2 request: flat body, Bearer header, nothing secret in the URL", async () => {
    fake.answers = [json(200, createdPoll())];
    const before = fake.requests.length;
    const r = await coop(["propose", "--stack", "example", "--post", "--closing-days", "5"], { root: repo.root, env: env(), at });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`${fake.url}/p/XyZ987ab`);
    const [req] = fake.requests.slice(before);
    expect(`${req.method} ${req.url}`).toBe("POST /api/b2/polls");
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      "anonymous",
      "closing_at",
      "details",
      "details_format",
      "group_id",
      "hide_results",
      "notify_on_closing_soon",
      "notify_recipients",
      "options",
      "poll_type",
      "recipient_audience",
      "specified_voters_only",
      "title",
    ]);
    expect(body).toMatchObject({
      group_id: 42,
      poll_type: "proposal",
      details_format: "md",
      options: ["agree", "abstain", "disagree", "block"],
      closing_at: "2026-09-06T10:00:00.000Z",
      specified_voters_only: false,
    });
    expect(body).not.toHaveProperty("poll");
    expect(body).not.toHaveProperty("api_key");
    expect(String(body.details)).toMatch(/coop-plan: stack=example sha256=[0-9a-f]{64}/);
    expect(`${r.stdout}${r.stderr}${req.url}`).not.toContain(KEY);
  });

  it("--post: Loomio's refusal exits 2 and keeps the key out of the message", async () => {
    fake.answers = [json(422, { errors: { group_id: [`is invalid for ${KEY}`] } })];
    const r = await coop(["propose", "--stack", "example", "--post"], { root: repo.root, env: env(), at });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Loomio refused the new poll \(HTTP 422\): group_id is invalid/);
    expect(r.stderr).not.toContain(KEY);
  });

  it("--post goes to the rules' Loomio group; LOOMIO_GROUP_ID may not name another", async () => {
    fake.answers = [json(200, createdPoll())];
    let before = fake.requests.length;
    const byRules = await coop(["propose", "--stack", "example", "--post"], { root: repo.root, env: env({ LOOMIO_GROUP_ID: "" }), at });
    expect(byRules.code, byRules.stderr).toBe(0);
    expect(JSON.parse(fake.requests[before].body)).toMatchObject({ group_id: 42 });

    before = fake.requests.length;
    const other = await coop(["propose", "--stack", "example", "--post"], { root: repo.root, env: env({ LOOMIO_GROUP_ID: "7" }), at });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /LOOMIO_GROUP_ID is 7, but the members vote in group 42 \(governance\/rules\.yaml loomio\.groupId\): a poll in group 7 could never approve this\. Nothing was posted/,
    );
    expect(other.stderr).toMatch(/hint: unset LOOMIO_GROUP_ID \(coop posts to group 42\)/);
    expect(fake.requests.length).toBe(before);

    // Editing the working bylaws moves nothing: the vote goes to the group of the bylaws in force.
    const rulesFile = join(repo.root, "governance", "rules.yaml");
    const rules = readFileSync(rulesFile, "utf8");
    try {
      writeFileSync(rulesFile, rules.replace("groupId: 42", "groupId: 7"));
      before = fake.requests.length;
      const edited = await coop(["propose", "--stack", "example", "--post"], { root: repo.root, env: env({ LOOMIO_GROUP_ID: "" }), at });
      expect(edited.code, edited.stderr).toBe(0);
      expect(JSON.parse(fake.requests[before].body)).toMatchObject({ group_id: 42 });
    } finally {
      writeFileSync(rulesFile, rules);
    }
  });

  it("--post: bylaws in force that name no Loomio group cannot take a vote", async () => {
    const none = await approvedRepo(["example"], { loomioUrl: fake.url, rules: (t) => t.replace("groupId: 42", "groupId: null") });
    try {
      setSpec(none.root, "example", "version: v4.6.3", "version: v4.6.4");
      const before = fake.requests.length;
      const r = await coop(["propose", "--stack", "example", "--post"], { root: none.root, env: env({ LOOMIO_GROUP_ID: "" }), at });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/governance\/rules\.yaml sets no loomio\.groupId, so no poll could approve this proposal/);
      expect(fake.requests.length).toBe(before);
    } finally {
      none.cleanup();
    }
  });

  it("states how the vote is counted, from the bylaws in force", async () => {
    const example = await coop(["propose", "--stack", "example"], { root: repo.root, env: env(), at });
    expect(example.stdout).toContain("under our rules a single block stops the proposal.");
    expect(example.stdout).toContain(
      "**When it passes** (the co-op's rules): at least half of the members invited must vote (abstaining counts as voting), and at least two thirds of the agree and disagree votes must be agree (abstentions do not count here); a single block stops the proposal.",
    );
    const other = await approvedRepo(["example"], {
      loomioUrl: fake.url,
      rules: (t) =>
        t
          .replace("blocksAllowed: 0", "blocksAllowed: 2")
          .replace("quorum: 0.5 ", "quorum: 0.6 ")
          .replace('threshold: "2/3" # two', 'threshold: "3/4" # two'),
    });
    try {
      setSpec(other.root, "example", "version: v4.6.3", "version: v4.6.4");
      const r = await coop(["propose", "--stack", "example"], { root: other.root, env: env(), at });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain("a single block stops");
      expect(r.stdout).toContain("under our rules up to 2 blocks are allowed; 3 or more stop the proposal.");
      expect(r.stdout).toContain("at least three fifths of the members invited must vote");
      expect(r.stdout).toContain("at least three quarters of the agree and disagree votes must be agree");
      const standing = await coop(["propose", "--standing", "--classes", "image-patch"], { root: other.root, env: env(), at });
      expect(standing.stdout).toContain(
        "*Block* only if you believe it would seriously harm the co-op: under our rules up to 2 blocks are allowed; 3 or more stop the proposal.",
      );
      expect(standing.stdout).toContain("at least three quarters of the agree and disagree votes must be agree");
    } finally {
      other.cleanup();
    }
  });

  it("a POST is not repeated after a server error (it may have created the poll)", async () => {
    fake.answers = [json(500, "boom")];
    const before = fake.requests.length;
    const r = await coop(["propose", "--stack", "example", "--post"], { root: repo.root, env: env(), at });
    expect(r.code).toBe(2);
    expect(fake.requests.length - before).toBe(1);
    expect(r.stderr).toMatch(/check the group in Loomio/);
  });

  it("--standing writes the standing proposal with its binding line", async () => {
    const r = await coop(["propose", "--standing", "--classes", "image-patch", "--stacks", "example", "--until", "2027-01-31"], {
      root: repo.root,
      env: env(),
      at,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("coop-standing: classes=image-patch stacks=example until=2027-01-31");
    const bad = await coop(["propose", "--standing", "--classes", "image-pach"], { root: repo.root, env: env(), at });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/did you mean 'image-patch'/);
  });
});

describe("coop cost", () => {
  it("prices each resource and the total from the dated table, and shows the approved state's cost", async () => {
    const r = await coop(["cost", "--stack", "example", "--json"], { root: repo.root, env: env(), at });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      asOf: string;
      total: number;
      approvedTotal: number;
      lines: Array<{ what: string; monthly: number }>;
      staleTable: string | null;
    };
    expect(doc.asOf).toBe("2026-08-02");
    expect(doc.lines.find((l) => l.what === "server cx43 in fsn1")?.monthly).toBe(15.99);
    expect(doc.lines.find((l) => l.what === "primary IPv4 address")?.monthly).toBe(0.5);
    expect(Math.round((doc.total - doc.approvedTotal) * 100) / 100).toBe(7.5);
    expect(doc.staleTable).toBeNull();
    const human = await coop(["cost", "--stack", "example"], { root: repo.root, env: env(), at });
    expect(human.stdout).toMatch(/Hetzner prices as of 2026-08-02/);
    expect(human.stdout).toMatch(/total per month\s+€\d+\.\d\d/);
  });

  it("warns when the price table is older than about six months", async () => {
    const r = await coop(["cost", "--stack", "example"], { root: repo.root, env: env(), at: "2027-06-01T00:00:00Z" });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: the price table is 10 months old \(asOf 2026-08-02\)/);
  });
});
