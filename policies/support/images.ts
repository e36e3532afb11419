/**
 * What the policies know about container images (references are read by kernel/image-ref.ts).
 */
import { type ImageRef, imageName } from "../../kernel/image-ref";

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
  // A pooler in front of Postgres: whoever reaches it reaches the database.
  "pgbouncer",
  // Other databases the co-op might add.
  "mariadb",
  "mysql",
  "mongo",
  "mongodb",
]);

export function isDatabaseImage(ref: ImageRef): boolean {
  return DATABASE_NAMES.has(imageName(ref));
}

/**
 * Ports that identify a database whatever its image: Postgres (and PgBouncer's 6432), Redis (and Valkey, KeyDB,
 * Dragonfly), MySQL/MariaDB, MongoDB. A container serving one of them inside is a database
 * even when its image name is not on the list above.
 */
export const DATABASE_PORTS: ReadonlySet<number> = new Set([5432, 6432, 6379, 3306, 27017]);
