/**
 * The third-party images the components run, each pinned to an exact release.
 *
 * Why exact: the Docker provider uses any local image of the given name as it is, so a moving
 * tag (caddy:2.11, postgres:18-alpine) is pulled once and never again, and its security fixes
 * never arrive. With the release in the tag, every update is a new name: a change in the plan
 * that the members approve, or that the tech working group approves under a standing decision
 * for patch upgrades (rulebook/changes/change-classes.ts, class image-patch).
 *
 * The tags are the Docker Official Images' own (test/oracles/image-tags.txt cites each); the
 * variant suffix stays the same across releases (-alpine, not -alpine3.24), so that a release
 * step changes the version and nothing else. The services' own images (Mastodon, Nextcloud,
 * docker-mailserver) take their release from the stack spec.
 */

/** The Postgres majors a service's data may be in (stacks/schema.ts postgresMajor). */
export type PostgresMajor = 17 | 18;

/** The proxy. caddy-docker's alpine variant (the one the multi-platform tag resolves to on Linux). */
export const CADDY_IMAGE = "caddy:2.11.4-alpine";

/** Each service's own database, by the major its data was written with. */
export const POSTGRES_IMAGES: Readonly<Record<PostgresMajor, string>> = {
  17: "postgres:17.11-alpine",
  18: "postgres:18.6-alpine",
};

/** Mastodon's and Nextcloud's Redis. 7.4: the Redis Mastodon 4.6 and Nextcloud 34 document. */
export const REDIS_IMAGE = "redis:7.4.11-alpine";

/**
 * The alerts' checker and status page: Gatus, by its exact release (TwiN/gatus tag v5.36.0,
 * commit ed1107b41a30). components/alerts/gatus-config.ts writes the keys of this release.
 */
export const GATUS_IMAGE = "ghcr.io/twin/gatus:v5.36.0";

/**
 * PgBouncer in front of a Postgres on its own host (components/mastodon/database.ts). No Docker
 * Official Image exists; edoburu/pgbouncer is the one most deployments use, configured from its
 * environment (its entrypoint writes pgbouncer.ini and userlist.txt from DB_* and the settings).
 */
export const PGBOUNCER_IMAGE = "edoburu/pgbouncer:v1.25.2-p0";

/**
 * rclone's own image: copies between a bucket and a volume (the nightly mirror of Mastodon's own
 * media for the backup; scripts/growth/move-mastodon-media.sh pins the same release).
 */
export const RCLONE_IMAGE = "rclone/rclone:1.69.1";
