/**
 * What the web services share: named volumes that survive their containers, and the Postgres
 * and Redis each service runs for itself on its own internal network (never published).
 *
 * Why named volumes: an image's VOLUME that is not backed by a named volume gets an anonymous
 * one, and the Docker provider removes anonymous volumes with the container (`removeVolumes`
 * defaults to true), i.e. on every replacement. So every path an image declares is mounted
 * from a named volume at exactly that path (test/oracles/image-volumes.txt).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DockerHostRef } from "./interfaces";
import { POSTGRES_IMAGES, type PostgresMajor, REDIS_IMAGE } from "./images";
import { checkedName } from "./naming";

/**
 * Where the image keeps its data. Postgres 18 images moved the VOLUME up to /var/lib/postgresql
 * (PGDATA=/var/lib/postgresql/18/docker, so a later major can sit beside it for pg_upgrade);
 * mounting at the old path would leave the real data on an anonymous volume.
 */
export function postgresDataPath(major: PostgresMajor): string {
  return major >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
}

export const REDIS_DATA_PATH = "/data";

/** The Docker name of a service's part: `${namePrefix}-<service>-<part>`, always one DNS label (naming.ts). */
export function dockerName(host: Pick<DockerHostRef, "namePrefix">, service: string, part: string): string {
  return checkedName(`${host.namePrefix}-${service}-${part}`);
}

/** Health check timing shared by the long-running containers (Docker's defaults are 30s/30s/3). */
export function healthcheck(tests: string[], startPeriod = "60s"): docker.types.input.ContainerHealthcheck {
  return { tests, interval: "30s", timeout: "10s", retries: 5, startPeriod, startInterval: "5s" };
}

export interface ChildOptions {
  readonly parent: pulumi.Resource;
  readonly provider: docker.Provider;
}

/**
 * A named volume holding data. `protect` makes Pulumi refuse to delete it (also when a service
 * is switched off: the admin must unprotect it on purpose); `retainOnDelete` keeps the data on
 * the host even then, so removing it is always a separate, manual `docker volume rm`.
 */
export function dataVolume(resourceName: string, name: string, opts: ChildOptions): docker.Volume {
  return new docker.Volume(resourceName, { name, driver: "local" }, { ...opts, protect: true, retainOnDelete: true });
}

/**
 * Containers have fixed names, and Docker refuses a second container with the same name, so a
 * replacement must remove the old one first (Pulumi's default creates the new one first).
 */
export function containerOptions(opts: ChildOptions, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
  return { ...opts, deleteBeforeReplace: true, ...extra };
}

export interface PostgresArgs {
  readonly resourceName: string;
  readonly containerName: string;
  readonly major: PostgresMajor;
  readonly volume: docker.Volume;
  readonly network: docker.Network;
  readonly database: string;
  readonly user: string;
  /** The generated password (a secret); only the superuser the image creates uses it. */
  readonly password: pulumi.Input<string>;
  readonly memoryMb: number;
  /** On a host of its own: the private address it is published on (never a public one). */
  readonly publishOn?: PrivatePort;
  readonly dependsOn?: pulumi.Resource[];
}

/**
 * A port published on a private address only (the Hetzner private network). Docker binds it
 * to that address alone, so the public interfaces never carry it, whatever the firewall says.
 */
export interface PrivatePort {
  readonly ip: string;
  readonly port: number;
  readonly internal: number;
}

export function privatePorts(p: PrivatePort | undefined): { ports?: docker.types.input.ContainerPort[] } {
  return p ? { ports: [{ internal: p.internal, external: p.port, ip: p.ip, protocol: "tcp" }] } : {};
}

export function postgresContainer(a: PostgresArgs, opts: ChildOptions): docker.Container {
  return new docker.Container(
    a.resourceName,
    {
      name: a.containerName,
      image: POSTGRES_IMAGES[a.major],
      restart: "unless-stopped",
      envs: [`POSTGRES_DB=${a.database}`, `POSTGRES_USER=${a.user}`, pulumi.secret(pulumi.concat("POSTGRES_PASSWORD=", a.password))],
      volumes: [{ volumeName: a.volume.name, containerPath: postgresDataPath(a.major) }],
      networksAdvanced: [{ name: a.network.name }],
      // TCP on purpose: during first initialisation the entrypoint runs a socket-only
      // temporary server, which must not count as ready.
      healthcheck: healthcheck(["CMD", "pg_isready", "-h", "127.0.0.1", "-U", a.user, "-d", a.database], "30s"),
      // The services' first steps (migrations, installation) need the database up.
      wait: true,
      waitTimeout: 180,
      // As in Mastodon's compose file: parallel queries need more than Docker's 64 MB of /dev/shm.
      shmSize: 256,
      memory: a.memoryMb,
      // Let Postgres finish a checkpoint instead of being killed after Docker's 10 seconds.
      stopTimeout: 60,
      destroyGraceSeconds: 60,
      ...privatePorts(a.publishOn),
    },
    containerOptions(opts, a.dependsOn ? { dependsOn: a.dependsOn } : {}),
  );
}

/**
 * What a Redis holds decides what it may do when full:
 * - "store": data the application needs back (Mastodon's Sidekiq queues, home feeds, streaming):
 *   never evict (a full Redis refuses writes, which shows as errors instead of jobs silently
 *   lost), saved to its volume, and maxmemory at half the container's limit because saving
 *   forks Redis and the copy-on-write pages of the child count against the same limit;
 * - "cache": data the application rebuilds (Mastodon's cache, Nextcloud's cache and file locks):
 *   evict the least recently used keys, never saved, maxmemory at three quarters of the limit.
 * Mastodon's scaling guide recommends exactly this split ("Separate Redis for cache": a cache
 * Redis without background saving, with a memory limit and an eviction policy).
 */
export type RedisUse = "store" | "cache";

// The limit is part of the command, which the provider cannot change in place: a server resize
// (which restarts everything anyway) recreates the Redis containers on their volumes.
export function redisCommand(use: RedisUse, containerMemoryMb: number): string[] {
  const maxmemory = Math.floor((containerMemoryMb * (use === "store" ? 1 : 3)) / (use === "store" ? 2 : 4));
  return [
    "redis-server",
    "--maxmemory",
    `${maxmemory}mb`,
    "--maxmemory-policy",
    use === "store" ? "noeviction" : "allkeys-lru",
    ...(use === "cache" ? ["--save", "", "--appendonly", "no"] : []),
  ];
}

export interface RedisArgs {
  readonly resourceName: string;
  readonly containerName: string;
  readonly use: RedisUse;
  /** The data volume; without one (a cache that is never saved), /data is a small tmpfs. */
  readonly volume?: docker.Volume;
  readonly network: docker.Network;
  readonly memoryMb: number;
  /** For workers on other hosts: published on the private address, through a network that may publish. */
  readonly publishOn?: PrivatePort & { readonly network: pulumi.Input<string> };
  /** What must exist before the port can be bound (the private network's attachment). */
  readonly dependsOn?: readonly pulumi.Resource[];
}

export function redisContainer(a: RedisArgs, opts: ChildOptions): docker.Container {
  return new docker.Container(
    a.resourceName,
    {
      name: a.containerName,
      image: REDIS_IMAGE,
      command: redisCommand(a.use, a.memoryMb),
      restart: "unless-stopped",
      // The image declares /data a VOLUME: without a named volume Docker would make an anonymous one.
      ...(a.volume
        ? { volumes: [{ volumeName: a.volume.name, containerPath: REDIS_DATA_PATH }] }
        : { tmpfs: { [REDIS_DATA_PATH]: "size=8m" } }),
      // Docker publishes no port of a container on internal networks only: the published one joins a second.
      networksAdvanced: [{ name: a.network.name }, ...(a.publishOn ? [{ name: a.publishOn.network }] : [])],
      ...privatePorts(a.publishOn),
      healthcheck: healthcheck(["CMD", "redis-cli", "ping"], "10s"),
      wait: true,
      waitTimeout: 120,
      memory: a.memoryMb,
    },
    containerOptions(opts, a.dependsOn ? { dependsOn: [...a.dependsOn] } : {}),
  );
}

/** A network only the service's own containers join; `internal` also cuts it off the internet. */
export function internalNetwork(resourceName: string, name: string, opts: ChildOptions): docker.Network {
  return new docker.Network(resourceName, { name, driver: "bridge", internal: true }, { ...opts, deleteBeforeReplace: true });
}
