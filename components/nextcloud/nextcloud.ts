/**
 * Nextcloud from the official image (apache variant), with its background jobs in a second
 * container of the same image and volume (`/cron.sh`, as in the image's examples), and its own
 * Postgres and Redis on an internal network.
 *
 * The first start installs Nextcloud unattended from the environment (database, first admin
 * with a generated password, trusted domain). Upgrades are the image's own: a new tag makes
 * the entrypoint run `occ upgrade` on start — one major version at a time
 * (docs/runbook/upgrade-nextcloud.md).
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
  internalNetwork,
  postgresContainer,
  redisContainer,
} from "../shared/datastores";
import { splitMemory } from "../shared/memory";
import type { PostgresMajor } from "../shared/images";
import { dockerEnvs } from "../shared/env";
import type { BackupSource, DockerHostRef, SmtpSender, WebRoute } from "../shared/interfaces";
import { type NextcloudObjectStorage, nextcloudEnv, runtimeOnly } from "./env";

export const NEXTCLOUD_HTML_PATH = "/var/www/html";
export const NEXTCLOUD_DB = { name: "nextcloud", user: "nextcloud" } as const;

export function nextcloudImage(version: string): string {
  return `nextcloud:${version}-apache`;
}

export const NEXTCLOUD_HEALTHCHECKS = {
  // status.php answers on localhost whatever the trusted domains; "installed":true means the
  // first start's installation is done, and stays true in maintenance mode (backups).
  app: ["CMD-SHELL", `curl -fsS http://localhost/status.php | grep -q '"installed":true' || exit 1`],
  // cron.sh execs `busybox crond -f`, so crond must be the container's first process; checked
  // through /proc, which needs no tool the image might lack.
  cron: ["CMD-SHELL", "grep -qs crond /proc/1/cmdline || exit 1"],
} as const;

/** PHP's memory_limit per request or cron run: the image's default, the least Nextcloud's admin manual recommends. */
export const PHP_MEMORY_LIMIT_MB = 512;

/**
 * The app container's memory beside its PHP requests: Apache's master and OPcache's shared
 * memory (the image's PHP_OPCACHE_MEMORY_CONSUMPTION, 128 MB), and what an ordinary request of
 * one Apache worker (prefork, one PHP each) takes; a few need up to PHP's memory_limit.
 */
export const APACHE_MB = { base: 224, perWorker: 64 } as const;

/**
 * What each container needs at least, in MB; together Nextcloud's need in stacks/catalog.ts
 * (2048). The app holds one request at PHP's limit beside six ordinary ones; cron, one run at it.
 */
export const NEXTCLOUD_MEMORY_NEEDS_MB = {
  app: APACHE_MB.base + PHP_MEMORY_LIMIT_MB + 6 * APACHE_MB.perWorker,
  cron: PHP_MEMORY_LIMIT_MB + 64,
  postgres: 256,
  redis: 96,
} as const;

/** The memory limit of each Nextcloud container, from Nextcloud's share of the server. */
export function nextcloudMemory(budgetMb: number): Record<keyof typeof NEXTCLOUD_MEMORY_NEEDS_MB, number> {
  return splitMemory(budgetMb, NEXTCLOUD_MEMORY_NEEDS_MB);
}

/**
 * How many requests Apache serves at once in an app container of this size: one at PHP's limit,
 * the others ordinary. Apache's default (150 workers of up to 512 MB) would let a busy moment
 * pass any limit and have the container killed; beyond these, requests wait in the queue.
 */
export function apacheWorkers(appMemoryMb: number): number {
  return 1 + Math.max(0, Math.floor((appMemoryMb - APACHE_MB.base - PHP_MEMORY_LIMIT_MB) / APACHE_MB.perWorker));
}

/** Where the image's Apache reads its configuration after the modules' (Debian's apache2.conf includes conf-enabled/ last). */
export const APACHE_WORKERS_CONF_PATH = "/etc/apache2/conf-enabled/zz-coop-workers.conf";

export function renderApacheWorkers(workers: number): string {
  return `# Written by coop-infra: as many Apache workers as the container's memory holds (components/nextcloud/nextcloud.ts).
<IfModule mpm_prefork_module>
	StartServers 2
	MinSpareServers 2
	MaxSpareServers 4
	ServerLimit ${workers}
	MaxRequestWorkers ${workers}
	# A worker that grew with a big request hands its memory back after a while.
	MaxConnectionsPerChild 1000
</IfModule>
`;
}

/** How long a deploy waits for Nextcloud to be installed (first start) or upgraded (new release). */
export const NEXTCLOUD_WAIT_SECONDS = 1800;

/** Largest single request in MiB (= PHP_UPLOAD_LIMIT 1G); the web and desktop clients upload bigger files in chunks. */
export const NEXTCLOUD_MAX_BODY_MB = 1024;

export interface NextcloudArgs {
  readonly host: DockerHostRef;
  /** Release, e.g. 34.0.2 (image nextcloud:<version>-apache). */
  readonly version: string;
  /** Fully qualified host name, e.g. cloud.example.coop. */
  readonly hostname: string;
  readonly adminUser: string;
  readonly postgresMajor: PostgresMajor;
  readonly proxyNetwork: pulumi.Input<string>;
  /** The proxy's fixed addresses on that network (trusted for X-Forwarded-*). */
  readonly proxyAddresses: readonly string[];
  /** The HTTPS port browsers use, when not 443 (local target). */
  readonly httpsPort?: number;
  readonly smtp?: SmtpSender;
  /** Nextcloud's share of the server's memory in MB (stacks/catalog.ts serviceMemoryMb); its need when absent. */
  readonly memoryMb?: number;
  /** Primary storage in a bucket (chosen at install only; the rulebook refuses switching it later). */
  readonly objectStorage?: NextcloudObjectStorage<pulumi.Input<string>>;
}

/** Where the image runs scripts as www-data on every start, after installing or upgrading (its README, "Auto configuration via hook folders"). */
export const LOCAL_SMTP_HOOK_PATH = "/docker-entrypoint-hooks.d/before-starting/10-coop-local-smtp.sh";

/**
 * Local target only: the mail server's certificate comes from Caddy's internal authority, which
 * PHP does not trust, and the image has no variable for SMTP stream options, so this hook sets
 * them in config.php with occ on every start (Mastodon gets SMTP_OPENSSL_VERIFY_MODE=none there).
 */
export const LOCAL_SMTP_HOOK = `#!/bin/sh
# Written by coop-infra for the local target: do not verify the local mail server's certificate.
set -eu
php /var/www/html/occ config:system:set mail_smtpstreamoptions ssl allow_self_signed --type=boolean --value=true
php /var/www/html/occ config:system:set mail_smtpstreamoptions ssl verify_peer --type=boolean --value=false
php /var/www/html/occ config:system:set mail_smtpstreamoptions ssl verify_peer_name --type=boolean --value=false
`;

export function nextcloudRoute(host: Pick<DockerHostRef, "namePrefix">, hostname: string): WebRoute {
  return {
    kind: "proxy",
    hostname,
    upstream: `${dockerName(host, "nextcloud", "app")}:80`,
    maxBodyMb: NEXTCLOUD_MAX_BODY_MB,
    // Calendar and contact apps look here first; Nextcloud's reverse-proxy guide has the proxy answer.
    redirects: [
      { path: "/.well-known/carddav", to: "/remote.php/dav/", status: 301 },
      { path: "/.well-known/caldav", to: "/remote.php/dav/", status: 301 },
    ],
  };
}

/** `occ` as the web server's user, in the app container (maintenance mode, upgrades, repairs). */
export function occCommand(host: Pick<DockerHostRef, "namePrefix">, args: string): string {
  return `docker exec -u www-data ${dockerName(host, "nextcloud", "app")} php occ ${args}`;
}

export class Nextcloud extends pulumi.ComponentResource {
  readonly appContainer: string;
  /** The first admin's generated password (secret). */
  readonly adminPassword: pulumi.Output<string>;
  readonly backup: BackupSource;
  readonly sendsMail: boolean;

  constructor(name: string, args: NextcloudArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:services:Nextcloud", name, {}, opts);
    const host = args.host;
    const child: ChildOptions = { parent: this, provider: host.provider };
    const n = (part: string) => dockerName(host, "nextcloud", part);
    const image = nextcloudImage(args.version);
    const memory = nextcloudMemory(args.memoryMb ?? Object.values(NEXTCLOUD_MEMORY_NEEDS_MB).reduce((a, b) => a + b, 0));

    const network = internalNetwork(`${name}-internal`, n("internal"), child);
    const dbVolume = dataVolume(`${name}-postgres-data`, n(`postgres${args.postgresMajor}`), child);
    const redisVolume = dataVolume(`${name}-redis-data`, n("redis"), child);
    // The image's one VOLUME: code, config.php, apps and the users' files (data/).
    const html = dataVolume(`${name}-html`, n("html"), child);

    const keep = { parent: this, protect: true };
    const dbPassword = pulumi.secret(new random.RandomPassword(`${name}-db-password`, { length: 32, special: false }, keep).result);
    // Only the installation reads it; afterwards it is the admin's to change in Nextcloud.
    this.adminPassword = pulumi.secret(new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, keep).result);

    const db = postgresContainer(
      {
        resourceName: `${name}-db`,
        containerName: n("db"),
        major: args.postgresMajor,
        volume: dbVolume,
        network,
        database: NEXTCLOUD_DB.name,
        user: NEXTCLOUD_DB.user,
        password: dbPassword,
        memoryMb: memory.postgres,
      },
      child,
    );
    // Cache and file locks: Nextcloud rebuilds both, so a full Redis evicts and is never saved.
    const redis = redisContainer(
      { resourceName: `${name}-redis`, containerName: n("redis"), use: "cache", volume: redisVolume, network, memoryMb: memory.redis },
      child,
    );

    const smtp = args.smtp;
    const from = smtp ? pulumi.output(smtp.fromAddress).apply(splitAddress) : undefined;
    const env = nextcloudEnv<pulumi.Input<string>>({
      hostname: args.hostname,
      httpsPort: args.httpsPort,
      db: { host: n("db"), name: NEXTCLOUD_DB.name, user: NEXTCLOUD_DB.user, password: dbPassword },
      redisHost: n("redis"),
      admin: { user: args.adminUser, password: this.adminPassword },
      trustedProxies: args.proxyAddresses,
      uploadLimit: `${NEXTCLOUD_MAX_BODY_MB / 1024}G`,
      phpMemoryLimitMb: PHP_MEMORY_LIMIT_MB,
      objectStorage: args.objectStorage,
      smtp:
        smtp && from
          ? {
              host: smtp.host,
              port: smtp.port,
              security: smtp.security,
              username: smtp.username,
              password: smtp.password,
              fromLocalPart: from.apply((f) => f.localPart),
              fromDomain: from.apply((f) => f.domain),
            }
          : undefined,
    });
    this.sendsMail = smtp !== undefined;
    if (!smtp) {
      void pulumi.log.warn(
        `Nextcloud at ${args.hostname} has no mail server to send through: no password resets, share or activity mails. ` +
          "Enable the mail service in this stack (services.mail) or point it to the mail stack.",
        this,
      );
    }

    // The app and cron both send mail (cron sends the activity and notification mails).
    const networks = [
      { name: args.proxyNetwork },
      { name: network.name },
      ...(smtp?.network !== undefined ? [{ name: smtp.network }] : []),
    ];
    const volumes = [{ volumeName: html.name, containerPath: NEXTCLOUD_HTML_PATH }];
    const app = new docker.Container(
      `${name}-app`,
      {
        name: n("app"),
        image,
        envs: dockerEnvs(env),
        networksAdvanced: networks,
        volumes,
        restart: "unless-stopped",
        uploads: [
          { file: APACHE_WORKERS_CONF_PATH, content: renderApacheWorkers(apacheWorkers(memory.app)) },
          // config.php is shared with cron, so setting it from the app's start covers both.
          ...(host.target === "local" && smtp ? [{ file: LOCAL_SMTP_HOOK_PATH, content: LOCAL_SMTP_HOOK, executable: true }] : []),
        ],
        // The first start copies Nextcloud into the volume and installs it: minutes, not seconds.
        healthcheck: healthcheck([...NEXTCLOUD_HEALTHCHECKS.app], "600s"),
        // The deploy waits until status.php says "installed": a failed installation (the image's
        // entrypoint exits, the container restarts and never gets there) fails the deploy instead
        // of leaving a Nextcloud nobody can log in to. Long enough for a big upgrade's `occ upgrade`.
        wait: true,
        waitTimeout: NEXTCLOUD_WAIT_SECONDS,
        memory: memory.app,
        // Give Apache time to finish uploads in flight.
        stopTimeout: 30,
        destroyGraceSeconds: 30,
      },
      // The provider's own limit for creating it must outlast the wait.
      containerOptions(child, { dependsOn: [db, redis], customTimeouts: { create: `${NEXTCLOUD_WAIT_SECONDS / 60 + 10}m` } }),
    );

    new docker.Container(
      `${name}-cron`,
      {
        name: n("cron"),
        image,
        entrypoints: ["/cron.sh"],
        envs: dockerEnvs(runtimeOnly(env)),
        networksAdvanced: networks,
        volumes,
        restart: "unless-stopped",
        healthcheck: healthcheck([...NEXTCLOUD_HEALTHCHECKS.cron], "30s"),
        memory: memory.cron,
      },
      // After the app: its first start populates the shared volume that cron.php runs from.
      containerOptions(child, { dependsOn: [app] }),
    );

    this.appContainer = n("app");
    this.backup = {
      service: "nextcloud",
      postgres: [{ container: n("db"), database: NEXTCLOUD_DB.name, user: NEXTCLOUD_DB.user }],
      // Redis holds only caches and file locks, rebuilt on start.
      volumes: [html.name],
      // Files and database must match: nobody writes while the copy runs.
      before: [occCommand(host, "maintenance:mode --on")],
      after: [occCommand(host, "maintenance:mode --off")],
    };
    this.registerOutputs({ appContainer: this.appContainer, adminPassword: this.adminPassword });
  }
}

function splitAddress(address: string): { localPart: string; domain: string } {
  // "Name <local@domain>" or "local@domain"
  const bare = /<([^>]+)>/.exec(address)?.[1] ?? address;
  const at = bare.lastIndexOf("@");
  if (at <= 0 || at === bare.length - 1) throw new Error(`the sender address '${address}' for Nextcloud has no local part or domain`);
  return { localPart: bare.slice(0, at).trim(), domain: bare.slice(at + 1).trim() };
}
