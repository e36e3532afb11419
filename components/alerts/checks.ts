/**
 * What Gatus checks for a stack, from its spec: every web name this host serves (status 200,
 * certificate not about to expire), the mail server's submission port (STARTTLS works, its
 * certificate too), and the addresses of other stacks or a peer co-op listed in alerts.watch,
 * because a host cannot report its own death. Pure.
 */
import { serviceFqdn, type StackSpec } from "../../stacks/schema";
import { MTA_STS_LABEL, MTA_STS_PATH } from "../dns/records";
import { SUBMISSION_PORT } from "../mail/mail";
import type { GatusCheck } from "./gatus-config";

/** Each service's own health address: answers 200 only when the application itself is up. */
export const HEALTH_PATHS = { mastodon: "/health", nextcloud: "/status.php" } as const;

export function gatusChecks(spec: StackSpec): GatusCheck[] {
  const checks: GatusCheck[] = [];
  for (const s of ["mastodon", "nextcloud"] as const) {
    if (spec.services[s].enabled)
      checks.push({ kind: "https", name: s, group: "services", url: `https://${serviceFqdn(spec, s)}${HEALTH_PATHS[s]}` });
  }
  if (spec.services.mail.enabled) {
    checks.push({ kind: "starttls", name: "mail submission", group: "services", host: serviceFqdn(spec, "mail"), port: SUBMISSION_PORT });
    // Served by this host's proxy: its certificate expiring would stop receivers trusting MTA-STS.
    checks.push({
      kind: "https",
      name: "mail policy (MTA-STS)",
      group: "services",
      url: `https://${MTA_STS_LABEL}.${spec.domain}${MTA_STS_PATH}`,
    });
  }
  for (const url of spec.alerts.watch)
    checks.push({ kind: "https", name: url.replace(/^https:\/\//, ""), group: "watched from here", url });
  return checks;
}

/** The status page's name, e.g. status.example.coop, or undefined when it is off. */
export function statusPageFqdn(spec: StackSpec): string | undefined {
  return spec.alerts.enabled && spec.alerts.statusPage.enabled ? `${spec.alerts.statusPage.hostname}.${spec.domain}` : undefined;
}
