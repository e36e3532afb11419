/**
 * `coop verify` beyond the offline ledger: `--online` fetches every recorded poll again from the
 * co-op's Loomio and reports one that changed after it was recorded; `--approved` judges a tree
 * against the ledger already approved — records it holds must be unchanged, new ones are judged
 * as they enter now, by this machine's clock.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../rulebook";
import { approvedRepo } from "../helpers/approved-repo";
import { coop, verifyJson } from "../helpers/cli";
import type { LedgerFixture } from "../helpers/ledger";
import { type FakeLoomio, json, startLoomio, withVotes } from "../helpers/loomio";

const KEY = "online-bot-key-5555";
const NOW = "2026-03-11T09:00:00.000Z";

let fake: FakeLoomio;
beforeAll(async () => {
  fake = await startLoomio();
});
afterAll(() => fake.close());
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  LOOMIO_URL: fake.url,
  LOOMIO_API_KEY: KEY,
  COOP_LOOMIO_BACKOFF_MS: "1",
  ...extra,
});

/** An approved repository with one poll decision (signed by two admins) recorded from the loopback Loomio. */
async function withPoll(): Promise<{ f: LedgerFixture; d: Decision; answer: { polls: Array<Record<string, unknown>> } }> {
  const f = await approvedRepo(["example"], { loomioUrl: fake.url });
  cleanups.push(f.cleanup);
  const d = f.write(f.vote("example", f.lock("example", "1", { serverType: "cx43" })));
  const answer = (d as Extract<Decision, { kind: "change" }>).evidence as unknown as { answer: { polls: Array<Record<string, unknown>> } };
  return { f, d, answer: answer.answer };
}

function copyOf(root: string): string {
  const dir = mkdtempSync(join(tmpdir(), "coop-approved-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(root, dir, { recursive: true });
  return dir;
}

describe("coop verify --online", () => {
  it("passes while Loomio's answer is what was recorded, and sends the key only to the bylaws' instance", async () => {
    const { f, answer } = await withPoll();
    fake.answers = [json(200, answer)];
    const seen = fake.requests.length;
    const r = await verifyJson(f.root, NOW, ["--online"], env());
    expect(r).toMatchObject({ code: 0, codes: [] });
    expect(r.doc.polls).toBe(1);
    const reqs = fake.requests.slice(seen);
    expect(reqs.map((q) => `${q.method} ${q.url}`)).toEqual([`GET /api/b2/polls/${answer.polls[0].key}`]);
    expect(reqs[0].headers.authorization).toBe(`Bearer ${KEY}`);
  });

  const changed: Array<[string, (poll: Record<string, unknown>) => Record<string, unknown>, RegExp]> = [
    ["reopened", (p) => ({ ...p, closed_at: null }), /closed .* → open \(reopened\)/],
    ["recounted", (p) => ({ ...p, ...withVotes({ agree: 2, abstain: 1, disagree: 4, block: 0 }, 10) }), /votes \{.*\} → \{.*"disagree":4/],
    ["with its text edited", (p) => ({ ...p, details: `${p.details}\nAlso: a bigger server.` }), /the text \(details\) changed/],
    ["discarded", (p) => ({ ...p, discarded_at: "2026-03-01T00:00:00.000Z" }), /discarded 2026-03-01/],
  ];
  for (const [name, change, detail] of changed) {
    it(`reports a poll ${name} after it was recorded: [poll-changed], exit 1`, async () => {
      const { f, d, answer } = await withPoll();
      const body = JSON.parse(JSON.stringify(answer)) as { polls: Array<Record<string, unknown>> };
      body.polls[0] = change(body.polls[0]);
      fake.answers = [json(200, body)];
      const r = await coop(["verify", "--online"], { root: f.root, env: env(), at: NOW });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`governance/decisions/${d.id}.json evidence:`);
      expect(r.stderr).toMatch(/now differs from the recorded one: .*\[poll-changed\]/);
      expect(r.stderr).toMatch(detail);
      expect(r.stdout + r.stderr).not.toContain(KEY);
      // Offline, nothing changed.
      expect((await verifyJson(f.root, NOW)).code).toBe(0);
    });
  }

  it("a poll Loomio no longer shows is a finding, and the key stays out of the message", async () => {
    const { f } = await withPoll();
    fake.answers = [json(404, { error: `not found for ${KEY}` })];
    const r = await coop(["verify", "--online"], { root: f.root, env: env(), at: NOW });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot be fetched again: Loomio has no poll .* \(HTTP 404.*\[poll-changed\]/);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it("LOOMIO_URL naming another instance is refused before any request", async () => {
    const { f } = await withPoll();
    const evil = await startLoomio();
    try {
      const r = await coop(["verify", "--online"], { root: f.root, env: env({ LOOMIO_URL: evil.url }), at: NOW });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`but the bylaws name the co-op's Loomio instance ${fake.url}`);
      expect(evil.requests).toEqual([]);
    } finally {
      await evil.close();
    }
  });
});

describe("coop verify --approved", () => {
  it("the approved ledger only grows: a removed, an edited, or an unsigned record is [ledger-rewritten]; an added signature is not", async () => {
    const { f, d } = await withPoll();
    const approved = copyOf(f.root);
    const file = join(f.root, "governance", "decisions", `${d.id}.json`);
    const original = readFileSync(file, "utf8");

    expect(await verifyJson(f.root, NOW, ["--approved", approved])).toMatchObject({ code: 0, codes: [] });

    rmSync(file);
    const removed = await verifyJson(f.root, NOW, ["--approved", approved]);
    expect(removed.code).toBe(1);
    expect(removed.doc.findings).toContainEqual(
      expect.objectContaining({ code: "ledger-rewritten", decision: d.id, message: expect.stringMatching(/it was removed/) }),
    );

    writeFileSync(file, original.replace(/"summary": "/, '"summary": "Nothing to see. '));
    const edited = await verifyJson(f.root, NOW, ["--approved", approved]);
    expect(edited.doc.findings).toContainEqual(
      expect.objectContaining({
        code: "ledger-rewritten",
        decision: d.id,
        message: expect.stringMatching(/differs from the approved ledger's/),
      }),
    );

    const record = JSON.parse(original) as Decision;
    writeFileSync(file, JSON.stringify({ ...record, signatures: record.signatures.slice(1) }, null, 2));
    const unsigned = await verifyJson(f.root, NOW, ["--approved", approved]);
    expect(unsigned.doc.findings).toContainEqual(
      expect.objectContaining({
        code: "ledger-rewritten",
        message: expect.stringMatching(/a signature the approved ledger holds was removed/),
      }),
    );

    // A signature added to an approved record is how records get their signatures: allowed.
    writeFileSync(file, original);
    f.write(f.sign(record, "hedy"));
    expect((await verifyJson(f.root, NOW, ["--approved", approved])).codes).not.toContain("ledger-rewritten");
  });

  it("a new record's poll age is judged by this machine's clock, not by the date it gives itself", async () => {
    const f = await approvedRepo(["example"], { loomioUrl: fake.url });
    cleanups.push(f.cleanup);
    const approved = copyOf(f.root);
    const d = f.write(f.vote("example", f.lock("example", "1")));
    const closed = Date.parse(d.decidedAt);
    const day = 86_400_000;
    // Offline, the record is judged at its own recording time: fresh.
    expect((await verifyJson(f.root, new Date(closed + 40 * day))).codes).toEqual([]);
    // Entering the approved ledger now, 40 days after the poll closed: too old.
    const late = await verifyJson(f.root, new Date(closed + 40 * day), ["--approved", approved]);
    expect(late.code).toBe(1);
    expect(late.doc.new).toBe(1);
    expect(late.doc.findings).toContainEqual(expect.objectContaining({ code: "decision-stale", decision: d.id }));
    expect(await verifyJson(f.root, new Date(closed + day), ["--approved", approved])).toMatchObject({ code: 0, codes: [] });
    // A record dated after the verifier's clock.
    const early = await verifyJson(f.root, new Date(closed - day), ["--approved", approved]);
    expect(early.codes).toContain("recorded-in-future");
  });

  it("takes a git revision of the repository as the approved ledger", async () => {
    const { f, d } = await withPoll();
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.coop", ...args], { cwd: f.root, stdio: "pipe" });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "approved");
    expect(await verifyJson(f.root, NOW, ["--approved", "HEAD"])).toMatchObject({ code: 0, codes: [] });
    rmSync(join(f.root, "governance", "decisions", `${d.id}.json`));
    expect((await verifyJson(f.root, NOW, ["--approved", "HEAD"])).codes).toContain("ledger-rewritten");
    const bad = await coop(["verify", "--approved", "no-such-branch"], { root: f.root, at: NOW });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/git cannot read revision 'no-such-branch'/);
  });
});
