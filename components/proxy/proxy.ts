/**
 * Proxy: one Caddy container in front of every web name of the stack. It alone publishes
 * 80/tcp (ACME challenges, redirect to HTTPS), 443/tcp and 443/udp (HTTP/3); the services sit
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
 * The proxy network has a fixed subnet so the proxy can have a fixed address, which Nextcloud
 * needs: it trusts X-Forwarded-* headers only from listed addresses. Chosen outside Docker's
 * default pools (172.17–31.0.0/16, 192.168.0.0/16), so automatically numbered networks never
 * collide with it.
 */
export const PROXY_SUBNET = "10.213.0.0/24";
export const PROXY_ADDRESS = "10.213.0.2";
/**
 * Docker numbers containers from the bottom of the subnet, so one started before Caddy could
 * take its address; the others get theirs from the upper half only.
 */
export const PROXY_DYNAMIC_RANGE = "10.213.0.128/25";

export const CADDY_HEALTHCHECK = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:2019/config/"] as const;

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
  /** The proxy's address on that network. */
  readonly address: string;
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
      { name: n("network"), driver: "bridge", ipamConfigs: [{ subnet: PROXY_SUBNET, ipRange: PROXY_DYNAMIC_RANGE }] },
      { ...child, deleteBeforeReplace: true },
    );
    // Losing /data means new certificates for every name, and Let's Encrypt limits how many.
    const data = dataVolume(`${name}-data`, n("data"), child);
    const config = dataVolume(`${name}-config`, n("config"), child);

    // Caddy listens on the published ports themselves, so its redirects to HTTPS name the right
    // port. Locally only this machine may connect (*.localhost names resolve to it anyway),
    // not everyone on the same Wi-Fi. On a server it answers on IPv4 and IPv6: the Docker
    // provider publishes on 0.0.0.0 unless told otherwise, so [::] is bound explicitly, which
    // the AAAA records of the web names rely on (components/dns/plan.ts).
    const addresses = local ? ["127.0.0.1"] : ["0.0.0.0", "::"];
    const ports = addresses.flatMap((ip) => [
      { internal: httpPort, external: httpPort, protocol: "tcp", ip },
      { internal: httpsPort, external: httpsPort, protocol: "tcp", ip },
      { internal: httpsPort, external: httpsPort, protocol: "udp", ip },
    ]);
    new docker.Container(
      `${name}-caddy`,
      {
        name: n("caddy"),
        image: CADDY_IMAGE,
        restart: "unless-stopped",
        ports,
        networksAdvanced: [{ name: network.name, ipv4Address: PROXY_ADDRESS }],
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
    this.address = PROXY_ADDRESS;
    this.certificatesVolume = data.name;
    this.registerOutputs({ networkName: this.networkName, certificatesVolume: this.certificatesVolume });
  }
}
