/**
 * Dns: the co-op's names. With provider "hetzner", a Hetzner DNS zone (when this stack owns it)
 * and one record set per name and type; with "manual", nothing in a zone (`coop dns` prints the
 * same records for another provider). Either way on Hetzner, reverse DNS of the host's fixed
 * addresses, which is set at Hetzner whoever hosts the zone.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../stacks/schema";
import { dnsPlanFor, reverseDnsName } from "./plan";
import { dnsRecords, hostIpv6, type RecordSet } from "./records";
import type { Host } from "../host/host";

export interface ReverseDns {
  /** The name both addresses point back to, e.g. mail.example.coop. */
  readonly name: string;
  readonly ipv4: pulumi.Input<string>;
  /** Hetzner ID of the primary IPv4, so the PTR stays with the address across server rebuilds. */
  readonly ipv4Id: pulumi.Input<number>;
  /** The IPv6 network or host address Hetzner reports; the PTR is set for the host address (::1). */
  readonly ipv6: pulumi.Input<string>;
  readonly ipv6Id: pulumi.Input<number>;
}

export interface DnsArgs {
  readonly provider: "hetzner" | "manual";
  /** The zone, e.g. example.coop. */
  readonly domain: string;
  readonly ttl: number;
  /** Whether this stack creates the zone; otherwise its records go into the zone another stack created. */
  readonly manageZone: boolean;
  readonly records: ReadonlyArray<RecordSet<pulumi.Input<string>>>;
  readonly reverseDns?: ReverseDns;
  readonly labels?: Readonly<Record<string, string>>;
}

export class Dns extends pulumi.ComponentResource {
  /** Name servers Hetzner assigned to the zone: set them at the registrar. */
  readonly nameservers?: pulumi.Output<string[]>;

  constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:dns:Dns", name, {}, opts);
    const child = { parent: this };
    const labels = { ...(args.labels ?? {}) };

    if (args.provider === "hetzner") {
      let zone: pulumi.Input<string> = args.domain;
      if (args.manageZone) {
        const z = new hcloud.Zone(
          `${name}-zone`,
          { name: args.domain, mode: "primary", ttl: args.ttl, deleteProtection: true, labels },
          { parent: this, protect: true },
        );
        zone = z.name;
        this.nameservers = z.authoritativeNameservers.apply((ns) => ns?.assigneds ?? []);
      }
      const seen = new Set<string>();
      for (const r of args.records) {
        const id = `${r.type.toLowerCase()}-${r.name === "@" ? "apex" : r.name}`;
        if (seen.has(id)) throw new Error(`Dns: two record sets for ${r.name} ${r.type}`);
        seen.add(id);
        new hcloud.ZoneRrset(
          `${name}-${id}`,
          { zone, name: r.name, type: r.type, ttl: args.ttl, records: r.values.map((value) => ({ value })), labels },
          child,
        );
      }
    }

    const rev = args.reverseDns;
    if (rev) {
      new hcloud.Rdns(`${name}-ptr-ipv4`, { primaryIpId: rev.ipv4Id, ipAddress: rev.ipv4, dnsPtr: rev.name }, child);
      new hcloud.Rdns(
        `${name}-ptr-ipv6`,
        { primaryIpId: rev.ipv6Id, ipAddress: pulumi.output(rev.ipv6).apply(hostIpv6), dnsPtr: rev.name },
        child,
      );
    }

    this.registerOutputs({ nameservers: this.nameservers });
  }
}

/**
 * The dns section of a stack: its records (and zone) and the host's reverse DNS. Nothing on the
 * local target, which has no public address.
 */
export function declareDns(
  spec: StackSpec,
  host: Host,
  dkimTxt: pulumi.Input<string> | undefined,
  labels: Readonly<Record<string, string>>,
): Dns | undefined {
  if (!host.ipv4 || !host.ipv6 || !host.ipv4Id || !host.ipv6Id) return undefined;
  const ptr = reverseDnsName(spec);
  return new Dns("dns", {
    provider: spec.dns.provider,
    domain: spec.domain,
    ttl: spec.dns.ttl,
    manageZone: spec.dns.manageZone,
    records: dnsRecords(dnsPlanFor(spec), { ipv4: host.ipv4, ipv6: host.ipv6.apply(hostIpv6), dkim: dkimTxt }),
    reverseDns: ptr ? { name: ptr, ipv4: host.ipv4, ipv4Id: host.ipv4Id, ipv6: host.ipv6, ipv6Id: host.ipv6Id } : undefined,
    labels,
  });
}
