/**
 * SSH is open only to the networks the spec lists, never to the whole internet unless the
 * spec says so explicitly (host.sshOpenToWorld).
 *
 * "The whole internet" is judged by the addresses a source covers, not by its spelling:
 * 0.0.0.0/1 plus 128.0.0.0/1 is 0.0.0.0/0. A firewall's SSH sources, taken together, may cover
 * at most one IPv4 /8 and one IPv6 /32 (each family on its own). That is far more than an admin's
 * or a CI runner's network (a home line is one address or a /56, a provider's runner pool a
 * few /16 at most), and far less than the world: anything broader is the world in effect.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ADDRESS_BITS, type IpNetwork, parseIpNetwork } from "../kernel/networks";
import { isUnknown } from "../plan/view";
import { forType, reportAt, unproxied } from "./support/report";
import { parseUrn, specOf } from "./support/stack-context";

export const NAME = "hcloud-firewall-ssh-restricted";

/** The broadest SSH exposure allowed per address family, as a prefix length. */
export const NARROWEST_WORLD = { ipv4: 8, ipv6: 32 } as const;

/**
 * Parses "address[/prefix]" (no prefix: one host); undefined when it is not a network the
 * kernel's reader accepts. An IPv4-mapped IPv6 network counts as the IPv4 network it maps, so
 * it cannot smuggle the IPv4 world past the IPv6 limit.
 */
export function parseCidr(source: string): IpNetwork | undefined {
  return parseIpNetwork(source, { hostIfNoPrefix: true });
}

/** How many addresses of one family the networks cover together (overlaps counted once). */
export function coveredAddresses(networks: readonly IpNetwork[]): bigint {
  const sorted = [...networks].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let total = 0n;
  let end = -1n; // last address counted so far
  for (const n of sorted) {
    if (n.last <= end) continue;
    total += n.last - (n.first > end ? n.first : end + 1n) + 1n;
    end = n.last;
  }
  return total;
}

/** Why these SSH sources open SSH to (in effect) the world, or undefined when they do not. */
export function worldExposure(sources: readonly string[]): string | undefined {
  const parsed = sources.map((s) => ({ source: s, cidr: parseCidr(s) }));
  const unreadable = parsed.filter((p) => !p.cidr).map((p) => p.source);
  // A source the policy cannot read may be anything (Hetzner is the judge of its syntax).
  if (unreadable.length) return `${unreadable.join(" and ")}, which the policy cannot read as networks`;
  const reasons: string[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const mine = parsed.filter((p) => p.cidr!.family === family);
    if (mine.length === 0) continue;
    const limit = NARROWEST_WORLD[family];
    const covered = coveredAddresses(mine.map((p) => p.cidr!));
    const space = 1n << BigInt(ADDRESS_BITS[family]);
    const label = family === "ipv4" ? "IPv4" : "IPv6";
    if (covered === space) {
      reasons.push(
        mine.length === 1 ? mine[0].source : `${mine.map((p) => p.source).join(" and ")}, which together cover the whole ${label} internet`,
      );
    } else if (covered > 1n << BigInt(ADDRESS_BITS[family] - limit)) {
      const broad = mine.filter((p) => p.cidr!.prefix < limit).map((p) => p.source);
      reasons.push(
        broad.length
          ? `${broad.join(" and ")}, broader than /${limit}, the widest ${label} network SSH may be open to`
          : `${mine.map((p) => p.source).join(" and ")}, which together cover more ${label} addresses than a /${limit}, the widest SSH may be open to`,
      );
    }
  }
  return reasons.length ? reasons.join(" and ") : undefined;
}

/** Whether a firewall rule's port field ("22", "20-30", or absent = all ports) covers SSH. */
export function coversSsh(protocol: unknown, port: unknown): boolean {
  if (protocol !== "tcp") return false;
  if (port === undefined || port === null || port === "" || port === "any") return true;
  if (typeof port !== "string") return true; // unknown shapes count as covering it
  const [lo, hi] = port.split("-").map(Number);
  return lo <= 22 && 22 <= (hi ?? lo);
}

export const hcloudFirewallSshRestricted: ResourceValidationPolicy = {
  name: NAME,
  description: "The firewall opens SSH only to listed networks, not to the whole internet unless the spec allows it.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "List only the admins' and CI's networks in host.sshSources of stacks/<stack>.yaml (together at most an IPv4 /8 and an IPv6 /32); if the co-op really needs SSH from anywhere, set host.sshOpenToWorld: true instead. Check with `coop gate --stack <stack>`, then put the change to the members with `coop propose --stack <stack> --post`.",
  validateResource: forType("hcloud:index/firewall:Firewall", (args, report) => {
    if (args.type !== "hcloud:index/firewall:Firewall") return;
    const rules = unproxied(args.props).rules;
    if (isUnknown(rules)) {
      reportAt(report, "mandatory", `${args.name}'s rules are computed at deploy time, so SSH exposure cannot be checked`, args.urn);
      return;
    }
    if (!Array.isArray(rules)) return;
    const spec = specOf(parseUrn(args.urn).stack);
    const allowed = "spec" in spec && spec.spec.host.target === "hetzner" && spec.spec.host.sshOpenToWorld;
    const why = "error" in spec ? ` (the spec cannot be read: ${spec.error})` : ", and the spec does not set host.sshOpenToWorld";
    // Every SSH rule's sources, so that splitting the world over several rules does not hide it.
    const all: string[] = [];
    let flagged = false;
    for (const [i, rule] of rules.entries()) {
      const r = (rule ?? {}) as Record<string, unknown>;
      if (r.direction !== "in" || !coversSsh(r.protocol, r.port)) continue;
      const sources = r.sourceIps;
      if (isUnknown(sources) || !Array.isArray(sources) || sources.some(isUnknown)) {
        reportAt(report, "mandatory", `${args.name} rule ${i} lets SSH in from sources computed at deploy time`, args.urn);
        continue;
      }
      const strings = sources.map((s) => (typeof s === "string" ? s : JSON.stringify(s)));
      all.push(...strings);
      const world = worldExposure(strings);
      if (world && !allowed) {
        flagged = true;
        reportAt(report, "mandatory", `${args.name} rule ${i} opens SSH (port ${r.port ?? "all"}) to ${world}${why}`, args.urn);
      }
    }
    const together = flagged || allowed ? undefined : worldExposure(all);
    if (together) reportAt(report, "mandatory", `${args.name}'s SSH rules together open SSH to ${together}${why}`, args.urn);
  }),
};
