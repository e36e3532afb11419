import { describe, expect, it } from "vitest";
import {
  findMajorLines,
  majorLine,
  majorOf,
  majorSteps,
  nextcloudSkips,
  requiredMajorLines,
  unnamedMajors,
} from "../../../rulebook/changes/majors";

const change = (urn: string, old: string, now: string) => ({ urn, op: "update" as const, paths: [{ path: "image", old, new: now }] });

describe("major upgrades in a decision's changes", () => {
  it("reads the major version of the co-op's images", () => {
    expect(majorOf("v4.6.3")).toBe(4);
    expect(majorOf("18-alpine")).toBe(18);
    expect(majorOf("34.0.2-apache")).toBe(34);
    expect(majorOf("latest")).toBeUndefined();
  });

  it("finds Mastodon, Postgres and Nextcloud major steps, and nothing for minor ones", () => {
    const steps = majorSteps([
      change("u:web", "ghcr.io/mastodon/mastodon:v4.6.3", "ghcr.io/mastodon/mastodon:v5.0.0"),
      change("u:streaming", "ghcr.io/mastodon/mastodon-streaming:v4.6.3", "ghcr.io/mastodon/mastodon-streaming:v5.0.0"),
      change("u:pg", "postgres:17-alpine", "postgres:18-alpine"),
      change("u:nc", "nextcloud:33.0.1-apache", "nextcloud:34.0.2-apache"),
      change("u:caddy", "caddy:2.10", "caddy:3.0"),
      change("u:minor", "ghcr.io/mastodon/mastodon:v4.6.3", "ghcr.io/mastodon/mastodon:v4.7.0"),
    ]);
    expect(steps.map((s) => `${s.family} ${s.from}->${s.to}`)).toEqual([
      "mastodon 4->5",
      "mastodon 4->5",
      "postgres 17->18",
      "nextcloud 33->34",
    ]);
    expect(requiredMajorLines(steps)).toEqual(["coop-major: mastodon 4 -> 5", "coop-major: postgres 17 -> 18"]);
  });

  it("requires every Mastodon and Postgres step to be named, Nextcloud's need not be", () => {
    const steps = majorSteps([
      change("u:web", "ghcr.io/mastodon/mastodon:v4.6.3", "ghcr.io/mastodon/mastodon:v5.0.0"),
      change("u:pg", "postgres:17", "postgres:18"),
      change("u:nc", "nextcloud:33.0.0", "nextcloud:34.0.0"),
    ]);
    expect(unnamedMajors(steps, []).map(majorLine)).toEqual(["coop-major: mastodon 4 -> 5", "coop-major: postgres 17 -> 18"]);
    expect(unnamedMajors(steps, findMajorLines("We upgrade.\ncoop-major: mastodon 4 → 5\ncoop-major: postgres 17 -> 18"))).toEqual([]);
  });

  it("flags a Nextcloud step that skips a major version or goes back", () => {
    expect(nextcloudSkips(majorSteps([change("u", "nextcloud:32.0.0-apache", "nextcloud:34.0.2-apache")]))).toHaveLength(1);
    expect(nextcloudSkips(majorSteps([change("u", "nextcloud:34.0.0-apache", "nextcloud:33.0.9-apache")]))).toHaveLength(1);
    expect(nextcloudSkips(majorSteps([change("u", "nextcloud:33.0.9-apache", "nextcloud:34.0.2-apache")]))).toEqual([]);
  });
});
