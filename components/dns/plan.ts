/**
 * Which DNS records a stack is responsible for, from its spec. Shared by the Dns component
 * (Hetzner DNS) and `coop dns` (records to paste elsewhere), so both publish the same thing.
 *
 * In a co-op split over several stacks, each stack publishes the names of what runs on its own
 * host (the web services' A/AAAA; the mail stack also everything mail needs), while the zone
 * itself and its CAA record belong to the one stack with dns.manageZone. Reverse DNS is per
 * host: it names the mail server where mail runs (receivers compare it with the HELO name),
 * otherwise the host's first web service.
 */
import { enabledServices, serviceFqdn, type StackSpec } from "../../stacks/schema";
import type { DnsPlan } from "./records";
import { mediaHostLabel } from "../../stacks/growth";

/**
 * Whether the proxy answers on the host's IPv6 address: it publishes its ports on :: too, into
 * an IPv6-enabled network (components/proxy/proxy.ts publishedPorts). Without that binding an
 * AAAA record would send IPv6 clients, and Let's Encrypt's validation, to a closed port; the two
 * go together.
 */
export const PROXY_ANSWERS_ON_IPV6 = true;

export function dnsPlanFor(spec: StackSpec): DnsPlan {
  const m = spec.services.mail;
  return {
    domain: spec.domain,
    ownsZone: spec.dns.manageZone,
    webHosts: [
      ...(["mastodon", "nextcloud"] as const).filter((s) => spec.services[s].enabled).map((s) => spec.services[s].hostname),
      // The status page (components/alerts) is served by this host's proxy too.
      ...(spec.alerts.enabled && spec.alerts.statusPage.enabled ? [spec.alerts.statusPage.hostname] : []),
      // Mastodon's media alias host, served by this host's proxy.
      ...(mediaHostLabel(spec) ? [mediaHostLabel(spec) as string] : []),
    ],
    mail: m.enabled
      ? {
          hostLabel: m.hostname,
          spfIncludes: m.relay.host !== null && m.relay.spfInclude ? [m.relay.spfInclude] : [],
          policy: spec.dns.mailPolicy,
        }
      : undefined,
    ipv6: PROXY_ANSWERS_ON_IPV6,
  };
}

/** The name the host's addresses point back to (PTR), or undefined when it runs nothing. */
export function reverseDnsName(spec: StackSpec): string | undefined {
  const services = enabledServices(spec);
  if (services.includes("mail")) return serviceFqdn(spec, "mail");
  return services.length > 0 ? serviceFqdn(spec, services[0]) : undefined;
}
