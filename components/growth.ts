/**
 * Declares what a stack grows with (stacks/growth.ts): the buckets in Hetzner Object Storage,
 * the private network, and the hosts beside the main one with their roles. components/coop.ts
 * calls it and hands what it returns to the main host and to Mastodon and Nextcloud.
 *
 * Why several hosts in one stack, not one stack per host: the database host, the workers and
 * the main host share a private network, one generated database password and one plan. In one
 * stack the members approve a move of a role as one change with one cost delta, the lock holds
 * every host and container, and no StackReference has to carry the database password between
 * stacks. Services that share nothing (mail, Nextcloud) stay in stacks of their own
 * (stacks/split-*.yaml).
 */
import * as command from "@pulumi/command";
import * as hcloud from "@pulumi/hcloud";
import type * as pulumi from "@pulumi/pulumi";
import type { StackSecrets } from "../stacks/config";
import {
  SIDEKIQ_HOST_NEED_MB,
  mainSidekiqQueues,
  mediaHostLabel,
  type PlacedHost,
  postgresHost,
  privateAddress,
  usableOn,
} from "../stacks/growth";
import type { StackSpec } from "../stacks/schema";
import { Backup, type BackupArgs } from "./backup/backup";
import { Host, type HetznerHostArgs, type HostArgs } from "./host/host";
import { MASTODON_DB, type MastodonArgs } from "./mastodon/mastodon";
import { MastodonDatabase } from "./mastodon/database";
import { renderMediaRetentionCommand } from "./mastodon/media-retention";
import { type BucketRef, ObjectStorage } from "./shared/object-storage";
import type { DockerHostRef, WebRoute } from "./shared/interfaces";
import { checkedName, slug } from "./shared/naming";

export interface GrowthArgs {
  readonly stack: string;
  readonly spec: StackSpec;
  readonly secrets: StackSecrets;
  readonly namePrefix: string;
  readonly hostArgs: HostArgs;
}

/** A year: Mastodon's files never change under their name (a new upload gets a new one). */
export const MEDIA_MAX_AGE_SECONDS = 31536000;

/** Hetzner's network zone of a location (a subnet and its servers must be in the same zone). */
export const NETWORK_ZONES: Readonly<Record<string, string>> = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
};

interface Placed {
  readonly spec: PlacedHost;
  readonly host: Host;
  readonly docker: DockerHostRef;
}

export interface Growth {
  readonly mainHostArgs: HostArgs;
  readonly mastodonMedia?: BucketRef;
  readonly nextcloudFiles?: BucketRef;
  /** What Mastodon gets from the growth blocks, given the main host. */
  mastodonArgs(main: Host): Partial<MastodonArgs>;
  /** The nightly retention of Mastodon's media cache on the main host (media in the bucket only). */
  declareMediaRetention(main: Host, mastodon: { readonly webContainer: string } & pulumi.Resource): void;
  /** The placed hosts' own backups (the database host's dumps); returns stack outputs. */
  declareBackups(settings: Omit<BackupArgs, "sources" | "host" | "namePrefix">): Record<string, pulumi.Input<unknown>>;
}

/** The bucket name prefix: the spec's, or the co-op's short name and the stack. */
export function bucketPrefix(spec: StackSpec, stack: string): string {
  return spec.objectStorage.bucketPrefix ?? checkedName(`${slug(spec.coop.name)}-${slug(stack)}`.slice(0, 40).replace(/-+$/, ""));
}

/** The proxy route that serves Mastodon's bucket at the alias host. */
export function mediaRoute(spec: StackSpec, bucket: BucketRef): WebRoute {
  return {
    kind: "bucket",
    hostname: `${mediaHostLabel(spec)}.${spec.domain}`,
    bucketHost: bucket.bucketHost,
    corsOrigin: `https://${spec.services.mastodon.hostname}.${spec.domain}`,
    maxAgeSeconds: MEDIA_MAX_AGE_SECONDS,
  };
}

export function declareGrowth({ stack, spec, secrets, namePrefix, hostArgs }: GrowthArgs): Growth {
  const os = spec.objectStorage;
  let mastodonMedia: BucketRef | undefined;
  let nextcloudFiles: BucketRef | undefined;
  if (os.enabled && secrets.objectStorageAccessKey && secrets.objectStorageSecretKey) {
    const storage = new ObjectStorage("object-storage", {
      location: os.location,
      bucketPrefix: bucketPrefix(spec, stack),
      accessKey: secrets.objectStorageAccessKey,
      secretKey: secrets.objectStorageSecretKey,
    });
    if (mediaHostLabel(spec)) mastodonMedia = storage.bucket("media", true);
    if (os.nextcloudPrimary && spec.services.nextcloud.enabled) nextcloudFiles = storage.bucket("files", false);
  }

  const pl = spec.placement;
  const placed: Placed[] = [];
  let mainHostArgs = hostArgs;
  if (pl.hosts.length > 0 && hostArgs.target === "hetzner") {
    const network = new hcloud.Network("private-network", {
      name: checkedName(`${namePrefix}-private`),
      // The network spans the /16 around the subnet, so more subnets (another zone) fit later.
      ipRange: pl.networkRange.replace(/^(\d+\.\d+)\.\d+\.0\/24$/, "$1.0.0/16"),
      labels: { ...(hostArgs.labels ?? {}) },
    });
    const subnet = new hcloud.NetworkSubnet("private-subnet", {
      networkId: network.id.apply(Number),
      type: "cloud",
      networkZone: NETWORK_ZONES[hostArgs.location] ?? "eu-central",
      ipRange: pl.networkRange,
    });
    mainHostArgs = { ...hostArgs, privateNetwork: { subnetId: subnet.id, ip: privateAddress(pl.networkRange, 0) } };
    pl.hosts.forEach((h, i) => {
      const args: HetznerHostArgs = {
        ...hostArgs,
        serverType: h.serverType,
        volumeSizeGb: h.volumeSizeGb,
        // Nothing of a placed host faces the internet: SSH from the admins' networks only.
        publicPorts: [],
        namePrefix: checkedName(`${namePrefix}-${h.name}`),
        privateNetwork: { subnetId: subnet.id, ip: privateAddress(pl.networkRange, i + 1) },
      };
      const host = new Host(`host-${h.name}`, args);
      placed.push({ spec: h, host, docker: { provider: host.dockerProvider, namePrefix: args.namePrefix, target: "hetzner" } });
    });
  }

  const dbPlaced = placed.find((p) => p.spec === postgresHost(pl));
  let database: MastodonDatabase | undefined;
  if (dbPlaced?.host.privateNetwork && spec.services.mastodon.enabled) {
    database = new MastodonDatabase("mastodon-database", {
      host: dbPlaced.docker,
      privateIp: dbPlaced.host.privateNetwork.ip,
      attached: dbPlaced.host.privateNetwork.ready,
      major: spec.services.mastodon.postgresMajor,
      database: MASTODON_DB.name,
      user: MASTODON_DB.user,
      memoryMb: usableOn(dbPlaced.spec.serverType),
    });
  }

  return {
    mainHostArgs,
    mastodonMedia,
    nextcloudFiles,
    mastodonArgs(main: Host): Partial<MastodonArgs> {
      const workers = placed.filter((p) => p.spec.roles.includes("sidekiq"));
      return {
        ...(mastodonMedia
          ? {
              objectStorage: {
                bucket: mastodonMedia.bucket,
                endpointHost: mastodonMedia.endpointHost,
                region: mastodonMedia.region,
                aliasHost: `${mediaHostLabel(spec)}.${spec.domain}`,
                accessKey: mastodonMedia.accessKey,
                secretKey: mastodonMedia.secretKey,
              },
            }
          : {}),
        ...(database
          ? { database: { pooled: database.pooled, direct: database.direct, password: database.password, ready: database } }
          : {}),
        ...(workers.length > 0
          ? {
              sidekiqQueues: mainSidekiqQueues(pl),
              workers: workers.map((w) => ({
                name: w.spec.name,
                host: w.docker,
                queues: w.spec.queues,
                // A worker host runs Sidekiq alone: what is usable beside the system, at least its need.
                memoryMb: Math.max(SIDEKIQ_HOST_NEED_MB, usableOn(w.spec.serverType)),
              })),
              privateNetwork: main.privateNetwork,
            }
          : {}),
      };
    },
    declareMediaRetention(main, mastodon) {
      if (!mastodonMedia || !main.ssh || !main.serverId) return;
      new command.remote.Command(
        "mastodon-media-retention",
        {
          connection: { host: main.ssh.host, user: main.ssh.user, dialErrorLimit: 60, perDialTimeout: 20 },
          create: renderMediaRetentionCommand({
            webContainer: mastodon.webContainer,
            remoteMediaDays: os.remoteMediaDays,
            previewCardDays: os.previewCardDays,
          }),
          // A new server gets its units again.
          triggers: [main.serverId],
          addPreviousOutputInEnv: false,
        },
        { dependsOn: [main.ssh.ready, mastodon] },
      );
    },
    declareBackups(settings) {
      if (!database || !dbPlaced?.host.ssh || !dbPlaced.host.serverId) return {};
      const backup = new Backup(`backup-${dbPlaced.spec.name}`, {
        ...settings,
        sources: [
          {
            service: "mastodon",
            postgres: [{ container: database.postgresContainer, database: MASTODON_DB.name, user: MASTODON_DB.user }],
            volumes: [],
          },
        ],
        host: { ssh: dbPlaced.host.ssh, serverId: dbPlaced.host.serverId },
        namePrefix: dbPlaced.docker.namePrefix,
      });
      return {
        [`backupRepository_${dbPlaced.spec.name}`]: backup.repository,
        [`backupResticPassword_${dbPlaced.spec.name}`]: backup.resticPassword,
      };
    },
  };
}
