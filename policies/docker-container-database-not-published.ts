/**
 * Databases (Postgres, Redis) stay on internal Docker networks: never a published port, never
 * the host's network.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isUnknown } from "./view";
import { isDatabaseImage, parseImage } from "./support/images";
import { forType, reportAt, unproxied } from "./support/report";

export const NAME = "docker-container-database-not-published";

const DB_HEALTHCHECK = /\b(pg_isready|redis-cli|valkey-cli|mysqladmin|mongosh)\b/;

/** A database container: by its image, or (when the image is computed) by its health check. */
export function isDatabaseContainer(props: Record<string, unknown>): boolean {
  const image = props.image;
  if (typeof image === "string" && !isUnknown(image)) return isDatabaseImage(parseImage(image));
  const tests = (props.healthcheck as { tests?: unknown } | undefined)?.tests;
  return Array.isArray(tests) && tests.some((t) => typeof t === "string" && DB_HEALTHCHECK.test(t));
}

export const dockerContainerDatabaseNotPublished: ResourceValidationPolicy = {
  name: NAME,
  description: "Postgres and Redis containers publish no port and do not use the host's network.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "Remove the ports from the database container; services reach it by name on their internal network.",
  validateResource: forType("docker:index/container:Container", (args, report) => {
    if (args.type !== "docker:index/container:Container") return;
    const props = unproxied(args.props);
    if (!isDatabaseContainer(props)) return;
    const ports = props.ports;
    if (isUnknown(ports)) reportAt(report, "mandatory", `${args.name} is a database and publishes ports computed at deploy time`, args.urn);
    else if (Array.isArray(ports) && ports.length > 0) reportAt(report, "mandatory", `${args.name} is a database and publishes ${ports.length} port(s)`, args.urn);
    if (props.publishAllPorts === true) reportAt(report, "mandatory", `${args.name} is a database and publishes all its ports`, args.urn);
    if (props.networkMode === "host") reportAt(report, "mandatory", `${args.name} is a database on the host's network`, args.urn);
  }),
};
