/**
 * Proxy: one Caddy container in front of every web name of the stack. It alone publishes
 * 80/tcp (ACME challenges, redirect to HTTPS) and 443/tcp, on IPv4 and IPv6; the services sit
 * on the proxy network behind it. Its Caddyfile is rendered from the routes (caddyfile.ts) and
 * uploaded into the container, so a change of routes replaces the container with the new file.
 *
 * Caddy's /data holds the certificates and the ACME account, /config its autosaved config:
 * both are named volumes (the image declares them as VOLUMEs). The mail server mounts /data's
 * volume read-only to use the certificate Caddy keeps for the mail host name.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { renderCaddyfile } from "./caddyfile";
import { type ChildOptions, containerOptions, dataVolume, dockerName, healthcheck } from "../shared/datastores";
import { CADDY_IMAGE } from "../shared/images";
import type { DockerHostRef, WebRoute } from "../shared/interfaces";

export const CADDY_DATA_PATH = "/data";
export const CADDY_CONFIG_PATH = "/config";
export const CADDYFILE_PATH = "/etc/caddy/Caddyfile";
export const CADDY_MEMORY_MB = 256;

/**
 * The proxy network has fixed subnets so the proxy has fixed addresses, which the services need:
 * Mastodon and Nextcloud trust X-Forwarded-* headers only from listed addresses. The IPv4 subnet
 * is outside Docker's default pools (172.17–31.0.0/16, 192.168.0.0/16), so automatically numbered
 * networks never collide with it; the IPv6 one is a unique local prefix (RFC 4193) that never
 * leaves the host.
 */
export const PROXY_SUBNET = "10.213.0.0/24";
export const PROXY_ADDRESS = "10.213.0.2";
export const PROXY_SUBNET_V6 = "fd3e:c0a1:213::/64";
export const PROXY_ADDRESS_V6 = "fd3e:c0a1:213::2";
/**
 * Docker numbers containers from the bottom of each subnet, so one started before Caddy could
 * take its address; the others get theirs from the upper half only.
 */
export const PROXY_DYNAMIC_RANGE = "10.213.0.128/25";
export const PROXY_DYNAMIC_RANGE_V6 = "fd3e:c0a1:213:0:8000::/65";

/** The proxy's addresses on its network: the only clients whose forwarded headers the services trust. */
export function proxyAddresses(target: DockerHostRef["target"]): string[] {
  return target === "local" ? [PROXY_ADDRESS] : [PROXY_ADDRESS, PROXY_ADDRESS_V6];
}

export interface PublishedPort {
  readonly internal: number;
  readonly external: number;
  readonly protocol: "tcp";
  readonly ip: string;
}

/**
 * The ports Caddy publishes, in the order the Docker provider reads them back
 * (test/oracles/docker-port-readback.md): by port number, and within a port IPv4 before IPv6,
 * as Docker reports them. Read back index for index as declared, a second `pulumi up` finds
 * no change; any other order, or two keys with one port number (443/tcp and 443/udp come back
 * in random order), makes the provider's comparison of a port published on both families fail,
 * and it replaces the proxy on every run. That is why HTTP/3 (443/udp) is not offered.
 *
 * On a server both families are published, each on its own address, because the provider
 * always sends a host address (0.0.0.0 unless told otherwise) and Docker takes 0.0.0.0 for
 * IPv4 only. The proxy network has IPv6 too, so Docker forwards IPv6 clients to Caddy's IPv6
 * address with their own source address (not through its userland proxy, which would show them
 * all as the network's gateway). Locally only this machine may connect (*.localhost names
 * resolve to it anyway), not everyone on the same Wi-Fi.
 */
export function publishedPorts(target: DockerHostRef["target"], httpPort: number, httpsPort: number): PublishedPort[] {
  const addresses = target === "local" ? ["127.0.0.1"] : ["0.0.0.0", "::"];
  return [...new Set([httpPort, httpsPort])]
    .sort((a, b) => a - b)
    .flatMap((port) => addresses.map((ip) => ({ internal: port, external: port, protocol: "tcp" as const, ip })));
}

export const CADDY_HEALTHCHECK = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:2019/config/"] as const;

/**
 * The command that makes Caddy try for its certificates now. After a failed attempt (DNS not yet
 * pointing here, e.g. before the registrar delegated the domain) Caddy backs off exponentially,
 * up to a day between attempts (Caddy's "Automatic HTTPS" documentation, "Errors"). A reload
 * starts certificate management afresh (in-flight tasks are aborted when the config changes), and
 * `--force` reloads even the unchanged config (Caddy's command-line documentation). It briefly
 * closes open WebSocket connections, which clients reopen.
 */
export function retryCertificatesCommand(host: Pick<DockerHostRef, "namePrefix">): string {
  return `docker exec ${dockerName(host, "proxy", "caddy")} caddy reload --config ${CADDYFILE_PATH} --adapter caddyfile --force`;
}

export interface ProxyArgs {
  readonly host: DockerHostRef;
  readonly routes: readonly WebRoute[];
  /** Host ports on the local target (80 and 443 on a server). */
  readonly httpPort?: number;
  readonly httpsPort?: number;
}

// biome-ignore lint/suspicious/noShadowRestrictedNames: the co-op's reverse proxy; the global Proxy is not used here
export class Proxy extends pulumi.ComponentResource {
  /** The network web containers join to be reached (and to reach the internet). */
  readonly networkName: pulumi.Output<string>;
  /** The proxy's addresses on that network (IPv4, and IPv6 on a server). */
  readonly addresses: readonly string[];
  /** The Docker volume with Caddy's certificates (mounted read-only by the mail server). */
  readonly certificatesVolume: pulumi.Output<string>;
  readonly caddyfile: string;

  constructor(name: string, args: ProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:proxy:Proxy", name, {}, opts);
    const host = args.host;
    const child: ChildOptions = { parent: this, provider: host.provider };
    const n = (part: string) => dockerName(host, "proxy", part);
    const local = host.target === "local";
    const httpPort = local ? (args.httpPort ?? 80) : 80;
    const httpsPort = local ? (args.httpsPort ?? 443) : 443;

    this.caddyfile = renderCaddyfile({ routes: args.routes, internalCa: local, httpPort, httpsPort });

    const network = new docker.Network(
      `${name}-network`,
      local
        ? { name: n("network"), driver: "bridge", ipamConfigs: [{ subnet: PROXY_SUBNET, ipRange: PROXY_DYNAMIC_RANGE }] }
        : {
            name: n("network"),
            driver: "bridge",
            ipv6: true,
            ipamConfigs: [
              { subnet: PROXY_SUBNET, ipRange: PROXY_DYNAMIC_RANGE },
              { subnet: PROXY_SUBNET_V6, ipRange: PROXY_DYNAMIC_RANGE_V6 },
            ],
          },
      { ...child, deleteBeforeReplace: true },
    );
    // Losing /data means new certificates for every name, and Let's Encrypt limits how many.
    const data = dataVolume(`${name}-data`, n("data"), child);
    const config = dataVolume(`${name}-config`, n("config"), child);

    // Caddy listens on the published ports themselves, so its redirects to HTTPS name the right port.
    const ports = publishedPorts(host.target, httpPort, httpsPort);
    new docker.Container(
      `${name}-caddy`,
      {
        name: n("caddy"),
        image: CADDY_IMAGE,
        restart: "unless-stopped",
        ports,
        networksAdvanced: [{ name: network.name, ipv4Address: PROXY_ADDRESS, ...(local ? {} : { ipv6Address: PROXY_ADDRESS_V6 }) }],
        volumes: [
          { volumeName: data.name, containerPath: CADDY_DATA_PATH },
          { volumeName: config.name, containerPath: CADDY_CONFIG_PATH },
        ],
        uploads: [{ file: CADDYFILE_PATH, content: this.caddyfile }],
        // The admin API answers on localhost inside the container only (never published).
        healthcheck: healthcheck([...CADDY_HEALTHCHECK], "10s"),
        memory: CADDY_MEMORY_MB,
        // Let open connections finish instead of cutting them after Docker's 10 seconds.
        stopTimeout: 30,
        destroyGraceSeconds: 30,
      },
      containerOptions(child),
    );

    this.networkName = network.name;
    this.addresses = proxyAddresses(host.target);
    this.certificatesVolume = data.name;
    this.registerOutputs({ networkName: this.networkName, certificatesVolume: this.certificatesVolume });
  }
}
