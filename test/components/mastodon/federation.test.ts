/**
 * The federation provider against a loopback stand-in of Mastodon's admin API: what `pulumi up`
 * and `pulumi preview --refresh` do to the co-op's block list, including the answers a real
 * Mastodon gives when a moderator acted by hand, when it throttles, and when it pages. Then the
 * provider as Pulumi runs it: serialized to text and loaded with nothing of the program around it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listAll, nextLink, request, retryWaitMs } from "../../../components/mastodon/federation/admin-api";
import { Federation, FEDERATION_TYPE } from "../../../components/mastodon/federation/federation";
import { BLOCKS_PATH, type FederationInputs, federationDiff, federationProvider } from "../../../components/mastodon/federation/provider";
import { areaOf } from "../../../rulebook/changes/areas";
import { isWireSecret, runComponents } from "../../helpers/components";
import { type StandIn, startMastodonAdmin } from "../../helpers/mastodon-admin-standin";

let api: StandIn;
beforeEach(async () => {
  api = await startMastodonAdmin();
});
afterEach(async () => {
  await api.close();
});

const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] ?? null });

function block(
  domain: string,
  over: Partial<Extract<FederationInputs, { kind: "block" }>> = {},
): Extract<FederationInputs, { kind: "block" }> {
  return {
    kind: "block",
    url: api.url,
    token: api.token,
    domain,
    severity: "suspend",
    rejectMedia: true,
    rejectReports: true,
    publicComment: "Spam-only server, no moderation",
    privateComment: "Loomio: moderation group, 2026-03",
    obfuscate: false,
    ...over,
  };
}

describe("retry and pagination decisions (pure)", () => {
  it("waits as Retry-After says, in seconds or as an HTTP date, and never past the cap", () => {
    expect(retryWaitMs(429, headers({ "retry-after": "3" }), 1)).toBe(3000);
    const now = Date.parse("2026-03-01T10:00:00Z");
    expect(retryWaitMs(429, headers({ "retry-after": "Sun, 01 Mar 2026 10:00:07 GMT" }), 1, { now })).toBe(7000);
    // Mastodon's own header when there is no Retry-After: the time the limit resets.
    expect(retryWaitMs(429, headers({ "x-ratelimit-reset": "2026-03-01T10:00:02.000Z" }), 1, { now })).toBe(2000);
    // Mastodon's API limit is 300 calls per token in 5 minutes: a wait to the window's end is sat out…
    expect(retryWaitMs(429, headers({ "x-ratelimit-reset": "2026-03-01T10:04:59.000Z" }), 1, { now })).toBe(299_000);
    // …a wait of an hour is a failure to report.
    expect(retryWaitMs(429, headers({ "retry-after": "3600" }), 1)).toBeUndefined();
  });

  it("gives up after the bounded number of retries, and never retries what a retry cannot fix", () => {
    expect(retryWaitMs(429, headers({ "retry-after": "1" }), 4)).toBe(1000);
    expect(retryWaitMs(429, headers({ "retry-after": "1" }), 5)).toBeUndefined();
    for (const status of [400, 401, 403, 404, 422, 500]) expect(retryWaitMs(status, headers({ "retry-after": "1" }), 1)).toBeUndefined();
    expect(retryWaitMs(503, headers({}), 2)).toBe(2000);
  });

  it("reads the next page from a Link header with next and prev in either order", () => {
    const a = '<https://s.example/api/v1/admin/domain_blocks?max_id=7>; rel="next", <https://s.example/x?min_id=9>; rel="prev"';
    const b = '<https://s.example/x?min_id=9>; rel="prev", <https://s.example/y?max_id=3>; rel="next"';
    expect(nextLink(a)).toBe("https://s.example/api/v1/admin/domain_blocks?max_id=7");
    expect(nextLink(b)).toBe("https://s.example/y?max_id=3");
    expect(nextLink('<https://s.example/x?min_id=9>; rel="prev"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });

  it("a changed domain or Mastodon replaces the object; a changed field or token updates it", () => {
    const old = block("bad.example") as unknown as Record<string, unknown>;
    expect(federationDiff(old, { ...old })).toEqual({ changes: false, replaces: [] });
    expect(federationDiff(old, { ...old, severity: "silence" })).toEqual({ changes: true, replaces: [] });
    expect(federationDiff(old, { ...old, token: "rotated" })).toEqual({ changes: true, replaces: [] });
    expect(federationDiff(old, { ...old, domain: "worse.example" })).toEqual({ changes: true, replaces: ["domain"] });
  });
});

describe("the provider against Mastodon's admin API", () => {
  it("creates a block with every decided field, and lifts it", async () => {
    const { id } = await federationProvider.create(block("bad.example"));
    const held = api.blocks.get(id)!;
    expect(held).toMatchObject({
      domain: "bad.example",
      severity: "suspend",
      reject_media: true,
      reject_reports: true,
      public_comment: "Spam-only server, no moderation",
      private_comment: "Loomio: moderation group, 2026-03",
      obfuscate: false,
    });
    await federationProvider.delete(id, block("bad.example"));
    expect(api.blocks.size).toBe(0);
    expect(api.log.every((r) => r.path === "/health" || r.authorized)).toBe(true);
  });

  it("updates a block in place: a lowered severity reaches Mastodon", async () => {
    const { id } = await federationProvider.create(block("bad.example"));
    await federationProvider.update(id, block("bad.example"), block("bad.example", { severity: "silence", rejectReports: false }));
    expect(api.blocks.get(id)).toMatchObject({ severity: "silence", reject_reports: false, reject_media: true });
  });

  it("a new token alone changes nothing at Mastodon", async () => {
    const { id } = await federationProvider.create(block("bad.example"));
    const before = api.log.length;
    const out = await federationProvider.update(id, block("bad.example"), block("bad.example", { token: "rotated" }));
    expect(api.log.length).toBe(before);
    expect(out.outs.token).toBe("rotated");
  });

  it("422 with existing_domain_block for the same domain (blocked by hand before): adopts it and applies the decision", async () => {
    const byHand = api.blockByHand("bad.example", { severity: "silence", public_comment: "typed in the admin screen" });
    const { id } = await federationProvider.create(block("bad.example"));
    expect(id).toBe(byHand.id);
    expect(api.blocks.size).toBe(1);
    expect(api.blocks.get(id)).toMatchObject({ severity: "suspend", public_comment: "Spam-only server, no moderation" });
    expect(api.log.map((r) => `${r.method} ${r.status}`)).toEqual(expect.arrayContaining(["POST 422", "PUT 200"]));
  });

  it("422 for a parent domain's block: refused, and the parent's block is left as it is", async () => {
    const parent = api.blockByHand("bad.example", { severity: "silence" });
    await expect(federationProvider.create(block("cdn.bad.example"))).rejects.toThrow(
      /refuses a block of cdn\.bad\.example: the block of bad\.example already covers it/,
    );
    expect(api.blocks.get(parent.id)).toMatchObject({ severity: "silence" });
    expect(api.log.some((r) => r.method === "PUT")).toBe(false);
  });

  it("404 on delete of a block already lifted by hand is what was asked", async () => {
    const { id } = await federationProvider.create(block("bad.example"));
    api.liftByHand("bad.example");
    await expect(federationProvider.delete(id, block("bad.example"))).resolves.toBeUndefined();
    expect(api.log.at(-1)).toMatchObject({ method: "DELETE", status: 404 });
  });

  it("refresh finds a block changed by hand as drift, and one lifted by hand as gone", async () => {
    const inputs = block("bad.example");
    const { id } = await federationProvider.create(inputs);
    api.editByHand("bad.example", { severity: "noop", reject_media: false });
    const read = await federationProvider.read(id, inputs);
    expect(read).toMatchObject({ id, props: { severity: "noop", rejectMedia: false, domain: "bad.example" } });
    // The next preview compares what Mastodon holds with what was decided.
    expect(federationDiff(read.props, inputs as unknown as Record<string, unknown>)).toEqual({ changes: true, replaces: [] });
    api.liftByHand("bad.example");
    expect(await federationProvider.read(id, inputs)).toEqual({ id: "", props: {} });
  });

  it("an update of a block lifted by hand says to refresh instead of pretending", async () => {
    const { id } = await federationProvider.create(block("bad.example"));
    api.liftByHand("bad.example");
    await expect(federationProvider.update(id, block("bad.example"), block("bad.example", { severity: "silence" }))).rejects.toThrow(
      /lifted at Mastodon by hand; run pulumi up --refresh/,
    );
  });

  it("allows: created once (an existing allow is returned, not duplicated), read, lifted", async () => {
    const allow: FederationInputs = { kind: "allow", url: api.url, token: api.token, domain: "friends.example" };
    const a = await federationProvider.create(allow);
    const b = await federationProvider.create(allow);
    expect(b.id).toBe(a.id);
    expect(api.allows.size).toBe(1);
    expect((await federationProvider.read(a.id, allow)).props.domain).toBe("friends.example");
    await federationProvider.delete(a.id, allow);
    expect(api.allows.size).toBe(0);
  });

  it("429 with Retry-After: waits and retries, then succeeds", async () => {
    api.throttle(1, "1");
    const started = Date.now();
    const { id } = await federationProvider.create(block("bad.example"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(api.blocks.get(id)?.domain).toBe("bad.example");
    expect(api.log.filter((r) => r.status === 429)).toHaveLength(1);
  });

  it("429 asking for longer than the bound: fails with Mastodon's status instead of waiting", async () => {
    api.throttle(1, "3600");
    await expect(federationProvider.create(block("bad.example"))).rejects.toThrow(/answered POST \/api\/v1\/admin\/domain_blocks with 429/);
    expect(api.blocks.size).toBe(0);
  });

  it("a wrong token: says what to do, never prints the token", async () => {
    const err = await federationProvider.create({ ...block("bad.example"), token: "s3cr3t-wrong-token" }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/with 401.*pulumi config set --secret coop-infra:mastodonAdminToken/);
    expect((err as Error).message).not.toContain("s3cr3t-wrong-token");
  });

  it("waits until Mastodon answers its health check before the first call", async () => {
    api.unhealthyFor = 2;
    const { id } = await federationProvider.create(block("bad.example"));
    expect(api.blocks.get(id)).toBeDefined();
    expect(api.log.filter((r) => r.path === "/health").map((r) => r.status)).toEqual([503, 503, 200]);
  });
});

describe("lists follow the Link header", () => {
  it("reads every block over several pages", async () => {
    for (const d of ["a.example", "b.example", "c.example", "d.example", "e.example"]) api.blockByHand(d);
    api.pageSize = 2;
    const all = (await listAll({ url: api.url, token: api.token }, BLOCKS_PATH)) as Array<{ domain: string }>;
    expect(all.map((b) => b.domain).sort()).toEqual(["a.example", "b.example", "c.example", "d.example", "e.example"]);
    expect(api.log.filter((r) => r.method === "GET").length).toBe(3);
  });

  it("never follows a Link to another origin with the token", async () => {
    for (const d of ["a.example", "b.example", "c.example"]) api.blockByHand(d);
    api.pageSize = 2;
    api.linkOrigin = "http://127.0.0.2:9";
    await expect(listAll({ url: api.url, token: api.token }, BLOCKS_PATH)).rejects.toThrow(
      /refusing to send the admin token to http:\/\/127\.0\.0\.2:9/,
    );
    await expect(request({ url: api.url, token: api.token }, "GET", "http://127.0.0.2:9/x")).rejects.toThrow(/refusing/);
  });
});

describe("the provider as Pulumi runs it (serialized)", () => {
  it("serializes without anything of the program and works from the text alone", async () => {
    const sf = await pulumi.runtime.serializeFunction(() => federationProvider, { allowSecrets: true });
    expect(sf.text).not.toMatch(/require\("\.\.?\//); // no relative require: the text runs from anywhere
    expect(sf.text).not.toContain(api.token);
    const dir = mkdtempSync(join(tmpdir(), "coop-dyn-"));
    try {
      const file = join(dir, "provider.js");
      writeFileSync(file, sf.text);
      // A module outside the repository: nothing of the program resolves from there.
      const loaded = require(file) as { handler: () => typeof federationProvider };
      const provider = loaded.handler();
      const { id } = await provider.create(block("bad.example"));
      expect(api.blocks.get(id)?.severity).toBe("suspend");
      await provider.delete(id, block("bad.example"));
      expect(api.blocks.size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the component under Pulumi's mocks", () => {
  it("one dynamic resource per block and allow under coop:mastodon:Federation, the token secret, in the federation area", async () => {
    const run = await runComponents(
      () => {
        new Federation("mastodon-federation", {
          url: "https://social.example.coop",
          token: pulumi.secret("tok-placeholder"),
          domainBlocks: [
            {
              domain: "bad.example",
              severity: "suspend",
              rejectMedia: true,
              rejectReports: true,
              publicComment: "spam",
              privateComment: "",
              obfuscate: false,
            },
          ],
          domainAllows: ["friends.example"],
        });
      },
      { preview: true },
    );
    expect(run.failures).toEqual([]);
    const objects = run.registrations.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
    expect(objects.map((r) => r.name).sort()).toEqual([
      "mastodon-federation-allow-friends.example",
      "mastodon-federation-block-bad.example",
    ]);
    for (const o of objects) {
      expect(o.urn).toContain(FEDERATION_TYPE);
      expect(isWireSecret(o.inputs.token)).toBe(true);
    }
    const b = objects.find((o) => o.name.includes("block"))!;
    expect(b.inputs).toMatchObject({ kind: "block", domain: "bad.example", severity: "suspend", url: "https://social.example.coop" });
    const urn = (name: string) =>
      `urn:pulumi:prod::coop-infra::coop:services:Mastodon$${FEDERATION_TYPE}$pulumi-nodejs:dynamic:Resource::${name}`;
    expect(areaOf([{ urn: urn("mastodon-federation-block-bad.example"), op: "create" }])).toBe("federation");
  });
});
