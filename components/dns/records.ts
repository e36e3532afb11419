/**
 * The DNS records a co-op's stack needs, as plain data: used by the Dns component (Hetzner DNS
 * record sets), by `coop dns` (a zone file to paste into any DNS provider) and by the tests
 * (named-checkzone). The checklist is test/oracles/mail-dns-records.md.
 *
 * Values that only exist after deployment (the host's addresses, the DKIM key) are passed in
 * as `V`: Pulumi outputs in the component, strings (or placeholders) in `coop dns`.
 */
import { createHash } from "node:crypto";
import { ipv6Groups, ipv6Text } from "../../kernel/networks";
import { DKIM_SELECTOR } from "../mail/files";

export type RecordType = "A" | "AAAA" | "MX" | "TXT" | "SRV" | "CAA";

export interface RecordSet<V = string> {
  /** Owner name relative to the zone; "@" is the apex. */
  readonly name: string;
  readonly type: RecordType;
  /** Values in zone-file form (TXT values quoted and split, host names absolute). */
  readonly values: readonly V[];
  /** Why the record exists; printed as a comment by `coop dns`. */
  readonly purpose: string;
}

/** How strictly receivers should treat mail that fails the checks; tightened once reports are clean. */
export type MailPolicy = "testing" | "enforce" | "reject";

export interface MailDnsPlan {
  /** Host label of the mail server, e.g. "mail". */
  readonly hostLabel: string;
  /** SPF includes of the outbound relay provider(s), e.g. "spf.relay.example". */
  readonly spfIncludes: readonly string[];
  readonly policy: MailPolicy;
}

export interface DnsPlan {
  /** The zone, e.g. example.coop. */
  readonly domain: string;
  /** Whether this stack owns the zone (and so the zone-wide CAA record). */
  readonly ownsZone: boolean;
  /** Host labels of the web services this host serves, e.g. ["social", "cloud"]. */
  readonly webHosts: readonly string[];
  /** Present when this host runs the co-op's mail server. */
  readonly mail?: MailDnsPlan;
  /** Whether the host answers on IPv6 (AAAA records for its web names). */
  readonly ipv6: boolean;
}

export interface HostValues<V> {
  readonly ipv4: V;
  readonly ipv6: V;
  /** The DKIM TXT value, already split and quoted (see txtValue). Needed when mail runs here. */
  readonly dkim?: V;
}

export const MTA_STS_LABEL = "mta-sts";
export const MTA_STS_PATH = "/.well-known/mta-sts.txt";
/** One week, the value the oracle gives (RFC 8461 §3.2 allows up to a year). */
export const MTA_STS_MAX_AGE = 604800;
export const DMARC_REPORTS_LOCAL_PART = "dmarc.report";
export const TLS_REPORTS_LOCAL_PART = "tlsrpt";
/** Caddy's ACME certificates come from Let's Encrypt; CAA allows no other CA. */
export const CAA_ISSUER = "letsencrypt.org";
/** Submission and IMAP ports the mail server publishes, for the SRV records (RFC 6186, RFC 8314). */
export const MAIL_SERVICE_PORTS = { submissions: 465, submission: 587, imaps: 993 } as const;

/** Every record set for the plan, sorted by name and type. */
export function dnsRecords<V>(plan: DnsPlan, values: HostValues<V>): RecordSet<V | string>[] {
  const out: RecordSet<V | string>[] = [];
  const address = (name: string, purpose: string, ipv6: boolean) => {
    out.push({ name, type: "A", values: [values.ipv4], purpose });
    if (ipv6) out.push({ name, type: "AAAA", values: [values.ipv6], purpose });
  };

  if (plan.ownsZone) {
    out.push({
      name: "@",
      type: "CAA",
      values: [`0 issue "${CAA_ISSUER}"`, `0 issuewild ";"`],
      purpose: "only Let's Encrypt (the CA Caddy uses) may issue certificates for the domain; no wildcards",
    });
  }
  for (const label of plan.webHosts) address(label, `${label}.${plan.domain}: a web service behind the proxy`, plan.ipv6);

  const mail = plan.mail;
  if (mail) {
    if (values.dkim === undefined) throw new Error("dnsRecords: the DKIM record value is missing for a host that runs mail");
    const d = plan.domain;
    const mx = `${mail.hostLabel}.${d}.`;
    // Postfix sends over IPv4 only (POSTFIX_INET_PROTOCOLS=ipv4), so the mail name has no AAAA:
    // a receiver must find the sending address under the name the PTR record gives.
    address(mail.hostLabel, "the mail server (MX target, HELO name, reverse DNS name)", false);
    address(MTA_STS_LABEL, "serves the MTA-STS policy over HTTPS (RFC 8461)", plan.ipv6);
    out.push({ name: "@", type: "MX", values: [`10 ${mx}`], purpose: "mail for the domain goes to the mail server" });
    out.push({ name: "@", type: "TXT", values: [txtValue(spfRecord(mail))], purpose: "SPF: servers allowed to send mail for the domain" });
    out.push({
      name: mail.hostLabel,
      type: "TXT",
      values: [txtValue("v=spf1 a -all")],
      purpose: "SPF for the mail server's HELO name (RFC 7208 §2.3)",
    });
    out.push({
      name: `${DKIM_SELECTOR}._domainkey`,
      type: "TXT",
      values: [values.dkim],
      purpose: "DKIM public key the mail server signs with",
    });
    out.push({
      name: "_dmarc",
      type: "TXT",
      values: [txtValue(dmarcRecord(d, mail.policy))],
      purpose: "DMARC policy and where receivers send reports",
    });
    out.push({
      name: "_mta-sts",
      type: "TXT",
      values: [txtValue(mtaStsRecord(mtaStsPolicy(mail.policy, [`${mail.hostLabel}.${d}`])))],
      purpose: "MTA-STS: the policy's id changes whenever the policy does",
    });
    out.push({
      name: "_smtp._tls",
      type: "TXT",
      values: [txtValue(`v=TLSRPTv1; rua=mailto:${TLS_REPORTS_LOCAL_PART}@${d}`)],
      purpose: "TLS-RPT: where senders report TLS failures (RFC 8460)",
    });
    const srv = (service: string, port: number, purpose: string) =>
      out.push({ name: `_${service}._tcp`, type: "SRV", values: [`0 1 ${port} ${mx}`], purpose });
    srv("submissions", MAIL_SERVICE_PORTS.submissions, "mail clients: submission with implicit TLS (RFC 8314)");
    srv("submission", MAIL_SERVICE_PORTS.submission, "mail clients: submission with STARTTLS (RFC 6186)");
    srv("imaps", MAIL_SERVICE_PORTS.imaps, "mail clients: IMAP over TLS (RFC 6186)");
    // "." = the service is not offered (RFC 2782): clients stop probing plain IMAP and POP3.
    for (const none of ["imap", "pop3", "pop3s"]) {
      out.push({ name: `_${none}._tcp`, type: "SRV", values: ["0 0 0 ."], purpose: `${none.toUpperCase()} is not offered` });
    }
  }
  return out.sort((a, b) => cmp(a.name, b.name) || cmp(a.type, b.type));
}

export function spfRecord(mail: Pick<MailDnsPlan, "spfIncludes" | "policy">): string {
  const all = mail.policy === "testing" ? "~all" : "-all";
  return ["v=spf1", "mx", ...mail.spfIncludes.map((i) => `include:${i}`), all].join(" ");
}

export function dmarcRecord(domain: string, policy: MailPolicy): string {
  const p = policy === "testing" ? "none" : policy === "enforce" ? "quarantine" : "reject";
  const to = `mailto:${DMARC_REPORTS_LOCAL_PART}@${domain}`;
  return `v=DMARC1; p=${p}; sp=${p}; fo=0; adkim=r; aspf=r; pct=100; rf=afrf; ri=86400; rua=${to}; ruf=${to}`;
}

/** The MTA-STS policy file (RFC 8461 §3.2): `version` first, CRLF line endings. */
export function mtaStsPolicy(policy: MailPolicy, mxHosts: readonly string[]): string {
  const mode = policy === "testing" ? "testing" : "enforce";
  const lines = ["version: STSv1", `mode: ${mode}`, ...mxHosts.map((h) => `mx: ${h}`), `max_age: ${MTA_STS_MAX_AGE}`];
  return lines.map((l) => `${l}\r\n`).join("");
}

/** `v=STSv1; id=…` with an id derived from the policy, so it changes exactly when the policy does. */
export function mtaStsRecord(policyText: string): string {
  return `v=STSv1; id=${createHash("sha256").update(policyText).digest("hex").slice(0, 32)}`;
}

/** The DKIM record text for an RSA public key in PEM (SubjectPublicKeyInfo) form. */
export function dkimRecordValue(publicKeyPem: string): string {
  const m = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(publicKeyPem);
  if (!m) throw new Error("dkimRecordValue: expected a PEM public key (-----BEGIN PUBLIC KEY-----)");
  const b64 = m[1].replace(/\s+/g, "");
  return `v=DKIM1; k=rsa; p=${b64}`;
}

/** Splits text into character-strings of at most `max` bytes (RFC 1035 §3.3: 255). */
export function splitTxt(text: string, max = 255): string[] {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error("splitTxt: TXT text must be printable ASCII");
  if (text.length === 0) return [""];
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += max) parts.push(text.slice(i, i + max));
  return parts;
}

/** A TXT value in zone-file form: quoted character-strings of at most 255 bytes each. */
export function txtValue(text: string): string {
  if (/["\\]/.test(text)) throw new Error("txtValue: quotes and backslashes are not expected in these records");
  return splitTxt(text)
    .map((p) => `"${p}"`)
    .join(" ");
}

/** The text a TXT value in zone-file form stands for (its strings concatenated, RFC 7208 §3.3). */
export function txtText(value: string): string {
  const parts = value.match(/"([^"]*)"/g);
  if (!parts) throw new Error(`txtText: no quoted strings in ${value}`);
  return parts.map((p) => p.slice(1, -1)).join("");
}

/**
 * The server's address inside its IPv6 network. Hetzner assigns a /64 and reports the network
 * (e.g. 2001:db8:1:2::); the server itself answers on ::1 of it, which is what AAAA and PTR
 * records need. An address that is already a host address is returned unchanged.
 */
export function hostIpv6(address: string): string {
  const [text] = address.split("/");
  const groups = ipv6Groups(text);
  if (!groups) throw new Error(`'${text}' is not an IPv6 address`);
  if (groups.slice(4).every((g) => g === 0)) groups[7] = 1;
  return ipv6Text(groups);
}

export interface ZoneFileOptions {
  readonly origin: string;
  readonly ttl: number;
  /** Lines put before the records (comments, or SOA/NS for a standalone zone). */
  readonly preamble?: readonly string[];
}

/** The record sets as a zone file fragment ($ORIGIN, $TTL, one line per value). */
export function renderZoneFile(records: readonly RecordSet[], opts: ZoneFileOptions): string {
  const lines = [`$ORIGIN ${opts.origin}.`, `$TTL ${opts.ttl}`, ...(opts.preamble ?? [])];
  const width = Math.max(1, ...records.map((r) => r.name.length));
  for (const r of records) {
    lines.push(`; ${r.purpose}`);
    for (const v of r.values) lines.push(`${r.name.padEnd(width)}  IN  ${r.type.padEnd(5)} ${v}`);
  }
  return `${lines.join("\n")}\n`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
