/**
 * Memory limits come from the server type's memory, keep the stated headroom, fit the worker
 * counts they are sized for, and each Redis is told what to do when full.
 */
import { GATUS_MEMORY_MB } from "../../../components/alerts/alerts";
import { describe, expect, it } from "vitest";
import { MASTODON_CONCURRENCY, MASTODON_MEMORY_NEEDS_MB, PUMA_MB, mastodonMemory } from "../../../components/mastodon/mastodon";
import {
  APACHE_MB,
  APACHE_WORKERS_CONF_PATH,
  NEXTCLOUD_MEMORY_NEEDS_MB,
  PHP_MEMORY_LIMIT_MB,
  apacheWorkers,
  nextcloudMemory,
} from "../../../components/nextcloud/nextcloud";
import { CADDY_MEMORY_MB } from "../../../components/proxy/proxy";
import { redisCommand } from "../../../components/shared/datastores";
import { splitMemory } from "../../../components/shared/memory";
import {
  MEMORY_HEADROOM,
  SERVER_TYPES,
  SERVER_TYPE_NAMES,
  SERVICE_MEMORY_MB,
  type ServiceName,
  memoryNeededMb,
  serviceMemoryMb,
  usableMemoryMb,
} from "../../../stacks/catalog";
import { byName, bundledSpec, planSpec } from "../../helpers/program";

const sum = (o: Readonly<Record<string, number>>) => Object.values(o).reduce((a, b) => a + b, 0);
const SUBSETS: ServiceName[][] = [
  ["mastodon"],
  ["nextcloud"],
  ["mail"],
  ["mastodon", "mail"],
  ["nextcloud", "mail"],
  ["mastodon", "nextcloud", "mail"],
];

describe("each service's share of the server", () => {
  it("is at least its need, and all shares with the base stay within the usable memory, on every server type that fits", () => {
    let checked = 0;
    for (const type of SERVER_TYPE_NAMES) {
      for (const services of SUBSETS) {
        if (memoryNeededMb(services) > usableMemoryMb(type)) continue; // the spec refuses it
        const share = serviceMemoryMb(type, services);
        for (const s of services) expect(share[s], `${type} ${s}`).toBeGreaterThanOrEqual(SERVICE_MEMORY_MB[s]);
        expect(SERVICE_MEMORY_MB.base + sum(share), type).toBeLessThanOrEqual(usableMemoryMb(type));
        // The headroom: a tenth of the server is never handed out (page cache, spikes).
        expect(usableMemoryMb(type)).toBeLessThanOrEqual(SERVER_TYPES[type].memoryGb * 1024 * MEMORY_HEADROOM);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it("grows with the server: a bigger type gives every service more", () => {
    const all: ServiceName[] = ["mastodon", "nextcloud", "mail"];
    const small = serviceMemoryMb("cx33", all);
    const big = serviceMemoryMb("cx43", all);
    for (const s of all) expect(big[s]).toBeGreaterThan(small[s]);
  });

  it("is the need alone without a server type (the local target)", () => {
    expect(serviceMemoryMb(undefined, ["mastodon", "nextcloud", "mail"])).toEqual({
      mastodon: SERVICE_MEMORY_MB.mastodon,
      nextcloud: SERVICE_MEMORY_MB.nextcloud,
      mail: SERVICE_MEMORY_MB.mail,
    });
  });

  it("is split among a service's containers without passing it, and refuses less than they need", () => {
    expect(sum(MASTODON_MEMORY_NEEDS_MB)).toBe(SERVICE_MEMORY_MB.mastodon);
    expect(sum(NEXTCLOUD_MEMORY_NEEDS_MB)).toBe(SERVICE_MEMORY_MB.nextcloud);
    for (const budget of [2560, 3000, 3333, 9999]) expect(sum(mastodonMemory(budget))).toBeLessThanOrEqual(budget);
    expect(() => splitMemory(100, { a: 60, b: 60 })).toThrow(/less than the 120 MB/);
  });
});

describe("limits that fit the worker counts", () => {
  it("give Puma its master and every worker process, at Mastodon's need and above", () => {
    for (const budget of [SERVICE_MEMORY_MB.mastodon, 4000]) {
      expect(mastodonMemory(budget).web).toBeGreaterThanOrEqual(PUMA_MB.master + MASTODON_CONCURRENCY.webProcesses * PUMA_MB.perProcess);
    }
  });

  it("let Apache run only as many workers as its container holds, one of them at PHP's memory limit", () => {
    for (const budget of [SERVICE_MEMORY_MB.nextcloud, 2500, 6000]) {
      const { app, cron } = nextcloudMemory(budget);
      const workers = apacheWorkers(app);
      expect(workers).toBeGreaterThanOrEqual(7);
      expect(APACHE_MB.base + PHP_MEMORY_LIMIT_MB + (workers - 1) * APACHE_MB.perWorker).toBeLessThanOrEqual(app);
      // cron runs one PHP process, which may reach the limit without the container being killed.
      expect(cron).toBeGreaterThan(PHP_MEMORY_LIMIT_MB);
    }
  });
});

describe("Redis told what to do when full", () => {
  it("never evicts what the application needs back, and saves it with room for the saving fork", () => {
    expect(redisCommand("store", 256)).toEqual(["redis-server", "--maxmemory", "128mb", "--maxmemory-policy", "noeviction"]);
  });

  it("evicts least recently used keys of a cache, which is never saved", () => {
    expect(redisCommand("cache", 128)).toEqual([
      "redis-server",
      "--maxmemory",
      "96mb",
      "--maxmemory-policy",
      "allkeys-lru",
      "--save",
      "",
      "--appendonly",
      "no",
    ]);
  });
});

describe("the example stack (cx33, all services)", async () => {
  const spec = bundledSpec("example");
  const { run } = await planSpec(spec, "example");
  const containers = run.resources.filter((r) => r.type === "docker:index/container:Container");
  const c = (name: string) => byName(run.resources, name);

  it("limits every long-running container, within the server's usable memory beside the base", () => {
    if (spec.host.target !== "hetzner") throw new Error("the example runs on Hetzner");
    const running = containers.filter((r) => r.inputs.mustRun !== false);
    for (const r of running) expect(Number(r.inputs.memory), r.name).toBeGreaterThan(0);
    const total = running.reduce((a, r) => a + Number(r.inputs.memory), 0);
    // The base covers the proxy and the alerts' checker beside the OS and Docker.
    expect(total - CADDY_MEMORY_MB - GATUS_MEMORY_MB).toBeLessThanOrEqual(usableMemoryMb(spec.host.serverType) - SERVICE_MEMORY_MB.base);
  });

  it("gives Mastodon's Sidekiq a Redis that never evicts, and Rails' cache one that does", () => {
    expect((c("mastodon-redis").inputs.command as string[]).slice(3, 5)).toEqual(["--maxmemory-policy", "noeviction"]);
    expect((c("mastodon-redis-cache").inputs.command as string[]).slice(3, 5)).toEqual(["--maxmemory-policy", "allkeys-lru"]);
    expect((c("nextcloud-redis").inputs.command as string[]).slice(3, 5)).toEqual(["--maxmemory-policy", "allkeys-lru"]);
    // The cache has no volume, and no anonymous one either: /data is a tmpfs.
    expect(c("mastodon-redis-cache").inputs.volumes).toBeUndefined();
    expect(c("mastodon-redis-cache").inputs.tmpfs).toEqual({ "/data": "size=8m" });
    const env = (c("mastodon-web").inputs.envs as unknown[]).filter((e): e is string => typeof e === "string");
    expect(env).toContain("CACHE_REDIS_HOST=example-co-op-example-mastodon-redis-cache");
    expect(env).toEqual(expect.arrayContaining(["WEB_CONCURRENCY=2", "MAX_THREADS=5", "SIDEKIQ_CONCURRENCY=5"]));
  });

  it("caps Apache's workers in Nextcloud's app container by its memory", () => {
    const app = c("nextcloud-app");
    const conf = (app.inputs.uploads as Array<{ file: string; content: string }>).find((u) => u.file === APACHE_WORKERS_CONF_PATH);
    const workers = apacheWorkers(Number(app.inputs.memory));
    expect(conf?.content).toContain(`\tMaxRequestWorkers ${workers}\n`);
    expect(conf?.content).toContain(`\tServerLimit ${workers}\n`);
  });
});
