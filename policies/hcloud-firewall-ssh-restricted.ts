/**
 * SSH is open only to the networks the spec lists, never to the whole internet unless the
 * spec says so explicitly (host.sshOpenToWorld).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isUnknown } from "./view";
import { forType, reportAt, unproxied } from "./support/report";
import { parseUrn, specOf } from "./support/stack-context";

export const NAME = "hcloud-firewall-ssh-restricted";

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

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
  remediationSteps: "List the admins' and CI's networks in host.sshSources; if the co-op really needs SSH from anywhere, set host.sshOpenToWorld: true and propose it.",
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
    for (const [i, rule] of rules.entries()) {
      const r = (rule ?? {}) as Record<string, unknown>;
      if (r.direction !== "in" || !coversSsh(r.protocol, r.port)) continue;
      const sources = r.sourceIps;
      if (isUnknown(sources) || !Array.isArray(sources)) {
        reportAt(report, "mandatory", `${args.name} rule ${i} lets SSH in from sources computed at deploy time`, args.urn);
        continue;
      }
      const world = sources.filter((s) => typeof s === "string" && WORLD.has(s));
      if (world.length > 0 && !allowed) {
        reportAt(report, "mandatory", `${args.name} rule ${i} opens SSH (port ${r.port ?? "all"}) to ${world.join(" and ")}${"error" in spec ? ` (the spec cannot be read: ${spec.error})` : ", and the spec does not set host.sshOpenToWorld"}`, args.urn);
      }
    }
  }),
};
