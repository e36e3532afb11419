/**
 * Container image references as the policies read them: "repository[:tag][@digest]".
 */

export interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export function parseImage(ref: string): ImageRef {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) return { repository: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { repository: rest, digest };
}

/** Pinned: a digest, or a tag other than `latest`. */
export function isPinned(ref: ImageRef): boolean {
  if (ref.digest && /^sha256:[0-9a-f]{64}$/.test(ref.digest)) return true;
  return ref.tag !== undefined && ref.tag !== "" && ref.tag !== "latest";
}

/**
 * Image names (the repository's last path segment) of databases and of the images built on
 * them. Matched by name, whatever the registry or publisher (docker.io/bitnami/postgresql,
 * ghcr.io/cloudnative-pg/postgresql, postgis/postgis): a distribution of Postgres or Redis
 * holds the same data. Exact names, not prefixes, so tools around a database
 * (redis-commander, postgres-exporter) are not taken for one.
 */
const DATABASE_NAMES: ReadonlySet<string> = new Set([
  // Postgres and its distributions.
  "postgres",
  "postgresql",
  "postgresql-repmgr",
  "postgis",
  "pgvector",
  "timescaledb",
  "timescaledb-ha",
  "crunchy-postgres",
  "supabase-postgres",
  // Redis and its forks and bundles.
  "redis",
  "redis-stack",
  "redis-stack-server",
  "redis-cluster",
  "valkey",
  "valkey-cluster",
  "keydb",
  "dragonfly",
  // Other databases the co-op might add.
  "mariadb",
  "mysql",
  "mongo",
  "mongodb",
]);

export function isDatabaseImage(ref: ImageRef): boolean {
  const name = ref.repository.slice(ref.repository.lastIndexOf("/") + 1).toLowerCase();
  return DATABASE_NAMES.has(name);
}

/**
 * Ports that identify a database whatever its image: Postgres, Redis (and Valkey, KeyDB,
 * Dragonfly), MySQL/MariaDB, MongoDB. A container serving one of them inside is a database
 * even when its image name is not on the list above.
 */
export const DATABASE_PORTS: ReadonlySet<number> = new Set([5432, 6379, 3306, 27017]);
