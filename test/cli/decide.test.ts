/**
 * `coop decide --poll` end to end for a stack change, against a loopback Loomio that answers in
 * Loomio's b2 shapes: what members read (`coop propose`) is what the poll shows, the rulebook
 * judges the poll, and only a passing one is written — the record, the versions it names and
 * the lock, together — never anything else, and never the API key.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makePlan } from "../../cli/plan/planning";
import { planBindingLine } from "../../rulebook/loomio/binding";
import { approvedRepo, setSpec } from "../helpers/approved-repo";
import { coop, verifyJson } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { fixtureKey } from "../helpers/governance";
import type { LedgerFixture } from "../helpers/ledger";
import { closedPoll, type FakeLoomio, json, startLoomio, withVotes } from "../helpers/loomio";
import { withTool } from "../helpers/tools";

const KEY = "sekrit-bot-key-0123456789";
/** The oracle poll closed 2026-03-10T12:00:03.512Z; coop runs the next morning. */
const NOW = "2026-03-11T09:00:00.000Z";
const CLOSED = "2026-03-10T12:00:03.512Z";
const itSsh = withTool("ssh-keygen", "openssh-client");

let fake: FakeLoomio;
beforeAll(async () => {
  fake = await startLoomio();
});
afterAll(() => fake.close());

const repos: LedgerFixture[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, LOOMIO_URL: fake.url, LOOMIO_API_KEY: KEY, COOP_LOOMIO_BACKOFF_MS: "1", ...extra };
}

/** An approved repository pinned to the loopback Loomio, whose example spec moves Mastodon to v4.6.4. */
async function changed(): Promise<LedgerFixture> {
  const f = await approvedRepo(["example"], { loomioUrl: fake.url });
  repos.push(f);
  setSpec(f.root, "example", "version: v4.6.3", "version: v4.6.4");
  return f;
}

/** What `coop propose` tells the members (the poll's text). */
async function proposal(root: string, at = NOW): Promise<{ markdown: string; digest: string }> {
  const r = await coop(["propose", "--stack", "example", "--json"], { root, env: env(), at });
  expect(r.code, r.stderr).toBe(0);
  const markdown = (JSON.parse(r.stdout) as { markdown: string }).markdown;
  return { markdown, digest: /coop-plan: stack=example sha256=([0-9a-f]{64})/.exec(markdown)![1] };
}

async function decide(root: string, args: string[] = [], extraEnv: Record<string, string> = {}, at = NOW) {
  const poll = args.includes("--poll") ? [] : ["--poll", "AbC123xy"];
  const r = await coop(["decide", "--stack", "example", ...poll, ...args], { root, env: env(extraEnv), at });
  expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
  return r;
}

function recordOf(
  root: string,
  id: string,
): Record<string, unknown> & { evidence: { url: string; answer: { polls: Array<Record<string, unknown>> } } } {
  return JSON.parse(readFileSync(join(root, "governance", "decisions", `${id}.json`), "utf8"));
}

describe("coop decide --poll: a passing poll", () => {
  itSsh("writes the record, the versions it names and the lock, and nothing else; it counts once two admins signed", async () => {
    const f = await changed();
    const { markdown, digest } = await proposal(f.root);
    fake.answers = [json(429, { error: "slow down" }, { "Retry-After": "1" }), json(200, closedPoll({ details: markdown }))];
    const seenBefore = fake.requests.length;
    const before = snapshot(f.root);
    const r = await decide(f.root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/HTTP 429; retrying in 1\.0 s/);
    expect(r.stdout).toMatch(/^Recorded change decision example-0002-change:/);
    expect(r.stdout).toMatch(/It needs 2 more signatures by admin before it counts/);
    const lockObject = `governance/objects/lock-${digest}.json`;
    const written = changedFiles(before, snapshot(f.root));
    expect(written.filter((x) => !x.startsWith("governance/objects/prices-"))).toEqual([
      "governance/approved/example.lock.json",
      "governance/decisions/example-0002-change.json",
      lockObject,
    ]);

    const reqs = fake.requests.slice(seenBefore);
    expect(reqs.map((q) => `${q.method} ${q.url}`)).toEqual(["GET /api/b2/polls/AbC123xy", "GET /api/b2/polls/AbC123xy"]);
    expect(reqs[0].headers.authorization).toBe(`Bearer ${KEY}`);

    const record = recordOf(f.root, "example-0002-change");
    expect(record).toMatchObject({
      version: 2,
      kind: "change",
      stack: "example",
      digest,
      previous: "example-0001-genesis",
      under: "governance-0001-founding",
      decidedAt: CLOSED,
      recordedAt: NOW,
      signatures: [],
    });
    expect(record.summary).toContain("- Mastodon upgrades from v4.6.3 to v4.6.4 (patch).");
    expect(markdown).toContain(String(record.summary));
    expect(record.evidence.url).toBe(`${fake.url}/p/AbC123xy`);
    // Loomio's answer is kept to recompute every fact — without who voted what.
    const kept = record.evidence.answer.polls[0];
    expect(kept).toMatchObject({ key: "AbC123xy", closed_at: CLOSED, details: markdown });
    const text = readFileSync(join(f.root, "governance/decisions/example-0002-change.json"), "utf8");
    expect(text).not.toMatch(/voter_scores|"users"|voter_ids/);
    expect(text).not.toContain(KEY);
    expect(JSON.parse(readFileSync(join(f.root, "governance/approved/example.lock.json"), "utf8")).digest).toBe(digest);

    const pending = await verifyJson(f.root, NOW);
    expect(pending.code).toBe(1);
    expect(pending.codes).toEqual(["signatures-insufficient"]);
    expect(pending.doc.findings[0]).toMatchObject({ decision: "example-0002-change", message: expect.stringMatching(/2 more needed/) });

    const first = await coop(["sign", "example-0002-change", "--key", fixtureKey("ada")], { root: f.root, at: NOW });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/It has 1 of 2 signatures by admin/);
    expect((await verifyJson(f.root, NOW)).codes).toEqual(["signatures-insufficient"]);
    const second = await coop(["sign", "example-0002-change", "--key", fixtureKey("grace")], { root: f.root, at: NOW });
    expect(second.stdout).toMatch(/the decision counts/);
    expect(await verifyJson(f.root, NOW)).toMatchObject({ code: 0, codes: [] });

    const again = await decide(f.root);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/nothing to decide: the plan of 'example' is already the approved state/);
  });

  itSsh("takes the poll's address (title and fragment dropped), signs at once with --key, and --json prints one document", async () => {
    const f = await changed();
    const { markdown } = await proposal(f.root);
    fake.answers = [json(200, closedPoll({ details: markdown }))];
    const r = await coop(
      ["decide", "--stack", "example", "--poll", `${fake.url}/p/AbC123xy/approve-mastodon#comments`, "--key", fixtureKey("ada"), "--json"],
      { root: f.root, env: env(), at: NOW },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      subject: "example",
      passed: true,
      decision: "example-0002-change",
      kind: "change",
      files: expect.arrayContaining(["governance/decisions/example-0002-change.json", "governance/approved/example.lock.json"]),
      signatures: { missing: 1, required: 2, roles: ["admin"] },
    });
    const record = recordOf(f.root, "example-0002-change");
    expect(record.evidence.url).toBe(`${fake.url}/p/AbC123xy`);
    expect(JSON.stringify(record)).not.toContain("approve-mastodon");
    expect((record.signatures as Array<{ member: string }>).map((s) => s.member)).toEqual(["ada"]);
  });
});

describe("coop decide --poll: a poll failing a rule is refused with the code verify reports, and nothing is written", () => {
  let f: LedgerFixture;
  let text: { markdown: string; digest: string };
  beforeAll(async () => {
    f = await approvedRepo(["example"], { loomioUrl: fake.url });
    setSpec(f.root, "example", "version: v4.6.3", "version: v4.6.4");
    text = await proposal(f.root);
  });
  afterAll(() => f.cleanup());

  const options = () => {
    const body = closedPoll() as { poll_options: Array<Record<string, unknown>> };
    return [...body.poll_options, { id: 9005, poll_id: 555, name: "Consent", icon: "agree", priority: 4, meaning: "I consent" }];
  };
  const cases: Array<[string, (md: string, digest: string) => Record<string, unknown>, string]> = [
    ["open (or reopened)", (md) => closedPoll({ details: md, closed_at: null }), "poll-not-closed"],
    ["discarded", (md) => closedPoll({ details: md, discarded_at: "2026-03-10T13:00:00.000Z" }), "poll-discarded"],
    ["not a proposal", (md) => closedPoll({ details: md, poll_type: "count" }), "poll-type"],
    ["in another group", (md) => closedPoll({ details: md, group_id: 7 }), "poll-group"],
    ["open to hand-picked voters only", (md) => closedPoll({ details: md, specified_voters_only: true }), "poll-electorate"],
    [
      "offering a fifth option",
      (md) => ({ ...closedPoll({ details: md, poll_option_ids: [...options().map((o) => o.id)] }), poll_options: options() }),
      "poll-options",
    ],
    ["without the binding line", (md) => closedPoll({ details: md.replace(/coop-plan: .*\n/, "") }), "poll-binding"],
    [
      "binding another stack",
      (md) => closedPoll({ details: md.replace("coop-plan: stack=example", "coop-plan: stack=prod") }),
      "poll-binding",
    ],
    ["binding another plan", (md, d) => closedPoll({ details: md.replace(d, "0".repeat(64)) }), "digest-mismatch"],
    [
      "short of the quorum",
      (md) => closedPoll({ details: md, ...withVotes({ agree: 3, abstain: 0, disagree: 0, block: 0 }, 7) }),
      "poll-quorum",
    ],
    [
      "short of two thirds",
      (md) => closedPoll({ details: md, ...withVotes({ agree: 3, abstain: 0, disagree: 2, block: 0 }, 7) }),
      "poll-threshold",
    ],
    ["blocked", (md) => closedPoll({ details: md, ...withVotes({ agree: 5, abstain: 0, disagree: 0, block: 1 }, 7) }), "poll-blocks"],
    ["closed 40 days ago", (md) => closedPoll({ details: md, closed_at: "2026-01-30T12:00:00.000Z" }), "decision-stale"],
    [
      "whose text says less than the change (summary edited)",
      (md) => closedPoll({ details: md.replace("- Mastodon upgrades from v4.6.3 to v4.6.4 (patch).\n", "") }),
      "summary-mismatch",
    ],
    [
      "carrying the summary but no coop-summary line",
      (md) => closedPoll({ details: md.replace(/coop-summary: .*\n/, "") }),
      "summary-mismatch",
    ],
  ];
  for (const [name, body, code] of cases) {
    it(`${name} → [${code}]`, async () => {
      fake.answers = [json(200, body(text.markdown, text.digest))];
      const before = snapshot(f.root);
      const r = await decide(f.root);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/a decision on stack 'example' cannot be recorded:/);
      expect(r.stderr).toContain(`[${code}]`);
      expect(r.stderr).toMatch(/Nothing was written\./);
      expect(r.stderr).toMatch(/hint: /);
      expect(changedFiles(before, snapshot(f.root))).toEqual([]);
    });
  }

  it("--json: a refusal is one document naming the findings", async () => {
    fake.answers = [json(200, closedPoll({ details: text.markdown, closed_at: null }))];
    const r = await decide(f.root, ["--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { error: { message: string; exitCode: number } };
    expect(doc.error.exitCode).toBe(1);
    expect(doc.error.message).toContain("[poll-not-closed]");
  });
});

describe("coop decide --manual", () => {
  itSsh("records a meeting's decision that counts only with two admin signatures; its minutes must be in the repository", async () => {
    const f = await changed();
    const args = [
      "decide",
      "--stack",
      "example",
      "--manual",
      "--meeting",
      "General assembly 2026-03-01",
      "--minutes",
      "docs/minutes/2026-03-01.md",
      "--decided-on",
      "2026-03-01",
    ];
    const before = snapshot(f.root);
    const missing = await coop(args, { root: f.root, env: env(), at: NOW });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("[minutes-missing]");
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);

    mkdirSync(join(f.root, "docs", "minutes"), { recursive: true });
    writeFileSync(join(f.root, "docs", "minutes", "2026-03-01.md"), "# General assembly\n\nThe members approved the upgrade.\n");
    const r = await coop(args, { root: f.root, env: env(), at: NOW });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/needs 2 more signatures by admin/);
    expect(recordOf(f.root, "example-0002-change")).toMatchObject({
      decidedAt: "2026-03-01T00:00:00.000Z",
      evidence: { type: "meeting", meeting: "General assembly 2026-03-01", decidedOn: "2026-03-01", minutes: "docs/minutes/2026-03-01.md" },
    });
    expect((await coop(["sign", "example-0002-change", "--key", fixtureKey("ada")], { root: f.root, at: NOW })).code).toBe(0);
    expect((await verifyJson(f.root, NOW)).codes).toEqual(["signatures-insufficient"]);
    expect((await coop(["sign", "example-0002-change", "--key", fixtureKey("grace")], { root: f.root, at: NOW })).code).toBe(0);
    expect(await verifyJson(f.root, NOW)).toMatchObject({ code: 0, codes: [] });
  });

  it("needs the meeting, the minutes and a date that is not in the future", async () => {
    const f = await changed();
    const none = await coop(["decide", "--stack", "example", "--manual"], { root: f.root, env: env(), at: NOW });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--manual needs --meeting/);
    const future = await coop(
      ["decide", "--stack", "example", "--manual", "--meeting", "GA", "--minutes", "docs/minutes/x.md", "--decided-on", "2026-04-01"],
      { root: f.root, env: env(), at: NOW },
    );
    expect(future.code).toBe(2);
    expect(future.stderr).toMatch(/--decided-on is in the future/);
  });
});

describe("coop decide --poll: the poll's address and the API key", () => {
  const refused: Array<[string, (url: string) => string, RegExp]> = [
    [
      "a query string (an API key in the address)",
      (url) => `${url}/p/AbC123xy?api_key=${KEY}`,
      /the poll address must not contain a query/,
    ],
    ["an empty query", (url) => `${url}/p/AbC123xy?`, /the poll address must not contain a query/],
    [
      "a user name and password",
      (url) => `${url.replace("http://", `http://bot:${KEY}@`)}/p/AbC123xy`,
      /the poll address must not contain a user name or password/,
    ],
  ];
  for (const [name, address, message] of refused) {
    it(`refuses an address with ${name}: exit 2, no request, nothing written`, async () => {
      const f = await changed();
      const before = snapshot(f.root);
      const seen = fake.requests.length;
      const r = await decide(f.root, ["--poll", address(fake.url)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/hint: pass the poll's key, or its plain address/);
      expect(fake.requests.length).toBe(seen);
      expect(changedFiles(before, snapshot(f.root))).toEqual([]);
    });
  }

  it("LOOMIO_URL naming another instance than the bylaws' is refused, and the key never goes there", async () => {
    const evil = await startLoomio([json(200, closedPoll())]);
    try {
      const f = await changed();
      const before = snapshot(f.root);
      const seen = fake.requests.length;
      const viaEnv = await decide(f.root, [], { LOOMIO_URL: evil.url });
      expect(viaEnv.code).toBe(2);
      expect(viaEnv.stderr).toContain(`LOOMIO_URL is ${evil.url}, but the bylaws name the co-op's Loomio instance ${fake.url}`);
      const viaAddress = await decide(f.root, ["--poll", `${evil.url}/p/AbC123xy`]);
      expect(viaAddress.code).toBe(2);
      expect(viaAddress.stderr).toContain(`the poll is on ${evil.url}, but the co-op's Loomio instance is ${fake.url}`);
      expect(evil.requests).toEqual([]);
      expect(fake.requests.length).toBe(seen);
      expect(changedFiles(before, snapshot(f.root))).toEqual([]);
    } finally {
      await evil.close();
    }
  });

  it("a working rules.yaml that points loomio.url elsewhere (not approved) does not redirect the key", async () => {
    const evil = await startLoomio([json(200, closedPoll())]);
    try {
      const f = await changed();
      const { markdown } = await proposal(f.root);
      const rules = join(f.root, "governance", "rules.yaml");
      writeFileSync(rules, readFileSync(rules, "utf8").replace(`url: ${fake.url}`, `url: ${evil.url}`));
      fake.answers = [json(200, closedPoll({ details: markdown }))];
      const r = await decide(f.root, [], { LOOMIO_URL: "" });
      expect(r.code, r.stderr).toBe(0);
      expect(evil.requests).toEqual([]);
      // The edited bylaws are not the approved ones: verify says so.
      expect((await verifyJson(f.root, NOW)).codes).toContain("rules-unapproved");
    } finally {
      await evil.close();
    }
  });

  it("refuses plain http to a host other than this machine, and a missing key, before any request", async () => {
    const f = await changed();
    const seen = fake.requests.length;
    const nokey = await decide(f.root, [], { LOOMIO_API_KEY: "" });
    expect(nokey.code).toBe(2);
    expect(nokey.stderr).toMatch(/LOOMIO_API_KEY is not set/);
    const http = await decide(f.root, [], { LOOMIO_URL: "http://loomio.example.coop" });
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/LOOMIO_URL must use https/);
    expect(fake.requests.length).toBe(seen);
  });
});

describe("coop decide --poll: a poll approves one decision", () => {
  it("refuses a poll an earlier decision recorded (to roll back), by key, by id, or under another key; nothing written", async () => {
    const f = await changed();
    const first = await proposal(f.root);
    fake.answers = [json(200, closedPoll({ details: first.markdown }))];
    expect((await decide(f.root)).code).toBe(0);

    setSpec(f.root, "example", "version: v4.6.4", "version: v4.6.5");
    const second = await proposal(f.root);
    fake.answers = [json(200, closedPoll({ id: 556, key: "XyZ98765", details: second.markdown }))];
    const r2 = await decide(f.root, ["--poll", "XyZ98765"]);
    expect(r2.code, r2.stderr).toBe(0);

    // Back to v4.6.4, which poll AbC123xy approved once already.
    setSpec(f.root, "example", "version: v4.6.5", "version: v4.6.4");
    expect((await makePlan(f.root, "example")).digest).toBe(first.digest);
    const before = snapshot(f.root);
    for (const [ref, answer] of [
      ["AbC123xy", closedPoll({ details: first.markdown })],
      ["555", closedPoll({ details: first.markdown })],
      ["NewKey55", closedPoll({ key: "NewKey55", details: first.markdown })],
    ] as const) {
      fake.answers = [json(200, answer)];
      const again = await decide(f.root, ["--poll", ref]);
      expect(again.code, again.stderr).toBe(1);
      expect(again.stderr).toMatch(/its poll was already recorded by 'example-0002-change'; a poll approves one decision.*\[poll-reused\]/);
      expect(again.stderr).toMatch(/coop propose --stack example --post, then coop decide --stack example --poll <key>/);
    }
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);
    expect(planBindingLine("example", first.digest)).toContain(first.digest);
  });
});
