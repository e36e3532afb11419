/**
 * Mastodon's environment (what .env.production holds in the official compose setup), one list
 * shared by web, streaming, sidekiq and the migration runs, as in the compose file's
 * `env_file`. Names follow the admin documentation (config.md); RAILS_ENV and NODE_ENV are
 * left to the images, which set them to production.
 */
import type { EnvEntry } from "../shared/env";

/** The seven values Mastodon cannot run without; generated once, kept as Pulumi secrets. */
export interface MastodonSecrets<V> {
  readonly secretKeyBase: V;
  readonly otpSecret: V;
  readonly vapidPrivateKey: V;
  readonly vapidPublicKey: V;
  readonly activeRecordPrimaryKey: V;
  readonly activeRecordDeterministicKey: V;
  readonly activeRecordKeyDerivationSalt: V;
}

export interface MastodonSmtp<V> {
  readonly server: V;
  readonly port: number;
  /** "tls": implicit TLS (465); "starttls": STARTTLS required (587), never plain text. */
  readonly security: "starttls" | "tls";
  readonly login: V;
  readonly password: V;
  readonly fromAddress: V;
  /** Verify the mail server's certificate; off only where it comes from a private authority (local target). */
  readonly verifyCertificate: boolean;
}

/**
 * Media in an S3-compatible bucket, served under the co-op's alias host (config.md "File
 * storage"; the content security policy Mastodon sends names S3_ALIAS_HOST as the media host,
 * config/initializers/content_security_policy.rb, so the web app may load from it).
 */
export interface MastodonObjectStorage<V> {
  readonly bucket: string;
  /** The S3 endpoint's host, e.g. fsn1.your-objectstorage.com. */
  readonly endpointHost: string;
  readonly region: string;
  /** Where browsers fetch the files: files.<domain>, the proxy's bucket route. */
  readonly aliasHost: string;
  readonly accessKey: V;
  readonly secretKey: V;
}

/** Through PgBouncer (transaction pooling) the database cannot keep prepared statements (admin/scaling, PgBouncer). */
export const PREPARED_STATEMENTS_OFF: EnvEntry<never> = { name: "PREPARED_STATEMENTS", value: "false" };

export interface MastodonEnvInput<V> {
  /** The domain in every handle (@ada@<localDomain>); it can never change after the first start. */
  readonly localDomain: string;
  readonly db: { readonly host: string; readonly port: number; readonly name: string; readonly user: string; readonly password: V };
  readonly redis: { readonly host: string; readonly port: number };
  /** The Redis for Rails' cache, which may evict (Mastodon's scaling guide, "Separate Redis for cache"). */
  readonly cacheRedis: { readonly host: string; readonly port: number };
  /** Puma processes and threads, Sidekiq threads: what the containers' memory is sized for. */
  readonly concurrency: { readonly webProcesses: number; readonly webThreads: number; readonly sidekiqThreads: number };
  /** The proxy's addresses: the only clients whose X-Forwarded-For web and streaming believe. */
  readonly trustedProxies: readonly string[];
  readonly secrets: MastodonSecrets<V>;
  /** Absent when the stack has no mail server to send through: Mastodon then cannot send mail. */
  readonly smtp?: MastodonSmtp<V>;
  /** Absent: media on the media volume. */
  readonly objectStorage?: MastodonObjectStorage<V>;
  /** The database is reached through PgBouncer in transaction mode. */
  readonly pooled?: boolean;
}

export const MASTODON_SECRET_NAMES = [
  "SECRET_KEY_BASE",
  "OTP_SECRET",
  "VAPID_PRIVATE_KEY",
  "VAPID_PUBLIC_KEY",
  "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
  "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
  "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
] as const;

export function mastodonEnv<V>(input: MastodonEnvInput<V>): EnvEntry<V>[] {
  const s = input.secrets;
  const entries: EnvEntry<V>[] = [
    { name: "LOCAL_DOMAIN", value: input.localDomain },
    { name: "DB_HOST", value: input.db.host },
    { name: "DB_PORT", value: String(input.db.port) },
    { name: "DB_NAME", value: input.db.name },
    { name: "DB_USER", value: input.db.user },
    { name: "DB_PASS", value: input.db.password, secret: true },
    { name: "REDIS_HOST", value: input.redis.host },
    { name: "REDIS_PORT", value: String(input.redis.port) },
    { name: "CACHE_REDIS_HOST", value: input.cacheRedis.host },
    { name: "CACHE_REDIS_PORT", value: String(input.cacheRedis.port) },
    { name: "WEB_CONCURRENCY", value: String(input.concurrency.webProcesses) },
    { name: "MAX_THREADS", value: String(input.concurrency.webThreads) },
    { name: "SIDEKIQ_CONCURRENCY", value: String(input.concurrency.sidekiqThreads) },
    // Without it Mastodon trusts every private address (config.md, TRUSTED_PROXY_IP), so any
    // container on the proxy network could pass off a client address of its choosing and dodge
    // the per-address rate limits; with it, only the proxy's own addresses count.
    { name: "TRUSTED_PROXY_IP", value: input.trustedProxies.join(",") },
    { name: "SECRET_KEY_BASE", value: s.secretKeyBase, secret: true },
    { name: "OTP_SECRET", value: s.otpSecret, secret: true },
    { name: "VAPID_PRIVATE_KEY", value: s.vapidPrivateKey, secret: true },
    { name: "VAPID_PUBLIC_KEY", value: s.vapidPublicKey, secret: true },
    { name: "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY", value: s.activeRecordPrimaryKey, secret: true },
    { name: "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY", value: s.activeRecordDeterministicKey, secret: true },
    { name: "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT", value: s.activeRecordKeyDerivationSalt, secret: true },
  ];
  const m = input.smtp;
  if (m) {
    entries.push(
      { name: "SMTP_SERVER", value: m.server },
      { name: "SMTP_PORT", value: String(m.port) },
      { name: "SMTP_LOGIN", value: m.login },
      { name: "SMTP_PASSWORD", value: m.password, secret: true },
      { name: "SMTP_FROM_ADDRESS", value: m.fromAddress },
      // PLAIN inside TLS; the documented default, named so nobody wonders.
      { name: "SMTP_AUTH_METHOD", value: "plain" },
      { name: "SMTP_OPENSSL_VERIFY_MODE", value: m.verifyCertificate ? "peer" : "none" },
      // Implicit TLS and STARTTLS exclude each other; "always" refuses to send without STARTTLS
      // where "auto" (the default) would fall back to plain text.
      ...(m.security === "tls"
        ? [
            { name: "SMTP_TLS", value: "true" },
            { name: "SMTP_ENABLE_STARTTLS", value: "never" },
          ]
        : [{ name: "SMTP_ENABLE_STARTTLS", value: "always" }]),
    );
  }
  // Appended after the rest, so that growing a stack adds lines to the plan and moves none.
  if (input.pooled) entries.push(PREPARED_STATEMENTS_OFF);
  const o = input.objectStorage;
  if (o) {
    entries.push(
      { name: "S3_ENABLED", value: "true" },
      { name: "S3_BUCKET", value: o.bucket },
      { name: "S3_ENDPOINT", value: `https://${o.endpointHost}` },
      { name: "S3_REGION", value: o.region },
      { name: "S3_HOSTNAME", value: o.endpointHost },
      { name: "S3_PROTOCOL", value: "https" },
      { name: "S3_ALIAS_HOST", value: o.aliasHost },
      // Reading is granted by the bucket's policy (components/shared/object-storage.ts), so the
      // objects need no public ACL of their own.
      { name: "S3_PERMISSION", value: "private" },
      { name: "AWS_ACCESS_KEY_ID", value: o.accessKey, secret: true },
      { name: "AWS_SECRET_ACCESS_KEY", value: o.secretKey, secret: true },
    );
  }
  return entries;
}

/**
 * Only for the run before new containers start: the migrations meant to run after the new
 * code is live (db/post_migrate) wait for the second run (Mastodon's upgrade procedure).
 */
export const SKIP_POST_DEPLOYMENT_MIGRATIONS: EnvEntry<never> = { name: "SKIP_POST_DEPLOYMENT_MIGRATIONS", value: "true" };
