/**
 * A second `pulumi up` must not replace the proxy. Every field of a container's `ports` forces
 * replacement, and the Docker provider stores what Docker reports, read back in its own order
 * (test/oracles/docker-port-readback.md). This models that read-back and the provider's diff from
 * their sources, and runs every published port list the program declares through it, for every
 * order Go's map iteration may produce.
 */
import { describe, expect, it } from "vitest";
import { type PublishedPort, publishedPorts } from "../../../components/proxy/proxy";
import { MAIL_PORTS } from "../../../components/mail/mail";
import { byName, bundledSpec, planSpec } from "../../helpers/program";

interface Port {
  readonly internal: number;
  readonly external: number;
  readonly protocol: string;
  readonly ip: string;
}

/** Docker's NetworkSettings.Ports: per "port/proto" key, IPv4 bindings before IPv6 (facts 7–9). */
function dockerReports(ports: readonly Port[]): Map<string, Array<{ hostIp: string; hostPort: string }>> {
  const family = (ip: string) => (ip.includes(":") ? 6 : 4);
  const out = new Map<string, Array<{ hostIp: string; hostPort: string }>>();
  for (const p of [...ports].sort((a, b) => family(a.ip) - family(b.ip))) {
    const key = `${p.internal}/${p.protocol}`;
    out.set(key, [...(out.get(key) ?? []), { hostIp: p.ip, hostPort: String(p.external) }]);
  }
  return out;
}

/** flattenContainerPorts, with the map's keys in one given iteration order (fact 5). */
function readBack(reported: Map<string, Array<{ hostIp: string; hostPort: string }>>, keyOrder: readonly string[]): Port[] {
  const byNumber = [...keyOrder].sort((a, b) => Number(a.split("/")[0]) - Number(b.split("/")[0]));
  return byNumber.flatMap((key) => {
    const [internal, protocol] = key.split("/");
    return (reported.get(key) ?? []).map((b) => ({ internal: Number(internal), external: Number(b.hostPort), protocol, ip: b.hostIp }));
  });
}

/** suppressIfPortsDidNotChangeForMigrationV0ToV1 (fact 6). */
function suppressed(old: readonly Port[], now: readonly Port[]): boolean {
  if (old.length !== now.length) return false;
  return old.every((o) => {
    for (const n of now) {
      if (n.internal !== o.internal) continue;
      if (n.protocol !== o.protocol) {
        if (now.some((x) => x.internal === o.internal && x.protocol === o.protocol)) continue;
        return false;
      }
      return n.external === o.external && n.ip === o.ip;
    }
    return false;
  });
}

function same(a: readonly Port[], b: readonly Port[]): boolean {
  return a.length === b.length && a.every((p, i) => JSON.stringify(p) === JSON.stringify(b[i]));
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** The orders of the state after create in which the next run would plan a replacement. */
function replacingOrders(declared: readonly Port[]): string[][] {
  const reported = dockerReports(declared);
  return permutations([...reported.keys()]).filter((order) => {
    const state = readBack(reported, order);
    return !same(state, declared) && !suppressed(state, declared);
  });
}

const tcp = (ports: readonly PublishedPort[]): Port[] => ports.map((p) => ({ ...p }));

describe("the model of the provider's read-back", () => {
  it("finds the replacement the proxy used to get: 80, 443/tcp and 443/udp published on 0.0.0.0, then on ::", () => {
    const before: Port[] = ["0.0.0.0", "::"].flatMap((ip) => [
      { internal: 80, external: 80, protocol: "tcp", ip },
      { internal: 443, external: 443, protocol: "tcp", ip },
      { internal: 443, external: 443, protocol: "udp", ip },
    ]);
    // Every order Go may read the three keys in (3! = 6) plans a replacement: on every run.
    expect(replacingOrders(before).length).toBe(6);
  });

  it("finds it for dual-stack ports in the read-back order too, as soon as 443/udp shares 443's number", () => {
    const withHttp3: Port[] = [
      ...tcp(publishedPorts("hetzner", 80, 443)),
      { internal: 443, external: 443, protocol: "udp", ip: "0.0.0.0" },
      { internal: 443, external: 443, protocol: "udp", ip: "::" },
    ];
    expect(replacingOrders(withHttp3).length).toBeGreaterThan(0);
  });
});

describe("the ports the program publishes", async () => {
  const { run } = await planSpec(bundledSpec("example"), "example");
  const local = await planSpec(bundledSpec("local"), "local");

  it("read back unchanged on a server, in every order: the second run replaces nothing", () => {
    const declared = byName(run.resources, "proxy-caddy").inputs.ports as Port[];
    expect(declared.some((p) => p.ip === "::")).toBe(true);
    const reported = dockerReports(declared);
    for (const order of permutations([...reported.keys()])) expect(readBack(reported, order)).toEqual(declared);
  });

  it("read back without a planned replacement locally, and for the mail server", () => {
    for (const declared of [
      byName(local.run.resources, "proxy-caddy").inputs.ports as Port[],
      byName(run.resources, "mail-server").inputs.ports as Port[],
    ]) {
      expect(declared.length).toBeGreaterThan(0);
      expect(replacingOrders(declared)).toEqual([]);
    }
    expect((byName(run.resources, "mail-server").inputs.ports as Port[]).map((p) => p.internal)).toEqual([...MAIL_PORTS]);
  });

  it("stay so for any host ports an admin picks locally", () => {
    for (const [http, https] of [
      [80, 443],
      [8080, 8443],
      [8443, 8080],
      [443, 80],
    ])
      expect(replacingOrders(tcp(publishedPorts("local", http, https)))).toEqual([]);
  });
});
