import { describe, expect, it } from "vitest";
import { estimateMonthlyCost, formatDelta } from "../../plan/cost";
import type { GovernedResource } from "../../plan/view";
import { PriceTableSchema, priceTableAgeDays, readPriceTable } from "../../plan/prices";
import { SERVER_TYPE_NAMES } from "../../stacks/catalog";
import { REPO_ROOT } from "../helpers/repo";

const table = PriceTableSchema.parse({
  asOf: "2026-08-02",
  source: "test",
  serverTypes: { cx33: 8.49, cx43: 15.99 },
  primaryIp: { ipv4: 0.5 },
  volumePerGb: 0.0572,
  storageBoxes: { bx11: 3.2 },
});

function r(type: string, name: string, inputs: GovernedResource["inputs"]): GovernedResource {
  return { urn: `urn:pulumi:s::p::coop:host:Host$${type}::${name}`, type, name, inputs };
}

describe("monthly cost from the price table", () => {
  const resources = [
    r("hcloud:index/server:Server", "host-server", { serverType: "cx33", location: "fsn1" }),
    r("hcloud:index/primaryIp:PrimaryIp", "host-ipv4", { type: "ipv4" }),
    r("hcloud:index/primaryIp:PrimaryIp", "host-ipv6", { type: "ipv6" }),
    r("hcloud:index/volume:Volume", "host-volume", { size: 50 }),
    r("hcloud:index/storageBox:StorageBox", "backup-box", { storageBoxType: "bx11" }),
    r("hcloud:index/sshKey:SshKey", "host-key-ada", { name: "k" }),
    r("hcloud:index/firewall:Firewall", "host-firewall", {}),
    r("docker:index/container:Container", "mastodon-web", { image: "x:1" }),
  ];

  it("prices the server, IPs, volume and Storage Box; the rest is free", () => {
    const e = estimateMonthlyCost(resources, table);
    expect(e.lines.map((l) => [l.name, l.monthly])).toEqual([
      ["host-server", 8.49],
      ["host-ipv4", 0.5],
      ["host-ipv6", 0],
      ["host-volume", 2.86],
      ["backup-box", 3.2],
    ]);
    expect(e.total).toBe(15.05);
    expect(e.unpriced).toEqual([]);
  });

  it("before → after, e.g. a bigger server", () => {
    const before = estimateMonthlyCost(resources, table).total;
    const after = estimateMonthlyCost(
      [r("hcloud:index/server:Server", "host-server", { serverType: "cx43", location: "fsn1", backups: true }), ...resources.slice(1)],
      table,
    ).total;
    expect(after).toBe(cents(15.99 * 1.2 + 0.5 + 2.86 + 3.2));
    expect(formatDelta(before, after)).toBe(`+€${(after - before).toFixed(2)}/month`);
  });

  it("lists what it cannot price instead of counting it as free", () => {
    const e = estimateMonthlyCost(
      [
        r("hcloud:index/server:Server", "s1", { serverType: "cax41", location: "fsn1" }),
        r("hcloud:index/server:Server", "s2", { serverType: "cx33", location: "ash" }),
        r("hcloud:index/loadBalancer:LoadBalancer", "lb", {}),
        r("hcloud:index/server:Server", "s3", { serverType: "<computed>" }),
      ],
      table,
    );
    expect(e.unpriced.map((l) => l.name)).toEqual(["s1", "s2", "lb", "s3"]);
    expect(e.total).toBe(0);
  });

  it("the bundled table is dated, parses, and prices every server type coop offers except cax41", () => {
    const t = readPriceTable(REPO_ROOT);
    expect(t.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(t.source.length).toBeGreaterThan(20);
    expect(SERVER_TYPE_NAMES.filter((s) => t.serverTypes[s] === undefined)).toEqual(["cax41"]);
    expect(priceTableAgeDays(t, new Date(`${t.asOf}T12:00:00Z`))).toBe(0);
  });
});

function cents(n: number): number {
  return Math.round(n * 100) / 100;
}
