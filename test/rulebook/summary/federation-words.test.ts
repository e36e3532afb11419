/**
 * What members read about a federation change: the server, what happens to people here and
 * there, the public reason; a lowered block flagged; each block on its own line even when
 * Mastodon itself is set up in the same change.
 */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../kernel/json";
import type { Lock } from "../../../plan/lock";
import { stackSummary } from "../../../rulebook/summary/stack-summary";

const TYPE = "pulumi-nodejs:dynamic:Resource";
const urnOf = (name: string) => `urn:pulumi:prod::coop-infra::coop:services:Mastodon$coop:mastodon:Federation$${TYPE}::${name}`;

function resource(kind: "block" | "allow", domain: string, over: JsonObject = {}): Lock["resources"][number] {
  const name = `mastodon-federation-${kind}-${domain}`;
  const inputs: JsonObject =
    kind === "allow"
      ? { kind, url: "https://social.river.coop", token: "<secret>", domain }
      : {
          kind,
          url: "https://social.river.coop",
          token: "<secret>",
          domain,
          severity: "suspend",
          rejectMedia: true,
          rejectReports: true,
          publicComment: "Spam-only server",
          privateComment: "Loomio thread 12",
          obfuscate: false,
          ...over,
        };
  return { urn: urnOf(name), type: TYPE, name, inputs };
}

const web = {
  urn: "urn:pulumi:prod::coop-infra::coop:services:Mastodon$docker:index/container:Container::mastodon-web",
  type: "docker:index/container:Container",
  name: "mastodon-web",
  inputs: { image: "ghcr.io/mastodon/mastodon:v4.6.3" },
};

function lock(resources: Lock["resources"]): Lock {
  return { version: 1, project: "coop-infra", stack: "prod", digest: "x", resources } as Lock;
}

const summary = (before: Lock | null, after: Lock) =>
  stackSummary({ stack: "prod", before, after, emergencies: [] })
    .split("\n")
    .filter((l) => l.startsWith("- "));

describe("federation in plain words", () => {
  it("a suspension says what members lose and gain, with the public reason", () => {
    expect(summary(lock([web]), lock([web, resource("block", "bad.example")]))).toEqual([
      "- Suspend bad.example (public reason: “Spam-only server”): people here stop seeing its posts and it stops receiving ours; its accounts' posts, follows and media here are removed.",
    ]);
  });

  it("a limit with its reject options, and a restriction without a public reason", () => {
    const after = lock([
      web,
      resource("block", "loud.example", { severity: "silence", rejectReports: false, publicComment: "Harassment", obfuscate: true }),
      resource("block", "big.example", { severity: "noop", rejectMedia: true, rejectReports: false, publicComment: "" }),
    ]);
    expect(summary(lock([web]), after)).toEqual([
      "- Restrict big.example (no public reason): it stays federated; its media files are not stored here.",
      "- Limit loud.example (public reason: “Harassment”): its posts reach people here only if they follow its accounts, and stay out of the public timelines; its media files are not stored here; the public list shows its name partly hidden.",
    ]);
  });

  it("a lowered severity is flagged; a lifted suspension and an allow are said as such", () => {
    const before = lock([web, resource("block", "bad.example"), resource("block", "old.example")]);
    const after = lock([web, resource("block", "bad.example", { severity: "silence" }), resource("allow", "friends.example")]);
    expect(summary(before, after)).toEqual([
      "- Lift the suspension of old.example (it was suspended): people here can follow it again and it receives our posts.",
      "- The block of bad.example changes: ⚠ lowered from suspended to limited: its posts reach people here only if they follow its accounts, and stay out of the public timelines.",
      "- Allow friends.example: in limited-federation mode, Mastodon federates with it.",
    ]);
  });

  it("each block keeps its own line when Mastodon is set up in the same change", () => {
    const lines = summary(null, lock([web, { ...web, urn: `${web.urn}2`, name: "mastodon-db" }, resource("block", "bad.example")]));
    expect(lines).toContain("- Mastodon is set up (2 new resources).");
    expect(lines.some((l) => l.startsWith("- Suspend bad.example"))).toBe(true);
  });
});
