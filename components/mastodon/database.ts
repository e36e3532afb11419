/**
 * Mastodon's database on a host of its own (stacks/growth.ts placement, role postgres):
 * Postgres and PgBouncer in front of it, both published on the host's address in the stack's
 * Hetzner private network and nowhere else (policies/docker-container-database-not-published.ts).
 *
 * PgBouncer in transaction mode is what Mastodon's scaling guide advises once the processes of
 * several hosts share one database (admin/scaling, "Transaction pooling with PgBouncer"): web,
 * streaming and Sidekiq connect to it (DB_PORT 6432, PREPARED_STATEMENTS=false), while the
 * migrations connect to Postgres directly (the guide: "You cannot use PgBouncer to perform
 * db:migrate tasks").
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  type ChildOptions,
  containerOptions,
  dataVolume,
  dockerName,
  healthcheck,
  postgresContainer,
  privatePorts,
} from "../shared/datastores";
import { PGBOUNCER_IMAGE, type PostgresMajor } from "../shared/images";
import type { DockerHostRef } from "../shared/interfaces";

export const POSTGRES_PORT = 5432;
export const PGBOUNCER_PORT = 6432;
/** PgBouncer's own memory: a pooler of a few hundred connections needs little. */
export const PGBOUNCER_MEMORY_MB = 64;

/** The pooler's settings: Mastodon's guide's (pool_mode transaction, its default pool sizes). */
export const PGBOUNCER_SETTINGS = {
  POOL_MODE: "transaction",
  MAX_CLIENT_CONN: "100",
  DEFAULT_POOL_SIZE: "20",
  // Postgres 18 stores SCRAM verifiers; PgBouncer checks clients the same way.
  AUTH_TYPE: "scram-sha-256",
  LISTEN_PORT: String(PGBOUNCER_PORT),
} as const;

export interface MastodonDatabaseArgs {
  /** The database host's Docker engine. */
  readonly host: DockerHostRef;
  /** The database host's address on the private network. */
  readonly privateIp: string;
  /** Its attachment to the private network and the bind setting: what publishes there waits for them. */
  readonly attached: readonly pulumi.Resource[];
  readonly major: PostgresMajor;
  readonly database: string;
  readonly user: string;
  readonly memoryMb: number;
}

export class MastodonDatabase extends pulumi.ComponentResource {
  readonly password: pulumi.Output<string>;
  /** Where the processes connect (through PgBouncer) and where the migrations do (Postgres). */
  readonly pooled: { readonly host: string; readonly port: number };
  readonly direct: { readonly host: string; readonly port: number };
  /** The container the backup dumps (on the database host). */
  readonly postgresContainer: string;

  constructor(name: string, args: MastodonDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:services:MastodonDatabase", name, {}, opts);
    const host = args.host;
    const child: ChildOptions = { parent: this, provider: host.provider };
    const n = (part: string) => dockerName(host, "mastodon", part);
    const p = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, protect: true });
    this.password = pulumi.secret(p.result);

    // Not internal: Docker publishes no port of a container on internal networks only.
    const network = new docker.Network(`${name}-network`, { name: n("db"), driver: "bridge" }, { ...child, deleteBeforeReplace: true });
    const volume = dataVolume(`${name}-data`, n(`postgres${args.major}`), child);
    const postgres = postgresContainer(
      {
        resourceName: `${name}-postgres`,
        containerName: n("postgres"),
        major: args.major,
        volume,
        network,
        database: args.database,
        user: args.user,
        password: this.password,
        memoryMb: args.memoryMb - PGBOUNCER_MEMORY_MB,
        publishOn: { ip: args.privateIp, port: POSTGRES_PORT, internal: POSTGRES_PORT },
        dependsOn: [...args.attached],
      },
      child,
    );
    new docker.Container(
      `${name}-pgbouncer`,
      {
        name: n("pgbouncer"),
        image: PGBOUNCER_IMAGE,
        restart: "unless-stopped",
        envs: [
          `DB_HOST=${n("postgres")}`,
          `DB_PORT=${POSTGRES_PORT}`,
          `DB_NAME=${args.database}`,
          `DB_USER=${args.user}`,
          pulumi.secret(pulumi.concat("DB_PASSWORD=", this.password)),
          ...Object.entries(PGBOUNCER_SETTINGS).map(([k, v]) => `${k}=${v}`),
        ],
        networksAdvanced: [{ name: network.name }],
        healthcheck: healthcheck(["CMD-SHELL", `nc -z 127.0.0.1 ${PGBOUNCER_PORT} || exit 1`], "10s"),
        memory: PGBOUNCER_MEMORY_MB,
        ...privatePorts({ ip: args.privateIp, port: PGBOUNCER_PORT, internal: PGBOUNCER_PORT }),
      },
      containerOptions(child, { dependsOn: [postgres, ...args.attached] }),
    );
    this.pooled = { host: args.privateIp, port: PGBOUNCER_PORT };
    this.direct = { host: args.privateIp, port: POSTGRES_PORT };
    this.postgresContainer = n("postgres");
    this.registerOutputs({});
  }
}
