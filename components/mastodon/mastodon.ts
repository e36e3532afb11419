/**
 * Mastodon as the official compose file runs it: web (Puma), streaming, Sidekiq, Postgres and
 * Redis, every Mastodon container on one pinned release; Postgres and Redis only on the
 * service's internal network.
 *
 * Database migrations follow Mastodon's upgrade procedure, as its Helm chart does:
 *   1. `migrate` runs `rails db:prepare` with SKIP_POST_DEPLOYMENT_MIGRATIONS=true before the
 *      new web/streaming/sidekiq start. On the first deploy this creates the schema (Mastodon
 *      marks the post-deployment migrations as done when it loads the schema); on an upgrade
 *      it runs the migrations the new code needs while the old code still works.
 *   2. web, streaming and sidekiq start with the new release.
 *   3. `post-migrate` runs the full `rails db:migrate` (the post-deployment migrations).
 * Each run is a one-shot container the deploy waits for (`attach`); `migrate` is named after
 * its release (<prefix>-mastodon-migrate-<version>), so the old release serves until it succeeded. Docker reports its exit
 * code, and the next step's inputs depend on it being 0: a failed migration stops the deploy
 * with a message instead of starting code on a schema it does not expect.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import {
  type ChildOptions,
  containerOptions,
  dataVolume,
  dockerName,
  healthcheck,
  internalNetwork,
  postgresContainer,
  redisContainer,
} from "../shared/datastores";
import { splitMemory } from "../shared/memory";
import { RCLONE_IMAGE } from "../shared/images";
import type { PostgresMajor } from "../shared/images";
import { dockerEnvs } from "../shared/env";
import type { BackupSource, DockerHostRef, SmtpSender, WebRoute } from "../shared/interfaces";
import { SKIP_POST_DEPLOYMENT_MIGRATIONS, mastodonEnv, type MastodonObjectStorage, type MastodonSecrets } from "./env";
import { vapidKeysFromPem } from "./vapid";
import { Federation } from "./federation/federation";
import type { DomainBlock } from "../../stacks/federation";

export const MASTODON_IMAGE = "ghcr.io/mastodon/mastodon";
/** Since 4.3 the streaming server has its own image, released under the same tags. */
export const MASTODON_STREAMING_IMAGE = "ghcr.io/mastodon/mastodon-streaming";
/** Uploaded media when no object storage is configured (the compose file's public/system). */
export const MASTODON_MEDIA_PATH = "/opt/mastodon/public/system";

export const MASTODON_DB = { name: "mastodon_production", user: "mastodon", port: 5432 } as const;
export const MASTODON_WEB_PORT = 3000;
export const MASTODON_STREAMING_PORT = 4000;

/** Commands and health checks of the official docker-compose.yml. */
export const MASTODON_COMMANDS = {
  web: ["bundle", "exec", "puma", "-C", "config/puma.rb"],
  streaming: ["node", "./streaming/index.js"],
  sidekiq: ["bundle", "exec", "sidekiq"],
  prepare: ["bundle", "exec", "rails", "db:prepare"],
  migrate: ["bundle", "exec", "rails", "db:migrate"],
} as const;

export const MASTODON_HEALTHCHECKS = {
  web: ["CMD-SHELL", `curl -s --noproxy localhost localhost:${MASTODON_WEB_PORT}/health | grep -q 'OK' || exit 1`],
  streaming: [
    "CMD-SHELL",
    `curl -s --noproxy localhost localhost:${MASTODON_STREAMING_PORT}/api/v1/streaming/health | grep -q 'OK' || exit 1`,
  ],
  // The compose file greps for "sidekiq 6"; any major keeps the check true across Sidekiq upgrades.
  sidekiq: ["CMD-SHELL", "ps aux | grep '[s]idekiq [0-9]' || false"],
} as const;

/**
 * How many requests and jobs run at once: Mastodon's documented defaults (config.md, "Scaling
 * options": WEB_CONCURRENCY 2, MAX_THREADS 5, SIDEKIQ_CONCURRENCY 5), set explicitly because the
 * memory below is sized for them.
 */
export const MASTODON_CONCURRENCY = { webProcesses: 2, webThreads: 5, sidekiqThreads: 5 } as const;

/** Puma's master process and each of its workers (Mastodon's chart suggests a 1280Mi limit for 2 workers of 5 threads). */
export const PUMA_MB = { master: 384, perProcess: 448 } as const;

/**
 * What each container needs at least, in MB; together Mastodon's need in stacks/catalog.ts
 * (2560). Its share of the server is split in these proportions (mastodonMemory), so a runaway
 * process is stopped inside Mastodon's share instead of starving Nextcloud or mail.
 */
export const MASTODON_MEMORY_NEEDS_MB = {
  web: PUMA_MB.master + MASTODON_CONCURRENCY.webProcesses * PUMA_MB.perProcess,
  sidekiq: 640,
  streaming: 160,
  postgres: 288,
  redis: 128,
  redisCache: 64,
} as const;

/** The memory limit of each Mastodon container, from Mastodon's share of the server. */
export function mastodonMemory(budgetMb: number): Record<keyof typeof MASTODON_MEMORY_NEEDS_MB, number> {
  return splitMemory(budgetMb, MASTODON_MEMORY_NEEDS_MB);
}

export interface MastodonArgs {
  readonly host: DockerHostRef;
  /** Release tag of every Mastodon container, e.g. v4.6.3. */
  readonly version: string;
  /** Fully qualified host name, e.g. social.example.coop; also the domain of every handle. */
  readonly hostname: string;
  readonly postgresMajor: PostgresMajor;
  /** The proxy's network, which web and streaming join (and through which Mastodon reaches the internet). */
  readonly proxyNetwork: pulumi.Input<string>;
  /** The proxy's fixed addresses on that network: the only clients whose X-Forwarded-For counts. */
  readonly proxyAddresses: readonly string[];
  /** Where Mastodon sends sign-up confirmations and password resets; without it, it sends none. */
  readonly smtp?: SmtpSender;
  /** Mastodon's share of the server's memory in MB (stacks/catalog.ts serviceMemoryMb); its need when absent. */
  readonly memoryMb?: number;
  /** The servers it blocks and allows, applied through its admin API with this token (absent: none declared). */
  readonly federation?: {
    readonly domainBlocks: readonly DomainBlock[];
    readonly domainAllows: readonly string[];
    readonly token: pulumi.Input<string>;
  };
  /** Media in a bucket behind the alias host; absent: on the media volume. */
  readonly objectStorage?: MastodonObjectStorage<pulumi.Input<string>>;
  /** The database on a host of its own (database.ts); absent: Postgres beside web on this host. */
  readonly database?: {
    readonly pooled: { readonly host: string; readonly port: number };
    readonly direct: { readonly host: string; readonly port: number };
    readonly password: pulumi.Input<string>;
    readonly ready: pulumi.Resource;
  };
  /** The queues this host's Sidekiq processes; all of them when absent, none (no container) when empty. */
  readonly sidekiqQueues?: readonly string[];
  /** Sidekiq on worker hosts, each with its queues (stacks/growth.ts placement). */
  readonly workers?: ReadonlyArray<MastodonWorker>;
  /** This host's private-network address: Redis is published there for the worker hosts. */
  readonly privateNetwork?: { readonly ip: string; readonly ready: readonly pulumi.Resource[] };
}

export interface MastodonWorker {
  readonly name: string;
  readonly host: DockerHostRef;
  readonly queues: readonly string[];
  readonly memoryMb: number;
}

export const REDIS_PORT = 6379;
/** The cache Redis's port on the private network (the main Redis has 6379 there). */
export const REDIS_CACHE_PRIVATE_PORT = 6380;

/** Sidekiq's command for a set of queues: `-q` for each, in Mastodon's order of importance. */
export function sidekiqCommand(queues?: readonly string[]): string[] {
  return [...MASTODON_COMMANDS.sidekiq, ...(queues ?? []).flatMap((q) => ["-q", q])];
}

/** How the proxy reaches Mastodon: the streaming API on its own server, everything else on web. */
export function mastodonRoute(host: Pick<DockerHostRef, "namePrefix">, hostname: string): WebRoute {
  return {
    kind: "proxy",
    hostname,
    upstream: `${dockerName(host, "mastodon", "web")}:${MASTODON_WEB_PORT}`,
    paths: [{ path: "/api/v1/streaming", upstream: `${dockerName(host, "mastodon", "streaming")}:${MASTODON_STREAMING_PORT}` }],
    // Mastodon's own nginx example allows 99 MiB (video uploads); a little more for the form around it.
    maxBodyMb: 100,
  };
}

/** The command that creates the first account with every permission (run on the host). */
export function mastodonOwnerCommand(host: Pick<DockerHostRef, "namePrefix">): string {
  return `docker exec -it ${dockerName(host, "mastodon", "web")} tootctl accounts create USERNAME --email EMAIL --confirmed --approve --role Owner`;
}

/** The pre-deployment migration's container: one per release (see the Mastodon class). */
export function migrateContainerName(host: Pick<DockerHostRef, "namePrefix">, version: string): string {
  return dockerName(host, "mastodon", `migrate-${version}`);
}

export class Mastodon extends pulumi.ComponentResource {
  readonly webContainer: string;
  /** What the backup saves: the database (dumped) and the media and Redis volumes. */
  readonly backup: BackupSource;
  /** Resolves when the post-deployment migrations succeeded; fails the deploy otherwise. */
  readonly migrated: pulumi.Output<string>;
  readonly sendsMail: boolean;

  constructor(name: string, args: MastodonArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:services:Mastodon", name, {}, opts);
    const host = args.host;
    const child: ChildOptions = { parent: this, provider: host.provider };
    const n = (part: string) => dockerName(host, "mastodon", part);
    const image = `${MASTODON_IMAGE}:${args.version}`;
    const memory = mastodonMemory(args.memoryMb ?? sumOf(MASTODON_MEMORY_NEEDS_MB));
    const streamingImage = `${MASTODON_STREAMING_IMAGE}:${args.version}`;

    const network = internalNetwork(`${name}-internal`, n("internal"), child);
    // The Postgres major is part of the name: a major upgrade gets a new volume and leaves the
    // old cluster untouched for the dump/restore (docs/runbook/upgrade-mastodon.md).
    const remoteDb = args.database;
    const dbVolume = remoteDb ? undefined : dataVolume(`${name}-postgres-data`, n(`postgres${args.postgresMajor}`), child);
    const redisVolume = dataVolume(`${name}-redis-data`, n("redis"), child);
    const media = dataVolume(`${name}-media`, n("media"), child);

    const secrets = generateSecrets(name, this);
    const dbPassword = remoteDb ? remoteDb.password : password(`${name}-db-password`, this);

    const db = dbVolume
      ? postgresContainer(
          {
            resourceName: `${name}-db`,
            containerName: n("db"),
            major: args.postgresMajor,
            volume: dbVolume,
            network,
            database: MASTODON_DB.name,
            user: MASTODON_DB.user,
            password: dbPassword,
            memoryMb: memory.postgres,
          },
          child,
        )
      : remoteDb?.ready;
    // Worker hosts reach Redis over the private network: published on this host's private address only.
    const priv = args.privateNetwork;
    const workers = args.workers ?? [];
    const published =
      priv && workers.length > 0
        ? new docker.Network(`${name}-private`, { name: n("private"), driver: "bridge" }, { ...child, deleteBeforeReplace: true })
        : undefined;
    const publishRedis = (port: number) =>
      priv && published ? { publishOn: { ip: priv.ip, port, internal: REDIS_PORT, network: published.name }, dependsOn: priv.ready } : {};
    // Sidekiq's queues, the home feeds and the streaming API's messages: never evicted, saved.
    const redis = redisContainer(
      {
        resourceName: `${name}-redis`,
        containerName: n("redis"),
        use: "store",
        volume: redisVolume,
        network,
        memoryMb: memory.redis,
        ...publishRedis(REDIS_PORT),
      },
      child,
    );
    // Rails' cache: evicted when full, never saved (CACHE_REDIS_HOST).
    const redisCache = redisContainer(
      {
        resourceName: `${name}-redis-cache`,
        containerName: n("redis-cache"),
        use: "cache",
        network,
        memoryMb: memory.redisCache,
        ...publishRedis(REDIS_CACHE_PRIVATE_PORT),
      },
      child,
    );

    const smtp = args.smtp;
    const dbAt = (at: { host: string; port: number }) => ({ ...at, name: MASTODON_DB.name, user: MASTODON_DB.user, password: dbPassword });
    const localDb = { host: n("db"), port: MASTODON_DB.port };
    const envInput = {
      localDomain: args.hostname,
      db: dbAt(remoteDb ? remoteDb.pooled : localDb),
      pooled: remoteDb !== undefined,
      objectStorage: args.objectStorage,
      redis: { host: n("redis"), port: REDIS_PORT },
      cacheRedis: { host: n("redis-cache"), port: REDIS_PORT },
      concurrency: MASTODON_CONCURRENCY,
      trustedProxies: args.proxyAddresses,
      secrets,
      smtp: smtp && {
        server: smtp.host,
        port: smtp.port,
        security: smtp.security,
        login: smtp.username,
        password: smtp.password,
        fromAddress: smtp.fromAddress,
        // On the local target the mail server's certificate comes from Caddy's private authority.
        verifyCertificate: host.target !== "local",
      },
    };
    const env = mastodonEnv<pulumi.Input<string>>(envInput);
    // Migrations go straight to Postgres: PgBouncer's transaction pooling cannot run them (admin/scaling).
    const migrationEnvs = remoteDb
      ? dockerEnvs(mastodonEnv<pulumi.Input<string>>({ ...envInput, db: dbAt(remoteDb.direct), pooled: false }))
      : undefined;
    // Worker hosts reach Redis on this host's private address.
    const workerEnvs =
      priv && workers.length > 0
        ? dockerEnvs(
            mastodonEnv<pulumi.Input<string>>({
              ...envInput,
              redis: { host: priv.ip, port: REDIS_PORT },
              cacheRedis: { host: priv.ip, port: REDIS_CACHE_PRIVATE_PORT },
            }),
          )
        : undefined;
    this.sendsMail = smtp !== undefined;
    if (!smtp) {
      void pulumi.log.warn(
        `Mastodon at ${args.hostname} has no mail server to send through, so it cannot confirm sign-ups or reset passwords. ` +
          "Enable the mail service in this stack (services.mail) or point it to the mail stack.",
        this,
      );
    }
    const envs = dockerEnvs(env);
    const internalOnly = [{ name: network.name }];
    const bothNetworks = [{ name: args.proxyNetwork }, { name: network.name }];
    // Mail is sent by Sidekiq's mailer jobs and, for a few messages, by web itself.
    const mailNetwork = smtp?.network !== undefined ? [{ name: smtp.network }] : [];
    const mediaVolume = [{ volumeName: media.name, containerPath: MASTODON_MEDIA_PATH }];

    const oneShot = (
      part: string,
      containerName: string,
      command: readonly string[],
      extraEnv: pulumi.Input<string>[],
      dependsOn: pulumi.Resource[],
      replace: "delete-first" | "create-first",
    ) =>
      new docker.Container(
        `${name}-${part}`,
        {
          name: containerName,
          image,
          command: [...command],
          envs: [...(migrationEnvs ?? envs), ...extraEnv],
          networksAdvanced: internalOnly,
          // Run to completion once per release: the deploy waits for the exit, and the stopped
          // container is left in place for `docker logs`.
          mustRun: false,
          attach: true,
          restart: "no",
          memory: memory.web,
        },
        // Migrations of a large instance can take longer than the provider's 20 minutes.
        replace === "delete-first"
          ? containerOptions(child, { dependsOn, customTimeouts: { create: "90m" } })
          : { ...child, dependsOn, customTimeouts: { create: "90m" } },
      );

    // The pre-deployment migration is named after its release and replaced create-first (not
    // delete-before-replace): on an upgrade the new release's migrate runs, and must succeed,
    // while the old web, streaming and Sidekiq keep serving; only then are they replaced. A
    // delete-before-replace here would make the engine delete everything that depends on it
    // (the three long-running containers) before the new migration even started. Within one
    // release the name stays, so a change to its environment alone (a rotated secret) would
    // meet the old container's name: docs/runbook/rotate-a-secret.md removes it first.
    const migrateName = migrateContainerName(host, args.version);
    const migrate = oneShot(
      "migrate",
      migrateName,
      MASTODON_COMMANDS.prepare,
      dockerEnvs([SKIP_POST_DEPLOYMENT_MIGRATIONS]),
      [...(db ? [db] : []), redis, redisCache],
      "create-first",
    );
    const migrateOk = succeeded(migrate, migrateName, "database migration", args.version);
    // A label the new containers carry: their inputs resolve only once the migration succeeded.
    const gate = [{ label: "coop-infra.migrated", value: migrateOk }];

    const longRunning = (part: "web" | "streaming" | "sidekiq", more: Partial<docker.ContainerArgs>, resource = `${name}-${part}`) =>
      new docker.Container(
        resource,
        {
          name: n(part),
          image,
          command: [...MASTODON_COMMANDS[part]],
          envs,
          networksAdvanced: bothNetworks,
          restart: "unless-stopped",
          healthcheck: healthcheck([...MASTODON_HEALTHCHECKS[part]], "120s"),
          labels: gate,
          memory: memory[part],
          ...more,
        },
        containerOptions(child, { dependsOn: [migrate] }),
      );
    // web and streaming: the deploy waits until they answer their health checks, so a release
    // that does not start fails the deploy instead of going unnoticed.
    const web = longRunning("web", {
      volumes: mediaVolume,
      networksAdvanced: [...bothNetworks, ...mailNetwork],
      wait: true,
      waitTimeout: 300,
    });
    const streaming = longRunning("streaming", { image: streamingImage, wait: true, waitTimeout: 300 });
    // Sidekiq delivers to other servers, so it needs the proxy network's way out too.
    const mainQueues = args.sidekiqQueues;
    const sidekiq =
      mainQueues === undefined || mainQueues.length > 0
        ? longRunning("sidekiq", {
            volumes: mediaVolume,
            networksAdvanced: [...bothNetworks, ...mailNetwork],
            // Only when the queues are split: without -q, Sidekiq processes config/sidekiq.yml's (all, scheduler included).
            ...(mainQueues === undefined || workers.length === 0 ? {} : { command: sidekiqCommand(mainQueues) }),
          })
        : undefined;
    // Sidekiq on the worker hosts: their own queues, Redis and Postgres over the private network,
    // media in the bucket (the schema refuses workers without object storage), mail over the internet.
    const workerContainers = workers.map(
      (w) =>
        new docker.Container(
          `${name}-sidekiq-${w.name}`,
          {
            name: n("sidekiq"),
            image,
            command: sidekiqCommand(w.queues),
            envs: workerEnvs ?? envs,
            restart: "unless-stopped",
            healthcheck: healthcheck([...MASTODON_HEALTHCHECKS.sidekiq], "120s"),
            labels: gate,
            memory: w.memoryMb,
          },
          containerOptions({ parent: this, provider: w.host.provider }, { dependsOn: [migrate, redis, redisCache] }),
        ),
    );

    // After the new release started: nothing serves from it, so a fixed name (deleted first) is fine.
    const postMigrate = oneShot(
      "post-migrate",
      n("post-migrate"),
      MASTODON_COMMANDS.migrate,
      [],
      [web, streaming, ...(sidekiq ? [sidekiq] : []), ...workerContainers],
      "delete-first",
    );
    this.migrated = succeeded(postMigrate, n("post-migrate"), "post-deployment migration", args.version);

    // Blocks apply once the release they configure answers (and the provider waits for it too).
    const f = args.federation;
    if (f && f.domainBlocks.length + f.domainAllows.length > 0)
      new Federation(
        `${name}-federation`,
        { url: `https://${args.hostname}`, token: f.token, domainBlocks: f.domainBlocks, domainAllows: f.domainAllows, dependsOn: [web] },
        { parent: this },
      );

    this.webContainer = n("web");
    // Media in a bucket: the co-op's own files (not cache/, other servers' media, which Mastodon
    // fetches again) are mirrored into a volume before each backup, and the backup saves that.
    const mirror = args.objectStorage ? dataVolume(`${name}-media-mirror`, n("media-mirror"), child) : undefined;
    this.backup = {
      service: "mastodon",
      ...(args.objectStorage && mirror ? { before: [mediaMirrorCommand(n("web"), args.objectStorage, n("media-mirror"))] } : {}),
      postgres: remoteDb ? [] : [{ container: n("db"), database: MASTODON_DB.name, user: MASTODON_DB.user }],
      // Redis holds Sidekiq's queues and the home feeds; Mastodon's backup guide saves it too.
      // Media in a bucket is not on the volume (the bucket's own backup: docs/runbook/growth.md).
      volumes: mirror ? [mirror.name, redisVolume.name] : [media.name, redisVolume.name],
    };
    this.registerOutputs({ webContainer: this.webContainer, migrated: this.migrated });
  }
}

/**
 * One line of bash, run as root on the host before the backup copies Mastodon's volumes: rclone
 * makes the mirror volume equal to the bucket without cache/. The keys go from the web
 * container's environment to rclone's through a pipe (an env file that is never on disk), never
 * on a command line.
 */
export function mediaMirrorCommand(
  webContainer: string,
  o: Pick<MastodonObjectStorage<unknown>, "bucket" | "endpointHost" | "region">,
  mirrorVolume: string,
): string {
  for (const v of [webContainer, o.bucket, o.endpointHost, o.region, mirrorVolume])
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(v)) throw new Error(`'${v}' cannot go into the media mirror command`);
  const keys = `<(docker exec ${webContainer} printenv | grep -E '^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)=' | sed 's/^AWS_/RCLONE_CONFIG_BUCKET_/')`;
  const config = [`TYPE=s3`, `PROVIDER=Other`, `ENDPOINT=https://${o.endpointHost}`, `REGION=${o.region}`]
    .map((c) => `-e RCLONE_CONFIG_BUCKET_${c}`)
    .join(" ");
  return `docker run --rm --env-file ${keys} ${config} --volume ${mirrorVolume}:/data ${RCLONE_IMAGE} sync bucket:${o.bucket} /data --exclude 'cache/**' --checksum`;
}

/** The value, once the one-shot container exited with 0; otherwise an error that stops the deploy. */
function succeeded(c: docker.Container, containerName: string, what: string, value: string): pulumi.Output<string> {
  return pulumi.all([c.exitCode, c.urn]).apply(([code, urn]) => {
    if (code === 0) return value;
    throw new Error(
      `Mastodon's ${what} (container ${containerName}) exited with code ${code ?? "unknown"}, so the deploy stopped before starting the release on it. ` +
        `See why with: docker logs ${containerName}. After fixing the cause, run it again with: pulumi up --replace '${urn}'`,
    );
  });
}

function password(resourceName: string, parent: pulumi.Resource): pulumi.Output<string> {
  // Letters and digits only: the value travels through env files, URLs and shells unquoted.
  const p = new random.RandomPassword(resourceName, { length: 32, special: false }, { parent, protect: true });
  return pulumi.secret(p.result);
}

/**
 * Generated once and then kept: changing them logs everyone out (SECRET_KEY_BASE), breaks
 * two-factor login (OTP_SECRET), push subscriptions (VAPID) or makes encrypted columns
 * unreadable (Active Record keys). Hence `protect`: replacing one is a deliberate act
 * (docs/runbook/rotate-a-secret.md).
 */
function generateSecrets(name: string, parent: pulumi.Resource): MastodonSecrets<pulumi.Output<string>> {
  const keep = { parent, protect: true };
  // `rails secret` prints 64 random bytes as hex.
  const hex64 = (part: string) => pulumi.secret(new random.RandomBytes(`${name}-${part}`, { length: 64 }, keep).hex);
  // `rails db:encryption:init` prints 32 random letters and digits per key.
  const alnum32 = (part: string) =>
    pulumi.secret(new random.RandomPassword(`${name}-${part}`, { length: 32, special: false }, keep).result);
  const vapidKey = new tls.PrivateKey(`${name}-vapid-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, keep);
  const vapid = vapidKey.privateKeyPem.apply(vapidKeysFromPem);
  return {
    secretKeyBase: hex64("secret-key-base"),
    otpSecret: hex64("otp-secret"),
    vapidPrivateKey: pulumi.secret(vapid.apply((v) => v.privateKey)),
    vapidPublicKey: pulumi.secret(vapid.apply((v) => v.publicKey)),
    activeRecordPrimaryKey: alnum32("ar-primary-key"),
    activeRecordDeterministicKey: alnum32("ar-deterministic-key"),
    activeRecordKeyDerivationSalt: alnum32("ar-key-derivation-salt"),
  };
}

function sumOf(parts: Readonly<Record<string, number>>): number {
  return Object.values(parts).reduce((a, b) => a + b, 0);
}
