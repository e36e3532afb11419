import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planBindingLine } from "../../rulebook/loomio/binding";
import { makePlan } from "../../cli/plan/planning";
import { coop } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { fixtureKey } from "../helpers/governance";
import { closedPoll, json, startLoomio, withVotes, type FakeLoomio } from "../helpers/loomio";
import { tempRepo } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const KEY = "sekrit-bot-key-0123456789";
const itSsh = withTool("ssh-keygen", "openssh-client");

/** A temp repo where the plan differs from the approved lock: Mastodon moves to v4.6.4. */
async function changedRepo(): Promise<{ root: string; digest: string; cleanup: () => void }> {
  const repo = tempRepo();
  const spec = join(repo.root, "stacks", "example.yaml");
  writeFileSync(spec, readFileSync(spec, "utf8").replace(/version: v4\.6\.3/, "version: v4.6.4"));
  const plan = await makePlan(repo.root, "example");
  return { ...repo, digest: plan.digest };
}

let fake: FakeLoomio;
let repo: Awaited<ReturnType<typeof changedRepo>>;

beforeAll(async () => {
  fake = await startLoomio();
  repo = await changedRepo();
});
afterAll(async () => {
  await fake.close();
  repo.cleanup();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LOOMIO_URL: fake.url,
    LOOMIO_API_KEY: KEY,
    LOOMIO_GROUP_ID: "42",
    COOP_NOW: "2026-03-11T09:00:00Z",
    COOP_LOOMIO_BACKOFF_MS: "1",
    ...extra,
  };
}

function passing(digest: string, overrides: Record<string, unknown> = {}) {
  return closedPoll({ details: `Mastodon upgrades.\n\n${planBindingLine("example", digest)}\n`, ...overrides });
}

async function decide(root: string, args: string[] = [], extraEnv: Record<string, string> = {}) {
  const r = await coop(["decide", "--stack", "example", "--poll", "AbC123xy", ...args], { root, env: env(extraEnv) });
  expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
  return r;
}

describe("coop decide --poll: a passing poll", () => {
  itSsh("writes exactly one decision and the new lock; the lock counts once an admin signed", async () => {
    const r0 = await changedRepo();
    try {
      fake.answers = [json(429, { error: "slow down" }, { "Retry-After": "1" }), json(200, passing(r0.digest))];
      const seenBefore = fake.requests.length;
      const before = snapshot(r0.root);
      const r = await decide(r0.root);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/HTTP 429; retrying in 1\.0 s/);
      const changed = changedFiles(before, snapshot(r0.root));
      expect(changed).toEqual(["governance/approved/example.lock.json", "governance/decisions/example-0002-change.yaml"]);

      const reqs = fake.requests.slice(seenBefore);
      expect(reqs.map((q) => `${q.method} ${q.url}`)).toEqual(["GET /api/b2/polls/AbC123xy", "GET /api/b2/polls/AbC123xy"]);
      expect(reqs[0].headers.authorization).toBe(`Bearer ${KEY}`);
      expect(reqs[0].url).not.toContain(KEY);

      const record = readFileSync(join(r0.root, "governance/decisions/example-0002-change.yaml"), "utf8");
      expect(record).toContain("kind: change");
      expect(record).toMatch(new RegExp(`\ndigest: "?${r0.digest}"?\n`));
      expect(record).toMatch(/previous: example-0001-genesis/);
      expect(record).toMatch(/closedAt: "2026-03-10T12:00:03.512Z"/);
      expect(record).toMatch(/responseSha256: "?[0-9a-f]{64}"?\n/);
      expect(record).toContain("Mastodon upgrades from v4.6.3 to v4.6.4.");
      expect(record).not.toContain(KEY);
      const lock = JSON.parse(readFileSync(join(r0.root, "governance/approved/example.lock.json"), "utf8")) as { digest: string };
      expect(lock.digest).toBe(r0.digest);

      const pending = await coop(["verify"], { root: r0.root, env: env() });
      expect(pending.code).toBe(1);
      expect(pending.stderr).toMatch(/example-0002-change.*0 valid signatures.*1 more needed/s);

      const signed = await coop(["sign", "example-0002-change", "--key", fixtureKey("ada")], { root: r0.root, env: env() });
      expect(signed.code, signed.stderr).toBe(0);
      expect(signed.stdout).toMatch(/the decision counts/);
      const ok = await coop(["verify"], { root: r0.root, env: env() });
      expect(ok.code, ok.stderr).toBe(0);

      const again = await decide(r0.root);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/nothing to decide/);
    } finally {
      r0.cleanup();
    }
  });

  itSsh("accepts the poll's address and signs at once with --key", async () => {
    const r0 = await changedRepo();
    try {
      fake.answers = [json(200, passing(r0.digest))];
      const r = await coop(
        ["decide", "--stack", "example", "--poll", `${fake.url}/p/AbC123xy/approve-mastodon`, "--key", fixtureKey("ada")],
        { root: r0.root, env: env() },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/has the signatures it needs/);
      expect((await coop(["verify"], { root: r0.root, env: env() })).code).toBe(0);
    } finally {
      r0.cleanup();
    }
  });

  it("never sends the API key to the host a poll address names: LOOMIO_URL is required and must match", async () => {
    const r0 = await changedRepo();
    try {
      fake.answers = [json(200, passing(r0.digest))];
      const seen = fake.requests.length;
      const before = snapshot(r0.root);
      const unset = await coop(["decide", "--stack", "example", "--poll", `${fake.url}/p/AbC123xy/approve-mastodon`], {
        root: r0.root,
        env: env({ LOOMIO_URL: "" }),
      });
      expect(unset.code).toBe(2);
      expect(unset.stderr).toMatch(/LOOMIO_URL is not set/);
      const elsewhere = await coop(["decide", "--stack", "example", "--poll", "https://loomio.evil.example/p/AbC123xy/approve-mastodon"], {
        root: r0.root,
        env: env(),
      });
      expect(elsewhere.code).toBe(2);
      expect(elsewhere.stderr).toMatch(/the poll is on https:\/\/loomio\.evil\.example, but LOOMIO_URL is/);
      expect(fake.requests.length).toBe(seen);
      expect(changedFiles(before, snapshot(r0.root))).toEqual([]);
    } finally {
      r0.cleanup();
    }
  });
});

describe("coop decide --poll: a poll failing a rule is refused and nothing is written", () => {
  const cases: Array<[string, (digest: string) => Record<string, unknown>, string]> = [
    ["open", (d) => passing(d, { closed_at: null }), "closed"],
    ["discarded", (d) => passing(d, { discarded_at: "2026-03-10T13:00:00.000Z" }), "not-discarded"],
    ["wrong type", (d) => passing(d, { poll_type: "count" }), "poll-type"],
    ["another group", (d) => passing(d, { group_id: 7 }), "group"],
    ["binding line missing", (d) => passing(d, { details: "Please approve the upgrade." }), "binding"],
    ["binding line for another stack", (d) => passing(d, { details: planBindingLine("prod", d) }), "binding"],
    ["binding line with another digest", () => passing("0".repeat(64)), "binding"],
    ["quorum", (d) => passing(d, withVotes({ agree: 3, abstain: 0, disagree: 0, block: 0 }, 7)), "quorum"],
    ["threshold", (d) => passing(d, withVotes({ agree: 3, abstain: 0, disagree: 2, block: 0 }, 7)), "threshold"],
    ["block", (d) => passing(d, withVotes({ agree: 5, abstain: 0, disagree: 0, block: 1 }, 7)), "blocks"],
    ["too old", (d) => passing(d, { closed_at: "2026-01-20T12:00:00.000Z" }), "age"],
  ];
  for (const [name, body, rule] of cases) {
    it(`${name} → rule ${rule}`, async () => {
      fake.answers = [json(200, body(repo.digest))];
      const before = snapshot(repo.root);
      const r = await decide(repo.root);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`rule [a-z, -]*\\b${rule}\\b`));
      expect(r.stderr).toMatch(/Nothing was written/);
      expect(r.stdout).toMatch(new RegExp(`✗ ${rule}`));
      expect(changedFiles(before, snapshot(repo.root))).toEqual([]);
    });
  }

  it("--json prints the outcome per rule as one document", async () => {
    fake.answers = [json(200, passing(repo.digest, { closed_at: null }))];
    const r = await decide(repo.root, ["--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { passed: boolean; failed: Array<{ rule: string }> };
    expect(doc.passed).toBe(false);
    expect(doc.failed.map((f) => f.rule)).toContain("closed");
  });
});

describe("coop decide --poll: Loomio errors exit 2 with a clear message", () => {
  const cases: Array<[string, () => ReturnType<typeof json>[], RegExp]> = [
    ["401", () => [json(401, { error: "unauthorized" })], /rejected the API key \(HTTP 401/],
    [
      "403",
      () => [json(403, { exception: "CanCan::AccessDenied", error: "You are not authorized to access this page." })],
      /refused access \(HTTP 403/,
    ],
    ["404", () => [json(404, { exception: "ActiveRecord::RecordNotFound", error: "not found" })], /no poll 'AbC123xy' \(HTTP 404/],
    ["500 every time", () => [json(500, `internal error near ${KEY}`)], /HTTP 500 .* after 4 attempts/],
    ["not JSON", () => [{ status: 200, body: "<html>login</html>" }], /is not JSON/],
    ["JSON of another shape", () => [json(200, { polls: [] })], /cannot be used: the response is not a Loomio poll/],
    [
      "an answer for another poll",
      () => [json(200, passing(repo.digest, { key: "Other123" }))],
      /cannot be used: the response is for poll 'Other123' \(id 555\), not the poll 'AbC123xy' coop asked for/,
    ],
    [
      "votes that do not add up to the decided voters",
      () => [json(200, passing(repo.digest, { decided_voters_count: 6 }))],
      /cannot be used: the votes per option add up to 5 .*but decided_voters_count is 6/,
    ],
    [
      "more decided voters than voters",
      () => [json(200, passing(repo.digest, { ...withVotes({ agree: 6, abstain: 1, disagree: 1, block: 0 }, 8), voters_count: 7 }))],
      /cannot be used: decided_voters_count \(8\) is larger than voters_count \(7\)/,
    ],
  ];
  for (const [name, answers, message] of cases) {
    it(name, async () => {
      fake.answers = answers();
      const before = snapshot(repo.root);
      const r = await decide(repo.root);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/hint: /);
      expect(changedFiles(before, snapshot(repo.root))).toEqual([]);
    });
  }

  it("refuses to send the key to another host than LOOMIO_URL, or over plain http", async () => {
    const other = await coop(["decide", "--stack", "example", "--poll", "https://elsewhere.example/p/AbC123xy"], {
      root: repo.root,
      env: env(),
    });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/coop sends the API key only to LOOMIO_URL/);
    const http = await coop(["decide", "--stack", "example", "--poll", "AbC123xy"], {
      root: repo.root,
      env: env({ LOOMIO_URL: "http://loomio.example" }),
    });
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/must use https/);
    const nokey = await coop(["decide", "--stack", "example", "--poll", "AbC123xy"], { root: repo.root, env: env({ LOOMIO_API_KEY: "" }) });
    expect(nokey.code).toBe(2);
    expect(nokey.stderr).toMatch(/LOOMIO_API_KEY is not set/);
  });
});

describe("coop decide --manual", () => {
  itSsh("records a meeting's decision that counts only with two admin signatures", async () => {
    const r0 = await changedRepo();
    try {
      const before = snapshot(r0.root);
      const r = await coop(
        [
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
        ],
        { root: r0.root, env: env() },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(changedFiles(before, snapshot(r0.root))).toEqual([
        "governance/approved/example.lock.json",
        "governance/decisions/example-0002-change.yaml",
      ]);
      expect(r.stdout).toMatch(/needs 2 more signatures by admin/);
      expect((await coop(["sign", "example-0002-change", "--key", fixtureKey("ada")], { root: r0.root, env: env() })).stdout).toMatch(
        /1 of 2 signatures/,
      );
      const still = await coop(["verify", "--json"], { root: r0.root, env: env() });
      expect(still.code).toBe(1);
      expect((JSON.parse(still.stdout) as { findings: Array<{ code: string }> }).findings.map((f) => f.code)).toEqual([
        "signatures-insufficient",
      ]);
      expect((await coop(["sign", "example-0002-change", "--key", fixtureKey("grace")], { root: r0.root, env: env() })).code).toBe(0);
      expect((await coop(["verify"], { root: r0.root, env: env() })).code).toBe(0);
    } finally {
      r0.cleanup();
    }
  });

  it("needs the meeting and the minutes", async () => {
    const r = await coop(["decide", "--stack", "example", "--manual"], { root: repo.root, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--manual needs --meeting/);
  });
});

describe("coop decide --poll: what is recorded of the poll's address", () => {
  it("the canonical address, whatever address was given", async () => {
    const r0 = await changedRepo();
    try {
      fake.answers = [json(200, passing(r0.digest))];
      const r = await coop(["decide", "--stack", "example", "--poll", `${fake.url}/p/AbC123xy/approve-mastodon#comments`], {
        root: r0.root,
        env: env(),
      });
      expect(r.code, r.stderr).toBe(0);
      const record = readFileSync(join(r0.root, "governance/decisions/example-0002-change.yaml"), "utf8");
      const url = /\n {2}url: "?([^"\n]*)"?\n/.exec(record)?.[1];
      expect(url).toBe(`${fake.url}/p/AbC123xy`);
      expect(record.includes("approve-mastodon")).toBe(false);
    } finally {
      r0.cleanup();
    }
  });

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
      const before = snapshot(repo.root);
      const seen = fake.requests.length;
      const r = await decide(repo.root, ["--poll", address(fake.url)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/hint: pass the poll's key, or its plain address/);
      expect(fake.requests.length).toBe(seen);
      expect(changedFiles(before, snapshot(repo.root))).toEqual([]);
    });
  }
});

describe("coop decide --poll: a poll approves one decision", () => {
  it("refuses a poll an earlier decision recorded (e.g. to roll back), by key or by id; exit 1, nothing written", async () => {
    const r0 = await changedRepo();
    try {
      const spec = join(r0.root, "stacks", "example.yaml");
      fake.answers = [json(200, passing(r0.digest))];
      expect((await decide(r0.root)).code).toBe(0);

      writeFileSync(spec, readFileSync(spec, "utf8").replace(/version: v4\.6\.4/, "version: v4.6.5"));
      const d2 = (await makePlan(r0.root, "example")).digest;
      fake.answers = [json(200, closedPoll({ id: 556, key: "XyZ98765", details: planBindingLine("example", d2) }))];
      const second = await decide(r0.root, ["--poll", "XyZ98765"]);
      expect(second.code, second.stderr).toBe(0);

      // Back to v4.6.4, which poll AbC123xy approved once already.
      writeFileSync(spec, readFileSync(spec, "utf8").replace(/version: v4\.6\.5/, "version: v4.6.4"));
      fake.answers = [json(200, passing(r0.digest))];
      const before = snapshot(r0.root);
      const seen = fake.requests.length;
      for (const ref of ["AbC123xy", "555", `${fake.url}/p/AbC123xy`]) {
        const again = await decide(r0.root, ["--poll", ref]);
        expect(again.code, again.stderr).toBe(1);
        expect(again.stderr).toMatch(
          /poll (AbC123xy|555) was already recorded by decision example-0002-change; a poll approves one decision, so it cannot approve this one\. Nothing was written\./,
        );
        expect(again.stderr).toMatch(/hint: let the members vote on this: coop propose --stack example --post/);
      }
      expect(fake.requests.length).toBe(seen);

      // Under another key, the same poll id is still the same poll (known only once fetched).
      fake.answers = [json(200, passing(r0.digest, { key: "NewKey55" }))];
      const byId = await decide(r0.root, ["--poll", "NewKey55", "--json"]);
      expect(byId.code).toBe(1);
      expect(JSON.parse(byId.stdout)).toMatchObject({
        passed: false,
        poll: "NewKey55",
        failed: [{ rule: "unused", detail: "poll NewKey55 was already recorded by decision example-0002-change" }],
      });
      expect(changedFiles(before, snapshot(r0.root))).toEqual([]);
    } finally {
      r0.cleanup();
    }
  });
});
