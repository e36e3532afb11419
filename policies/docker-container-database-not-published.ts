/**
 * Databases (Postgres, Redis and the like) stay on internal Docker networks: never a published
 * port, never the host's network. A database is known by its image's name or, whatever the
 * image, by publishing a database's well-known port.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isUnknown } from "../plan/view";
import { parseImageRef } from "../kernel/image-ref";
import { DATABASE_PORTS, isDatabaseImage } from "./support/images";
import { forType, reportAt, unproxied } from "./support/report";

export const NAME = "docker-container-database-not-published";

const DB_HEALTHCHECK = /\b(pg_isready|redis-cli|valkey-cli|mysqladmin|mongosh)\b/;

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
  description: "Database containers (Postgres, Redis and the like) publish no port and do not use the host's network.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Remove `ports`, `publishAllPorts` and `networkMode: host` from the database container in its component (components/shared/datastores.ts for the services' Postgres and Redis); services reach it by name on their internal network. Check with `coop gate --stack <stack>`, then put the change to the members with `coop propose --stack <stack> --post`.",
  validateResource: forType("docker:index/container:Container", (args, report) => {
    if (args.type !== "docker:index/container:Container") return;
    const props = unproxied(args.props);
    if (!isDatabaseContainer(props)) return;
    const ports = props.ports;
    const dbPorts = publishedDatabasePorts(ports);
    const serving = dbPorts.length ? `, including database port ${dbPorts.join(" and ")}` : "";
    if (isUnknown(ports)) reportAt(report, "mandatory", `${args.name} is a database and publishes ports computed at deploy time`, args.urn);
    else if (Array.isArray(ports) && ports.length > 0)
      reportAt(report, "mandatory", `${args.name} is a database and publishes ${ports.length} port(s)${serving}`, args.urn);
    if (props.publishAllPorts === true) reportAt(report, "mandatory", `${args.name} is a database and publishes all its ports`, args.urn);
    if (props.networkMode === "host") reportAt(report, "mandatory", `${args.name} is a database on the host's network`, args.urn);
  }),
};
