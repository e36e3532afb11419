/**
 * docker-mailserver's environment for the co-op: the recommended overrides of
 * test/oracles/mailserver-env-recommended.txt (Rspamd instead of the older filters,
 * fail2ban, forced authentication, spoofing protection, certificates from Caddy, outbound relay),
 * with the co-op's names filled in. Every name is one docker-mailserver documents; the test
 * compares them with the oracle. No secret is ever put here: the relay password goes into
 * postfix-sasl-password.cf (see mail-files.ts), because DMS prints its environment at debug log
 * level and `docker inspect` shows it.
 *
 * Deviations from the recommended list, and why:
 * - TZ=Etc/UTC: the host and the backup schedule run on UTC; mail headers carry offsets anyway.
 * - ENABLE_MANAGESIEVE is left off: its port (4190) is not published, so it would only listen.
 * - RELAY_USER/RELAY_PASSWORD are not set: credentials are in postfix-sasl-password.cf, as the
 *   oracle itself prefers.
 */
import { relayHostEntry } from "./files";

/** Where the Mail container mounts Caddy's data volume (read-only). */
export const CADDY_DATA_MOUNT = "/srv/caddy";

/**
 * Caddy's storage directory per certificate issuer: Let's Encrypt's production directory for
 * public hosts, Caddy's own local authority ("local") on the local target.
 */
export const CADDY_ISSUER_DIR = {
  acme: "acme-v02.api.letsencrypt.org-directory",
  internal: "local",
} as const;
export type CertificateIssuer = keyof typeof CADDY_ISSUER_DIR;

/** The certificate and key Caddy keeps for `hostname`, as seen inside the Mail container. */
export function caddyCertificatePaths(hostname: string, issuer: CertificateIssuer): { cert: string; key: string } {
  const dir = `${CADDY_DATA_MOUNT}/caddy/certificates/${CADDY_ISSUER_DIR[issuer]}/${hostname}`;
  return { cert: `${dir}/${hostname}.crt`, key: `${dir}/${hostname}.key` };
}

export interface MailEnvInput {
  readonly domain: string;
  /** The mail host's fully qualified name (also the container's host name). */
  readonly hostname: string;
  readonly issuer: CertificateIssuer;
  /** Outbound relay (smarthost); absent when mail is delivered directly on port 25. */
  readonly relay?: { readonly host: string; readonly port: number };
}

/** The container's env entries, NAME=VALUE, sorted by name. */
export function renderMailEnv(input: MailEnvInput): string[] {
  const tls = caddyCertificatePaths(input.hostname, input.issuer);
  const env: Record<string, string> = {
    ACCOUNT_PROVISIONER: "FILE",
    POSTMASTER_ADDRESS: `postmaster@${input.domain}`,
    PERMIT_DOCKER: "none",
    SPOOF_PROTECTION: "1",
    SSL_TYPE: "manual",
    SSL_CERT_PATH: tls.cert,
    SSL_KEY_PATH: tls.key,
    ENABLE_RSPAMD: "1",
    ENABLE_OPENDKIM: "0",
    ENABLE_OPENDMARC: "0",
    ENABLE_POLICYD_SPF: "0",
    ENABLE_AMAVIS: "0",
    ENABLE_SPAMASSASSIN: "0",
    ENABLE_POSTGREY: "0",
    RSPAMD_GREYLISTING: "1",
    ENABLE_CLAMAV: "0",
    ENABLE_FAIL2BAN: "1",
    ENABLE_MTA_STS: "1",
    ENABLE_POP3: "",
    // Postfix sends over IPv4 only: the host's IPv6 has no matching forward record for the
    // mail name, and Docker networks here have no IPv6.
    POSTFIX_INET_PROTOCOLS: "ipv4",
    TZ: "Etc/UTC",
  };
  if (input.relay) env.DEFAULT_RELAY_HOST = relayHostEntry(input.relay.host, input.relay.port);
  for (const [k, v] of Object.entries(env)) {
    // DMS reads plain VAR=VAL: no quoting, no substitution (docs usage.md).
    if (/[\s"'$`\\]/.test(v)) throw new Error(`renderMailEnv: ${k} would need quoting ('${v}')`);
  }
  return Object.keys(env)
    .sort()
    .map((k) => `${k}=${env[k]}`);
}
