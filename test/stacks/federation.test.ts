/**
 * The federation part of a spec: domains exactly as Mastodon stores them (its DomainValidator
 * and DomainNormalizable, test/oracles/mastodon-admin-domain-blocks.md), no duplicates, no block
 * under another block, no block of the co-op itself, comments members can read.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { COMMENT_MAX, FederationSchema, federationDomainProblem } from "../../stacks/federation";
import { StackSpecSchema, type StackSpecInput } from "../../stacks/schema";
import { REPO_ROOT } from "../helpers/repo";

const issues = (federation: unknown) => {
  const r = FederationSchema.safeParse(federation);
  return r.success
    ? []
    : r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, hint: (i as { params?: { hint?: string } }).params?.hint }));
};

describe("a blocked server's domain", () => {
  it("as Mastodon stores it is accepted", () => {
    for (const d of ["bad.example", "xn--bcher-kva.example", "a-b.c.example", "1.example"])
      expect(federationDomainProblem(d)).toBeUndefined();
  });

  it("an address, upper case or an internationalised name is refused with the stored form as the fix", () => {
    expect(federationDomainProblem("https://bad.example/about")).toEqual({
      message: "'https://bad.example/about' is an address, not a domain",
      fix: "bad.example",
    });
    expect(federationDomainProblem("@spam@bad.example")).toMatchObject({ fix: "bad.example" });
    expect(federationDomainProblem("Bad.Example")).toEqual({
      message: "Mastodon stores 'Bad.Example' as 'bad.example'",
      fix: "bad.example",
    });
    // A homograph would hide which server members vote on; punycode shows it.
    expect(federationDomainProblem("bücher.example")).toEqual({
      message: "'bücher.example' is an internationalised name; Mastodon stores and shows it as 'xn--bcher-kva.example'",
      fix: "xn--bcher-kva.example",
    });
    expect(federationDomainProblem("bad.example.")).toMatchObject({ fix: "bad.example" });
  });

  it("what is no domain at all is refused without a made-up fix", () => {
    for (const d of ["", "bad_host.example", "localhost", `${"a".repeat(64)}.example`, "a..example"]) {
      const p = federationDomainProblem(d);
      expect(p, d).toBeDefined();
      expect(p?.fix, d).toBeUndefined();
    }
  });
});

describe("the block list", () => {
  it("defaults each block as Mastodon does (silence, nothing rejected, no comments)", () => {
    expect(FederationSchema.parse({ domainBlocks: [{ domain: "bad.example" }] }).domainBlocks[0]).toEqual({
      domain: "bad.example",
      severity: "silence",
      rejectMedia: false,
      rejectReports: false,
      publicComment: "",
      privateComment: "",
      obfuscate: false,
    });
  });

  it("refuses a domain twice, a block under a blocked domain, and a server both allowed and blocked", () => {
    expect(
      issues({
        domainBlocks: [{ domain: "bad.example" }, { domain: "bad.example", severity: "suspend" }, { domain: "cdn.bad.example" }],
        domainAllows: ["friends.example", "friends.example", "bad.example"],
      }),
    ).toEqual([
      {
        path: "domainBlocks.1.domain",
        message: "bad.example is already blocked by entry 1",
        hint: "keep one entry per domain: merge the two",
      },
      {
        path: "domainBlocks.2.domain",
        message:
          "cdn.bad.example is already covered by the block of bad.example: Mastodon applies a block to every subdomain, and refuses a second one under it",
        hint: "remove this entry, or change the block of bad.example",
      },
      { path: "domainAllows.1", message: "friends.example is listed twice", hint: "remove one of them" },
      {
        path: "domainAllows.2",
        message: "bad.example is both allowed and blocked",
        hint: "decide one: remove it from domainAllows or from domainBlocks",
      },
    ]);
  });

  it("keeps comments to one readable line", () => {
    expect(issues({ domainBlocks: [{ domain: "bad.example", publicComment: "x".repeat(COMMENT_MAX) }] })).toEqual([]);
    expect(issues({ domainBlocks: [{ domain: "bad.example", publicComment: "x".repeat(COMMENT_MAX + 1) }] })[0]).toMatchObject({
      path: "domainBlocks.0.publicComment",
    });
    expect(issues({ domainBlocks: [{ domain: "bad.example", privateComment: "two\nlines" }] })[0]).toMatchObject({
      path: "domainBlocks.0.privateComment",
      message: "one line of text, without line breaks or control characters",
    });
  });

  it("an unknown severity or field is refused", () => {
    expect(issues({ domainBlocks: [{ domain: "bad.example", severity: "block" }] })[0]).toMatchObject({ path: "domainBlocks.0.severity" });
    expect(issues({ domainBlocks: [{ domain: "bad.example", reason: "x" }] })[0]?.path).toBe("domainBlocks.0");
  });
});

describe("in a stack spec", () => {
  const spec = (domainBlocks: unknown[]): StackSpecInput =>
    ({
      coop: { name: "River" },
      domain: "river.coop",
      host: { target: "local" },
      services: {
        mastodon: { federation: { domainBlocks } },
        nextcloud: { enabled: false },
        mail: { enabled: false, fromStack: "o/p/mail" },
      },
      dns: { provider: "manual" },
      // A local stack has neither backups nor alerts (stacks/schema.ts says why).
      backups: { enabled: false },
      alerts: { enabled: false },
    }) as StackSpecInput;

  it("a co-op never blocks its own domain, nor a name under it", () => {
    for (const d of ["river.coop", "social.river.coop"]) {
      const r = StackSpecSchema.safeParse(spec([{ domain: d }]));
      const own = r.success ? [] : r.error.issues.filter((i) => i.path.join(".") === "services.mastodon.federation.domainBlocks.0.domain");
      expect(own, d).toHaveLength(1);
    }
    expect(StackSpecSchema.safeParse(spec([{ domain: "bad.example" }])).success).toBe(true);
  });

  it("the example's commented blocks are a valid block list once uncommented", () => {
    const text = readFileSync(join(REPO_ROOT, "stacks", "example.yaml"), "utf8");
    const lines = text.split("\n");
    const start = lines.indexOf("    # federation:");
    expect(start).toBeGreaterThan(0);
    const block: string[] = [];
    for (let i = start; i < lines.length && lines[i].startsWith("    # "); i++) block.push(lines[i].replace(/^ {4}# /, ""));
    const parsed = FederationSchema.parse((parse(block.join("\n")) as { federation: unknown }).federation);
    expect(parsed.domainBlocks.map((b) => `${b.domain}:${b.severity}`)).toEqual(["spam-farm.example:suspend", "loud.example:silence"]);
  });
});
