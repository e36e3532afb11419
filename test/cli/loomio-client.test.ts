import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoomioClient, LoomioError, MAX_ANSWER_BYTES } from "../../cli/loomio/client";
import { loomioConfigFromEnv } from "../../cli/loomio/config";
import { parsePollRef } from "../../cli/loomio/poll-ref";
import { closedPoll, json, startLoomio, type FakeLoomio } from "../helpers/loomio";

const KEY = "the-secret-key-42";
let fake: FakeLoomio;
beforeAll(async () => {
  fake = await startLoomio();
});
afterAll(() => fake.close());

function client(opts: ConstructorParameters<typeof LoomioClient>[1] = {}, baseUrl = fake.url) {
  const log: string[] = [];
  const sleeps: number[] = [];
  const c = new LoomioClient(
    { baseUrl, apiKey: KEY },
    { backoffMs: 1, sleep: async (ms) => void sleeps.push(ms), log: (m) => log.push(m), ...opts },
  );
  return { c, log, sleeps };
}

async function error(p: Promise<unknown>): Promise<LoomioError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LoomioError);
    expect((e as Error).message).not.toContain(KEY);
    return e as LoomioError;
  }
  throw new Error("expected an error");
}

describe("the Loomio client", () => {
  it("honours Retry-After on 429, then succeeds; retries 503 with back-off", async () => {
    fake.answers = [json(429, {}, { "Retry-After": "2" }), json(503, "busy"), json(200, closedPoll())];
    const { c, log, sleeps } = client();
    const r = await c.getPoll("AbC123xy");
    expect(r.status).toBe(200);
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sleeps).toEqual([2000, 2]);
    expect(log[0]).toMatch(/HTTP 429; retrying in 2\.0 s \(attempt 2 of 4\)/);
  });

  it("gives up after a bounded number of retries", async () => {
    fake.answers = [json(502, "bad gateway")];
    const before = fake.requests.length;
    const e = await error(client({ maxRetries: 2 }).c.getPoll("x"));
    expect(fake.requests.length - before).toBe(3);
    expect(e.message).toMatch(/HTTP 502 .* after 3 attempts/);
  });

  it("refuses to wait longer than it may", async () => {
    fake.answers = [json(429, {}, { "Retry-After": "3600" })];
    expect((await error(client().c.getPoll("x"))).message).toMatch(/asks to wait 3600 s/);
  });

  it("times out, and retries a GET", async () => {
    fake.answers = [{ status: 200, body: "{}", delayMs: 400 }];
    const before = fake.requests.length;
    const e = await error(client({ timeoutMs: 100, maxRetries: 1 }).c.getPoll("x"));
    expect(e.message).toMatch(/no answer within 0\.1 s/);
    expect(fake.requests.length - before).toBe(2);
  });

  it("reports a refused connection and scrubs the key from echoed bodies", async () => {
    const closed = await startLoomio();
    const url = closed.url;
    await closed.close();
    const e = await error(client({ maxRetries: 0 }, url).c.getPoll("x"));
    expect(e.message).toMatch(/connection refused/);
    fake.answers = [json(418, `I am a teapot holding ${KEY}`)];
    const t = await error(client().c.getPoll("x"));
    expect(t.message).toMatch(/HTTP 418 .*\[api key\]/);
  });

  it("one deadline per request covers the whole body: a server that drips bytes cannot hang it", async () => {
    fake.answers = [{ status: 200, body: "", dripMs: 20 }];
    const before = fake.requests.length;
    const e = await error(client({ timeoutMs: 300, maxRetries: 1 }).c.getPoll("x"));
    expect(e.message).toMatch(/no answer within 0\.3 s/);
    expect(fake.requests.length - before).toBe(2);
  });

  it("refuses an answer larger than it accepts, whether it says its size or not", async () => {
    const huge = `{"polls":[{"details":"${"x".repeat(MAX_ANSWER_BYTES)}"}]}`;
    const cases: Array<[ReturnType<typeof json>, RegExp]> = [
      [
        json(200, huge, { "Content-Length": String(Buffer.byteLength(huge)) }),
        new RegExp(`the answer is ${Buffer.byteLength(huge)} bytes, more than the ${MAX_ANSWER_BYTES} coop accepts`),
      ],
      [{ ...json(200, huge), chunked: true }, new RegExp(`the answer is larger than the ${MAX_ANSWER_BYTES} bytes coop accepts`)],
    ];
    for (const [answer, message] of cases) {
      fake.answers = [answer];
      const e = await error(client().c.getPoll("x"));
      expect(e.message).toMatch(message);
      expect(e.message.length).toBeLessThan(500);
    }
  });

  it("refuses malformed JSON without echoing more than a snippet, and scrubs the key from it", async () => {
    fake.answers = [{ status: 200, body: `{"polls": [ ${KEY} ${"y".repeat(5000)}` }];
    const e = await error(client().c.getPoll("x"));
    expect(e.message).toMatch(/is not JSON: .*\[api key\]/);
    expect(e.message.length).toBeLessThan(500);
  });

  it("retries a POST only when Loomio certainly did not process it (429, 503)", async () => {
    fake.answers = [json(503, "busy"), json(200, { polls: [{ key: "k" }] })];
    const before = fake.requests.length;
    await client().c.createPoll({ title: "t" });
    expect(fake.requests.length - before).toBe(2);
  });
});

describe("Loomio settings and poll references", () => {
  it("the bylaws pin the instance: LOOMIO_URL may repeat it, never name another; the key goes nowhere but the header", () => {
    const pinned = "https://loomio.example.coop";
    expect(loomioConfigFromEnv({ LOOMIO_API_KEY: "k", LOOMIO_GROUP_ID: "42" }, pinned)).toEqual({
      baseUrl: pinned,
      apiKey: "k",
      groupId: 42,
    });
    expect(loomioConfigFromEnv({ LOOMIO_URL: `${pinned}/`, LOOMIO_API_KEY: "k" }, pinned).baseUrl).toBe(pinned);
    expect(() => loomioConfigFromEnv({ LOOMIO_URL: "https://loomio.evil.example", LOOMIO_API_KEY: "k" }, pinned)).toThrow(
      /LOOMIO_URL is https:\/\/loomio\.evil\.example, but the bylaws name the co-op's Loomio instance https:\/\/loomio\.example\.coop/,
    );
    expect(() => loomioConfigFromEnv({ LOOMIO_API_KEY: "k" }, pinned, { pollOrigin: "https://loomio.evil.example" })).toThrow(
      /the poll is on https:\/\/loomio\.evil\.example, but the co-op's Loomio instance is https:\/\/loomio\.example\.coop/,
    );
    expect(() => loomioConfigFromEnv({ LOOMIO_API_KEY: "k" }, null)).toThrow(/names no Loomio instance \(loomio\.url\)/);
    expect(() => loomioConfigFromEnv({ LOOMIO_API_KEY: "k" }, "http://loomio.example.coop")).toThrow(/must use https/);
    expect(() => loomioConfigFromEnv({ LOOMIO_URL: "https://k@loomio.example.coop", LOOMIO_API_KEY: "k" }, pinned)).toThrow(
      /user name or password/,
    );
    expect(() => loomioConfigFromEnv({ LOOMIO_URL: "https://loomio.example.coop/?api_key=k", LOOMIO_API_KEY: "k" }, pinned)).toThrow(
      /query/,
    );
    expect(() => loomioConfigFromEnv({ LOOMIO_API_KEY: "k", LOOMIO_GROUP_ID: "x" }, pinned)).toThrow(/must be a number/);
    expect(() => loomioConfigFromEnv({}, pinned)).toThrow(/LOOMIO_API_KEY is not set/);
  });

  it("takes a key or an address", () => {
    expect(parsePollRef("AbC123xy")).toEqual({ key: "AbC123xy" });
    expect(parsePollRef("https://www.loomio.com/p/AbC123xy/approve-mastodon")).toEqual({
      key: "AbC123xy",
      origin: "https://www.loomio.com",
    });
    expect(() => parsePollRef("https://www.loomio.com/d/abc")).toThrow(/cannot find a poll key/);
  });

  it("refuses an address carrying a query or user info, without echoing it", () => {
    for (const address of [
      "https://www.loomio.com/p/AbC123xy?api_key=s3cret",
      "https://www.loomio.com/p/AbC123xy/title?",
      "https://www.loomio.com/p/AbC123xy?x=1#frag",
    ]) {
      const e = (() => {
        try {
          parsePollRef(address);
        } catch (err) {
          return err as Error & { exitCode?: number; hint?: string };
        }
        throw new Error(`accepted ${address}`);
      })();
      expect(e.message).toMatch(/the poll address must not contain a query/);
      expect(e.message).not.toContain("s3cret");
      expect(e.exitCode).toBe(2);
      expect(e.hint).toMatch(/pass the poll's key, or its plain address/);
    }
    expect(() => parsePollRef("https://bot:s3cret@www.loomio.com/p/AbC123xy")).toThrow(/must not contain a user name or password/);
    expect(() => parsePollRef("https://bot@www.loomio.com/p/AbC123xy")).toThrow(/must not contain a user name or password/);
    expect(parsePollRef("https://www.loomio.com/p/AbC123xy/title#comments")).toEqual({ key: "AbC123xy", origin: "https://www.loomio.com" });
  });
});
