/**
 * Which images are databases: by the image's name, whoever publishes it and wherever it is
 * hosted; tools around a database are not databases.
 */
import { describe, expect, it } from "vitest";
import { isDatabaseContainer } from "../../policies/docker-container-database-not-published";
import { parseImageRef } from "../../kernel/image-ref";
import { isDatabaseImage } from "../../policies/support/images";

const db = (text: string) => {
  const ref = parseImageRef(text);
  if (!ref) throw new Error(`${text} is not an image reference`);
  return isDatabaseImage(ref);
};

describe("isDatabaseImage", () => {
  it("knows the official images, as before", () => {
    for (const ref of [
      "postgres:18-alpine",
      "library/postgres:17",
      "docker.io/library/redis:7.4",
      "valkey/valkey:8",
      "mariadb:11",
      "mysql:8",
      "mongo:7",
    ])
      expect(db(ref), ref).toBe(true);
  });

  it("knows Postgres and Redis distributions", () => {
    const refs = [
      "postgis/postgis:17-3.5",
      "pgvector/pgvector:pg17",
      "bitnami/postgresql:17.2.0",
      "timescale/timescaledb:2.17.2-pg17",
      "timescale/timescaledb-ha:pg17",
      `ghcr.io/cloudnative-pg/postgresql:17.2@sha256:${"0".repeat(64)}`,
      "bitnami/redis:7.4.1",
      "redis/redis-stack:7.4.0-v1",
      "redis/redis-stack-server:7.4.0-v1",
      "bitnami/valkey:8.0.1",
      "eqalpha/keydb:latest",
      "docker.dragonflydb.io/dragonflydb/dragonfly:v1.25.0",
      "registry.example.coop:5000/mirror/postgres:18",
    ];
    for (const ref of refs) expect(db(ref), ref).toBe(true);
  });

  it("does not take tools around a database, or other services, for one", () => {
    for (const ref of [
      "rediscommander/redis-commander:latest",
      "prometheuscommunity/postgres-exporter:v0.16.0",
      "oliver006/redis_exporter:v1.66.0",
      "nextcloud:34",
      "caddy:2",
    ])
      expect(db(ref), ref).toBe(false);
  });
});

describe("isDatabaseContainer", () => {
  it("is a database when it publishes a database port, whatever the image", () => {
    expect(isDatabaseContainer({ image: "example/custom-store:1.0", ports: [{ internal: 6379, external: 16379 }] })).toBe(true);
    expect(isDatabaseContainer({ image: "example/custom-pg:1.0", ports: [{ internal: 5432 }] })).toBe(true);
    expect(isDatabaseContainer({ image: "caddy:2", ports: [{ internal: 443, external: 443 }] })).toBe(false);
    // The port inside the container is what it serves; an outside port alone says nothing.
    expect(isDatabaseContainer({ image: "caddy:2", ports: [{ internal: 80, external: 5432 }] })).toBe(false);
  });

  it("judges an image nobody can read by its health check, as a computed one", () => {
    const pgHealth = { tests: ["CMD-SHELL", "pg_isready -U postgres"] };
    expect(isDatabaseContainer({ image: "Postgres:17", healthcheck: pgHealth })).toBe(true);
    expect(isDatabaseContainer({ image: "Postgres:17" })).toBe(false);
    expect(isDatabaseContainer({ image: "postgres:17", healthcheck: { tests: ["CMD", "true"] } })).toBe(true);
  });
});
