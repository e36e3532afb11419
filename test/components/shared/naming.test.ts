/**
 * Provider-side names are DNS labels (Docker's embedded DNS resolves container names, Hetzner
 * wants host names): at most 63 characters, for every co-op and stack name the spec allows.
 */
import { describe, expect, it } from "vitest";
import { DNS_LABEL_MAX, PREFIX_MAX, resourcePrefix } from "../../../components/shared/naming";
import { STACK_NAME_RE } from "../../../stacks/load";
import { COOP_NAME_MAX, StackSpecSchema } from "../../../stacks/schema";
import { bundledSpec, planSpec } from "../../helpers/program";

const LONGEST_COOP = "Genossenschaft für gemeinschaftliche digitale Infrastruktur und solidarische Kommunikation Süd-West!";
const LONGEST_STACK = `production-${"x".repeat(89)}`;

describe("the name prefix", () => {
  it("is the co-op and stack name as before whenever that fits", () => {
    expect(resourcePrefix("Example Co-op", "example")).toBe("example-co-op-example");
    expect(resourcePrefix("Example Co-op", "split-social")).toBe("example-co-op-split-social");
    expect(resourcePrefix("River", "river")).toBe("river");
  });

  it("is cut to leave room for every part, and keeps long names of different stacks apart", () => {
    const a = resourcePrefix(LONGEST_COOP, "production-a");
    const b = resourcePrefix(LONGEST_COOP, "production-b");
    expect(a.length).toBeLessThanOrEqual(PREFIX_MAX);
    expect(a).toMatch(/^genossenschaft-fur-gemeinschaftliche-[a-z0-9-]*-[0-9a-f]{6}$|^genossenschaft-fur-[a-z0-9-]*[0-9a-f]{6}$/);
    expect(a).not.toBe(b);
    expect(resourcePrefix(LONGEST_COOP, "production-a")).toBe(a);
  });
});

describe("every name the program declares, at the longest co-op and stack names the spec allows", async () => {
  expect(LONGEST_COOP.length).toBe(COOP_NAME_MAX);
  expect(STACK_NAME_RE.test(LONGEST_STACK) && LONGEST_STACK.length === 100).toBe(true);
  const base = bundledSpec("example");
  const spec = StackSpecSchema.parse({
    ...base,
    coop: { name: LONGEST_COOP },
    services: { ...base.services, mastodon: { ...base.services.mastodon, version: "v999.999.999" } },
  });
  const { run } = await planSpec(spec, LONGEST_STACK);
  const named = run.resources
    // DNS zones and records are named by the co-op's domain, not by the prefix.
    .filter((r) => /^(docker|hcloud):/.test(r.type) && !/^hcloud:index\/zone/.test(r.type) && typeof r.inputs.name === "string")
    .map((r) => ({ type: r.type, name: String(r.inputs.name) }));

  it("refuses a longer co-op name with a message", () => {
    const r = StackSpecSchema.safeParse({ ...base, coop: { name: `${LONGEST_COOP}x` } });
    expect(r.success).toBe(false);
  });

  it("covers the containers, networks and volumes on Docker and the server, volume, addresses, firewall and Box at Hetzner", () => {
    const types = new Set(named.map((n) => n.type));
    for (const t of ["docker:index/container:Container", "docker:index/network:Network", "docker:index/volume:Volume"])
      expect(types).toContain(t);
    for (const t of [
      "hcloud:index/server:Server",
      "hcloud:index/volume:Volume",
      "hcloud:index/primaryIp:PrimaryIp",
      "hcloud:index/firewall:Firewall",
    ])
      expect(types).toContain(t);
  });

  it("keeps each within one DNS label of at most 63 characters (dots only in a release tag)", () => {
    for (const { name } of named) {
      expect(name.length, name).toBeLessThanOrEqual(DNS_LABEL_MAX);
      expect(name, name).toMatch(/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/);
    }
    const longest = named.reduce((a, b) => (b.name.length > a.name.length ? b : a));
    expect(longest.name).toMatch(/-mastodon-migrate-v999\.999\.999$/);
  });

  it("gives every container its own name", () => {
    const containers = named.filter((n) => n.type === "docker:index/container:Container").map((n) => n.name);
    expect(new Set(containers).size).toBe(containers.length);
  });
});
