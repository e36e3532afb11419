/**
 * What `coop dns` prints: the DNS records of one stack, as a zone file fragment for any DNS
 * provider and as JSON. The records come from the same functions the Dns component uses; the
 * values only a deployment knows (the host's addresses, the DKIM key) come from the stack's
 * outputs (`pulumi stack output --json`), or stay visible placeholders.
 */
import { isIpv4Address } from "../../kernel/networks";
import { dnsPlanFor, reverseDnsName } from "../../components/dns/plan";
import { type RecordSet, dnsRecords, hostIpv6, renderZoneFile, txtValue } from "../../components/dns/records";
import { MAIL_OUTPUTS } from "../../components/mail/contract";
import { InputError } from "../../kernel/errors";
import type { StackSpec } from "../../stacks/schema";

/** Stack outputs `coop dns` reads (none of them secret). */
export const DNS_OUTPUTS = { ipv4: "ipv4", ipv6: "ipv6", dkim: MAIL_OUTPUTS.dkimRecord } as const;

export const PLACEHOLDERS = { ipv4: "<ipv4>", ipv6: "<ipv6>", dkim: '"<dkim>"' } as const;

export interface DnsReport {
  readonly stack: string;
  readonly zone: string;
  readonly ttl: number;
  readonly provider: "hetzner" | "manual";
  /** Whether every value is real (no placeholder left). */
  readonly complete: boolean;
  /** Output names that were needed but not given. */
  readonly missing: string[];
  readonly records: Array<{ name: string; fqdn: string; type: string; ttl: number; values: string[]; purpose: string }>;
  /** Reverse DNS of the host's addresses (set by Pulumi at Hetzner, not in the zone). */
  readonly reverseDns: { name: string; setBy: string } | null;
  /** The zone file fragment. */
  readonly text: string;
}

/**
 * Parses `pulumi stack output --json`. `source` names where it came from, for messages.
 * Only the outputs coop dns needs are read and checked; nothing is echoed back.
 */
export function parseStackOutputs(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(
      `${source} is not JSON (${(e as Error).message})`,
      "give the output of `pulumi stack output --json --stack <stack>` (without --show-secrets)",
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(
      `${source} is not a JSON object of stack outputs`,
      "give the output of `pulumi stack output --json --stack <stack>`",
    );
  }
  return value as Record<string, unknown>;
}

export function dnsReport(
  stack: string,
  spec: StackSpec,
  outputs: Record<string, unknown> | undefined,
  source = "the stack outputs",
): DnsReport {
  const ttl = spec.dns.ttl;
  if (spec.host.target === "local") {
    return {
      stack,
      zone: spec.domain,
      ttl,
      provider: spec.dns.provider,
      complete: true,
      missing: [],
      records: [],
      reverseDns: null,
      text: `; ${stack} runs on this machine's Docker engine: *.localhost names need no DNS records.\n`,
    };
  }
  const plan = dnsPlanFor(spec);
  const missing: string[] = [];
  const read = (name: string, check: (v: string) => string | undefined, placeholder: string): string => {
    if (!outputs) {
      missing.push(name);
      return placeholder;
    }
    const v = outputs[name];
    if (v === undefined) {
      throw new InputError(
        `${source} has no output '${name}'`,
        `they must be this stack's outputs after \`pulumi up\`: pulumi stack output --json --stack ${stack}`,
      );
    }
    const problem = typeof v === "string" ? check(v) : "is not a string";
    if (problem)
      throw new InputError(
        `output '${name}' in ${source} ${problem}`,
        `give the outputs of \`pulumi stack output --json --stack ${stack}\`, without --show-secrets`,
      );
    return v as string;
  };
  const ipv4 = read(DNS_OUTPUTS.ipv4, (v) => (isIpv4Address(v) ? undefined : "is not an IPv4 address"), PLACEHOLDERS.ipv4);
  let ipv6: string = PLACEHOLDERS.ipv6;
  if (plan.ipv6) {
    const raw = read(DNS_OUTPUTS.ipv6, (v) => (safeIpv6(v) ? undefined : "is not an IPv6 address"), PLACEHOLDERS.ipv6);
    ipv6 = raw === PLACEHOLDERS.ipv6 ? raw : hostIpv6(raw);
  }
  let dkim: string | undefined;
  if (plan.mail) {
    const raw = read(
      DNS_OUTPUTS.dkim,
      (v) => (/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/.test(v) ? undefined : "is not a DKIM record (v=DKIM1; k=rsa; p=…)"),
      PLACEHOLDERS.dkim,
    );
    dkim = raw === PLACEHOLDERS.dkim ? raw : txtValue(raw);
  }

  const records: RecordSet[] = dnsRecords(plan, { ipv4, ipv6, dkim });
  const ptr = reverseDnsName(spec);
  const header = [
    `; DNS records of stack ${stack} (stacks/${stack}.yaml) for the zone ${spec.domain}, written by \`coop dns\`.`,
    spec.dns.provider === "hetzner"
      ? "; dns.provider is hetzner: Pulumi creates these records at Hetzner DNS itself; this copy is for review."
      : `; Add them to the zone ${spec.domain} at your DNS provider; names are relative to it ("@" is ${spec.domain} itself).`,
    "; The zone's SOA and NS records are the DNS provider's and are not listed.",
    ...(ptr ? [`; Reverse DNS (PTR) of the server's IPv4 and IPv6 addresses -> ${ptr}: set by Pulumi at Hetzner, not in the zone.`] : []),
    ...(missing.length
      ? [
          `; PLACEHOLDERS: ${missing.join(", ")} exist only after \`pulumi up\`. Print the real values with:`,
          `;   pulumi stack output --json --stack ${stack} | npx coop dns --stack ${stack} --outputs -`,
        ]
      : []),
  ];
  const text = renderZoneFile(records, { origin: spec.domain, ttl });
  return {
    stack,
    zone: spec.domain,
    ttl,
    provider: spec.dns.provider,
    complete: missing.length === 0,
    missing,
    records: records.map((r) => ({
      name: r.name,
      fqdn: r.name === "@" ? `${spec.domain}.` : `${r.name}.${spec.domain}.`,
      type: r.type,
      ttl,
      values: [...r.values],
      purpose: r.purpose,
    })),
    reverseDns: ptr ? { name: ptr, setBy: "Pulumi (hcloud.Rdns)" } : null,
    text: `${header.join("\n")}\n${text}`,
  };
}

function safeIpv6(v: string): boolean {
  try {
    hostIpv6(v);
    return v.includes(":");
  } catch {
    return false;
  }
}
