/**
 * A hostile (or broken) Loomio against `coop decide`: whatever the server does — drip bytes,
 * send more than any poll needs, answer garbage or an error, echo the API key back — coop ends
 * within its deadlines (a hang would time the test out) with exit 2, a message that says what happened and what to do, writes
 * nothing, and never prints the key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ANSWER_BYTES } from "../../cli/loomio/client";
import { approvedRepo, setSpec } from "../helpers/approved-repo";
import { coop } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import type { LedgerFixture } from "../helpers/ledger";
import { type Answer, closedPoll, type FakeLoomio, json, startLoomio } from "../helpers/loomio";

const KEY = "hostile-test-key-7f3a9c";
const NOW = "2026-03-11T09:00:00.000Z";

let fake: FakeLoomio;
let f: LedgerFixture;
beforeAll(async () => {
  fake = await startLoomio();
  f = await approvedRepo(["example"], { loomioUrl: fake.url });
  setSpec(f.root, "example", "version: v4.6.3", "version: v4.6.4");
});
afterAll(async () => {
  await fake.close();
  f.cleanup();
});

const env = { ...process.env, LOOMIO_API_KEY: KEY, COOP_LOOMIO_BACKOFF_MS: "1", COOP_LOOMIO_TIMEOUT_MS: "400" };

async function decide(answers: Answer[]) {
  fake.answers = answers;
  const before = snapshot(f.root);
  const seen = fake.requests.length;
  const r = await coop(["decide", "--stack", "example", "--poll", "AbC123xy", "--json"], {
    root: f.root,
    env: { ...env, LOOMIO_URL: fake.url },
    at: NOW,
  });
  expect(changedFiles(before, snapshot(f.root)), "nothing is written").toEqual([]);
  expect(r.stdout + r.stderr).not.toContain(KEY);
  const error = (JSON.parse(r.stdout) as { error: { message: string; hint?: string; exitCode: number } }).error;
  return { code: r.code, error, requests: fake.requests.length - seen };
}

const huge = `{"polls":[{"id":1,"key":"AbC123xy","details":"${"x".repeat(MAX_ANSWER_BYTES)}"}]}`;

describe("coop decide against a hostile Loomio", () => {
  const cases: Array<[string, () => Answer[], RegExp, RegExp]> = [
    [
      "drips one byte at a time, forever (one deadline per request, a bounded number of retries)",
      () => [{ status: 200, body: "", dripMs: 25 }],
      /could not reach Loomio \(GET .*\/api\/b2\/polls\/AbC123xy\): no answer within 0\.4 s/,
      /check LOOMIO_URL and the network/,
    ],
    [
      "sends an answer larger than any poll (> 4 MB), saying so",
      () => [json(200, huge, { "Content-Length": String(Buffer.byteLength(huge)) })],
      /the answer is \d+ bytes, more than the 4194304 coop accepts/,
      /it must be the co-op's Loomio instance/,
    ],
    [
      "sends an answer larger than any poll, without saying so",
      () => [{ ...json(200, huge), chunked: true }],
      /the answer is larger than the 4194304 bytes coop accepts/,
      /it must be the co-op's Loomio instance/,
    ],
    ["answers malformed JSON", () => [{ status: 200, body: '{"polls": [' }], /is not JSON/, /not a login page or proxy/],
    ["answers JSON of another shape", () => [json(200, { polls: [] })], /cannot be used: the response is not a Loomio poll/, /loomio\.url/],
    [
      "answers for another poll",
      () => [json(200, closedPoll({ key: "Other123" }))],
      /the response is for poll 'Other123' \(id 555\), not the poll 'AbC123xy' coop asked for/,
      /loomio\.url/,
    ],
    [
      "rejects the key (401), echoing it",
      () => [json(401, { error: `bad key ${KEY}` })],
      /rejected the API key \(HTTP 401/,
      /check LOOMIO_API_KEY/,
    ],
    [
      "refuses access (403)",
      () => [json(403, { exception: "CanCan::AccessDenied", error: "You are not authorized to access this page." })],
      /refused access \(HTTP 403/,
      /bot's group membership/,
    ],
    [
      "has no such poll (404)",
      () => [json(404, { exception: "ActiveRecord::RecordNotFound" })],
      /no poll 'AbC123xy' \(HTTP 404/,
      /poll's key/,
    ],
    [
      "keeps limiting requests (429), asking for a long wait",
      () => [json(429, { error: "slow down" }, { "Retry-After": "3600" })],
      /asks to wait 3600 s before the next request \(HTTP 429\)/,
      /try again later/,
    ],
    [
      "fails every time (500), echoing the key in its body",
      () => [json(500, `internal error near ${KEY}`)],
      /HTTP 500 to GET .* after 4 attempts: internal error near \[api key\]/,
      /try again later/,
    ],
  ];
  for (const [name, answers, message, hint] of cases) {
    it(`${name}: exit 2, nothing written, the key never shown`, async () => {
      const r = await decide(answers());
      expect(r.code).toBe(2);
      expect(r.error.exitCode).toBe(2);
      expect(r.error.message).toMatch(message);
      expect(r.error.hint).toMatch(hint);
      expect(r.error.message.length).toBeLessThan(600);
    });
  }

  it("retries a dripping server only a bounded number of times", async () => {
    const r = await decide([{ status: 200, body: "", dripMs: 25 }]);
    expect(r.requests).toBe(4);
  });

  it("recovers after a 429 that asks for a short wait, and after a 503", async () => {
    fake.answers = [json(429, {}, { "Retry-After": "0" }), json(503, "busy"), json(200, closedPoll({ closed_at: null }))];
    const r = await coop(["decide", "--stack", "example", "--poll", "AbC123xy"], {
      root: f.root,
      env: { ...env, LOOMIO_URL: fake.url },
      at: NOW,
    });
    // The poll itself is refused by the rulebook (it is open): Loomio was reached.
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[poll-not-closed]");
    expect(r.stderr).toMatch(/HTTP 429; retrying/);
    expect(r.stderr).toMatch(/HTTP 503; retrying/);
  });
});
