/**
 * The ports each service publishes on the host. The firewall opens exactly these (plus SSH
 * from the admins' networks); everything else stays on Docker networks.
 */
import type { ServiceName } from "../../stacks/catalog";

export interface PublicPort {
  readonly port: number;
  readonly protocol: "tcp" | "udp";
  readonly purpose: string;
}

/**
 * Caddy serves every web name, and also the mail host's certificate and MTA-STS policy. No
 * 443/udp: HTTP/3 is off, because with it the proxy would be replaced on every `pulumi up`
 * (components/proxy/proxy.ts publishedPorts says why).
 */
const PROXY: readonly PublicPort[] = [
  { port: 80, protocol: "tcp", purpose: "HTTP: ACME challenges and redirect to HTTPS" },
  { port: 443, protocol: "tcp", purpose: "HTTPS" },
];

const MAIL: readonly PublicPort[] = [
  { port: 25, protocol: "tcp", purpose: "SMTP: mail from other servers" },
  { port: 465, protocol: "tcp", purpose: "mail submission, implicit TLS" },
  { port: 587, protocol: "tcp", purpose: "mail submission, STARTTLS" },
  { port: 993, protocol: "tcp", purpose: "IMAPS" },
];

export function publicPorts(services: readonly ServiceName[]): PublicPort[] {
  if (services.length === 0) return [];
  return [...PROXY, ...(services.includes("mail") ? MAIL : [])];
}
