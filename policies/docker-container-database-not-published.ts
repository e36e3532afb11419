/**
 * Databases (Postgres, Redis and the like) stay off the public interfaces: on internal Docker
 * networks, or — for a database on a host of its own (stacks/growth.ts placement) — published
 * on the host's address in the Hetzner private network only. Never a port bound to all
 * addresses or to a public one, never the host's network. A database is known by its image's
 * name or, whatever the image, by publishing a database's well-known port.
 *
 * Why the bound address and not the firewall: Docker binds a published port to the address it
 * is given (0.0.0.0 when none), and its own packet rules let traffic in ahead of the host's; a
 * Hetzner firewall is the only other guard, and one edit of it would open the database. A port
 * bound to a private address is not reachable from the internet whatever the firewall says.
 */
import { BlockList, isIPv4 } from "node:net";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isUnknown } from "../plan/view";
import { parseImageRef } from "../kernel/image-ref";
import { DATABASE_PORTS, isDatabaseImage } from "./support/images";
import { forType, reportAt, unproxied } from "./support/report";

export const NAME = "docker-container-database-not-published";

const DB_HEALTHCHECK = /\b(pg_isready|redis-cli|valkey-cli|mysqladmin|mongosh)\b/;

/** RFC 1918: the ranges Hetzner private networks use, never routed on the internet. */
const PRIVATE = new BlockList();
PRIVATE.addSubnet("10.0.0.0", 8, "ipv4");
PRIVATE.addSubnet("172.16.0.0", 12, "ipv4");
PRIVATE.addSubnet("192.168.0.0", 16, "ipv4");

/** Whether a published port is bound to a private IPv4 address only (never all addresses, never IPv6's ::). */
export function boundToPrivateAddress(port: unknown): boolean {
  const ip = (port as { ip?: unknown } | null)?.ip;
  return typeof ip === "string" && !isUnknown(ip) && isIPv4(ip) && PRIVATE.check(ip, "ipv4");
}

/** The database ports (inside the container) among the published ones. */
export function publishedDatabasePorts(ports: unknown): number[] {
  if (!Array.isArray(ports)) return [];
  const found = ports.map((p) => Number((p as { internal?: unknown } | null)?.internal)).filter((n) => DATABASE_PORTS.has(n));
  return [...new Set(found)];
}

/**
 * A database container: by its image, by a database port it publishes, or (when the image is
 * computed, or not a reference anyone can read) by its health check.
 */
export function isDatabaseContainer(props: Record<string, unknown>): boolean {
  const image = props.image;
  const ref = typeof image === "string" && !isUnknown(image) ? parseImageRef(image) : undefined;
  if (ref && isDatabaseImage(ref)) return true;
  if (publishedDatabasePorts(props.ports).length > 0) return true;
  if (ref) return false;
  const tests = (props.healthcheck as { tests?: unknown } | undefined)?.tests;
  return Array.isArray(tests) && tests.some((t) => typeof t === "string" && DB_HEALTHCHECK.test(t));
}

export const dockerContainerDatabaseNotPublished: ResourceValidationPolicy = {
  name: NAME,
  description:
    "Database containers (Postgres, PgBouncer, Redis and the like) publish no port on a public or unspecified address (only on a private-network address) and do not use the host's network.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Remove `ports`, `publishAllPorts` and `networkMode: host` from the database container in its component (components/shared/datastores.ts for the services' Postgres and Redis); services reach it by name on their internal network, or, on a host of its own, through a port bound to the host's private-network address (`ip` in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16; stacks/growth.ts placement). Check with `coop gate --stack <stack>`, then put the change to the members with `coop propose --stack <stack> --post`.",
  validateResource: forType("docker:index/container:Container", (args, report) => {
    if (args.type !== "docker:index/container:Container") return;
    const props = unproxied(args.props);
    if (!isDatabaseContainer(props)) return;
    const ports = props.ports;
    const dbPorts = publishedDatabasePorts(ports);
    const serving = dbPorts.length ? `, including database port ${dbPorts.join(" and ")}` : "";
    if (isUnknown(ports)) reportAt(report, "mandatory", `${args.name} is a database and publishes ports computed at deploy time`, args.urn);
    else if (Array.isArray(ports) && ports.length > 0) {
      const open = ports.filter((p) => !boundToPrivateAddress(p));
      if (open.length > 0) {
        const where = [...new Set(open.map((p) => String((p as { ip?: unknown } | null)?.ip ?? "all addresses")))].join(", ");
        reportAt(
          report,
          "mandatory",
          `${args.name} is a database and publishes ${open.length} port(s)${serving} on ${where}, not only on a private-network address`,
          args.urn,
        );
      }
    }
    if (props.publishAllPorts === true) reportAt(report, "mandatory", `${args.name} is a database and publishes all its ports`, args.urn);
    if (props.networkMode === "host") reportAt(report, "mandatory", `${args.name} is a database on the host's network`, args.urn);
  }),
};
