/**
 * Nextcloud's environment, with the names of the nextcloud/docker image README.
 *
 * Two kinds of variables: the image uses some only once, to install (database, first admin,
 * trusted domains: they land in config.php), and reads the others on every request through
 * its config/*.config.php files (Redis, SMTP, reverse proxy). The cron container runs the same
 * code, so it needs the second kind too — without REDIS_HOST its background jobs would lock
 * files differently from the web server — but not the install-only credentials.
 */
import type { EnvEntry } from "../shared/env";

export interface NextcloudSmtp<V> {
  readonly host: V;
  readonly port: number;
  readonly security: "starttls" | "tls";
  readonly username: V;
  readonly password: V;
  /** The sender address split the way the image wants it: local part and domain. */
  readonly fromLocalPart: V;
  readonly fromDomain: V;
}

export interface NextcloudEnvInput<V> {
  /** Fully qualified host name, e.g. cloud.example.coop. */
  readonly hostname: string;
  /** The port browsers use, when not 443 (local target only). */
  readonly httpsPort?: number;
  readonly db: { readonly host: string; readonly name: string; readonly user: string; readonly password: V };
  readonly redisHost: string;
  readonly admin: { readonly user: string; readonly password: V };
  /** The proxy's addresses on the proxy network: the only clients whose X-Forwarded-* headers count. */
  readonly trustedProxies: readonly string[];
  /** Largest upload PHP accepts in one request, e.g. "1G" (clients upload bigger files in chunks). */
  readonly uploadLimit: string;
  /** PHP's memory_limit per request or cron run, in MB: what the containers' memory is sized for. */
  readonly phpMemoryLimitMb: number;
  readonly smtp?: NextcloudSmtp<V>;
  /** Primary storage in a bucket: chosen at install only (stacks/growth.ts nextcloudPrimary). */
  readonly objectStorage?: NextcloudObjectStorage<V>;
}

/**
 * The image's "Object Storage (Primary Storage)" variables. Its config/s3.config.php reads them
 * on every request, so the cron container gets them too. Path-style addressing and no automatic
 * bucket creation: the program creates the bucket (components/shared/object-storage.ts).
 */
export interface NextcloudObjectStorage<V> {
  readonly bucket: string;
  readonly endpointHost: string;
  readonly region: string;
  readonly accessKey: V;
  readonly secretKey: V;
}

export interface NextcloudEntry<V> extends EnvEntry<V> {
  /** Read only by the first start's installation. */
  readonly installOnly?: boolean;
}

export function nextcloudEnv<V>(input: NextcloudEnvInput<V>): NextcloudEntry<V>[] {
  const publicHost = input.httpsPort && input.httpsPort !== 443 ? `${input.hostname}:${input.httpsPort}` : input.hostname;
  const entries: NextcloudEntry<V>[] = [
    { name: "POSTGRES_HOST", value: input.db.host, installOnly: true },
    { name: "POSTGRES_DB", value: input.db.name, installOnly: true },
    { name: "POSTGRES_USER", value: input.db.user, installOnly: true },
    { name: "POSTGRES_PASSWORD", value: input.db.password, secret: true, installOnly: true },
    { name: "NEXTCLOUD_ADMIN_USER", value: input.admin.user, installOnly: true },
    { name: "NEXTCLOUD_ADMIN_PASSWORD", value: input.admin.password, secret: true, installOnly: true },
    { name: "NEXTCLOUD_TRUSTED_DOMAINS", value: input.hostname, installOnly: true },
    { name: "REDIS_HOST", value: input.redisHost },
    // Behind the proxy: take the client's address from X-Forwarded-For, but only from the proxy
    // (the image's own rewrite reads X-Real-IP, which Caddy does not send). Both of its
    // addresses: it reaches Nextcloud over IPv4 or IPv6, whichever the name resolves to first.
    // The image's README: "A space-separated list of trusted proxies".
    { name: "APACHE_DISABLE_REWRITE_IP", value: "1" },
    { name: "TRUSTED_PROXIES", value: input.trustedProxies.join(" ") },
    // Links in mails, shares and cron jobs point to the public name over HTTPS.
    { name: "OVERWRITEHOST", value: publicHost },
    { name: "OVERWRITEPROTOCOL", value: "https" },
    { name: "OVERWRITECLIURL", value: `https://${publicHost}` },
    { name: "PHP_UPLOAD_LIMIT", value: input.uploadLimit },
    { name: "PHP_MEMORY_LIMIT", value: `${input.phpMemoryLimitMb}M` },
  ];
  const m = input.smtp;
  if (m) {
    entries.push(
      { name: "SMTP_HOST", value: m.host },
      { name: "SMTP_PORT", value: String(m.port) },
      // README: "ssl" is implicit TLS, "tls" is STARTTLS.
      { name: "SMTP_SECURE", value: m.security === "tls" ? "ssl" : "tls" },
      { name: "SMTP_AUTHTYPE", value: "LOGIN" },
      { name: "SMTP_NAME", value: m.username },
      { name: "SMTP_PASSWORD", value: m.password, secret: true },
      { name: "MAIL_FROM_ADDRESS", value: m.fromLocalPart },
      { name: "MAIL_DOMAIN", value: m.fromDomain },
    );
  }
  const o = input.objectStorage;
  if (o) {
    entries.push(
      { name: "OBJECTSTORE_S3_BUCKET", value: o.bucket },
      { name: "OBJECTSTORE_S3_HOST", value: o.endpointHost },
      { name: "OBJECTSTORE_S3_PORT", value: "443" },
      { name: "OBJECTSTORE_S3_SSL", value: "true" },
      { name: "OBJECTSTORE_S3_REGION", value: o.region },
      { name: "OBJECTSTORE_S3_USEPATH_STYLE", value: "true" },
      { name: "OBJECTSTORE_S3_AUTOCREATE", value: "false" },
      { name: "OBJECTSTORE_S3_KEY", value: o.accessKey, secret: true },
      { name: "OBJECTSTORE_S3_SECRET", value: o.secretKey, secret: true },
    );
  }
  return entries;
}

/** What the cron container gets: everything read at run time, none of the install-time credentials. */
export function runtimeOnly<V>(entries: readonly NextcloudEntry<V>[]): NextcloudEntry<V>[] {
  return entries.filter((e) => !e.installOnly);
}
