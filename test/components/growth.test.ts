/**
 * The grown shapes, planned with the real program under Pulumi's mock runtime: one host →
 * media on object storage → Postgres on its own host → a worker host (docs/runbook/growth.md).
 * For each: the resources, where the database is reachable, the scheduler, the media route and
 * its headers, and the monthly cost delta from the dated price table.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CADDYFILE_PATH } from "../../components/proxy/proxy";
import { estimateMonthlyCost } from "../../plan/cost";
import { readPriceTable } from "../../plan/prices";
import type { DesiredStateView, GovernedResource } from "../../plan/view";
import { dockerContainerDatabaseNotPublished } from "../../policies/docker-container-database-not-published";
import { mastodonSidekiqSchedulerOnce, sidekiqQueues } from "../../policies/mastodon-sidekiq-scheduler-once";
import type { StackSpecInput } from "../../stacks/schema";
import { bundledSpec, governed, planSpec } from "../helpers/program";
import { REPO_ROOT } from "../helpers/repo";
import { withTool } from "../helpers/tools";
import { mastodonDocumented, nextcloudNames } from "../helpers/web-oracles";

type Violation = { message: string; urn?: string };
const table = readPriceTable(REPO_ROOT);

/** The example (one host), then each growth step of the runbook applied to it. */
function step(n: 1 | 2 | 3 | 4): StackSpecInput {
  const spec = JSON.parse(JSON.stringify(bundledSpec("example"))) as Record<string, unknown>;
  if (n >= 2) spec.objectStorage = { enabled: true, location: "fsn1" };
  if (n >= 3) spec.placement = { hosts: [{ name: "db", serverType: "cx23", volumeSizeGb: 40, roles: ["postgres"] }] };
  if (n >= 4)
    (spec.placement as { hosts: unknown[] }).hosts.push({
      name: "worker-1",
      serverType: "cx23",
      volumeSizeGb: 10,
      roles: ["sidekiq"],
      queues: ["default", "push", "ingress", "pull"],
    });
  return spec as StackSpecInput;
}

const ofType = (view: DesiredStateView, type: string) => view.resources.filter((r) => r.type.endsWith(type));
const envOf = (r: GovernedResource) =>
  new Map((r.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

function runResourcePolicy(view: DesiredStateView): Violation[] {
  const out: Violation[] = [];
  for (const r of view.resources.filter((x) => x.type === "docker:index/container:Container")) {
    const args = { type: r.type, name: r.name, urn: r.urn, props: r.inputs } as never;
    (dockerContainerDatabaseNotPublished.validateResource as (a: unknown, r: unknown) => void)(args, ((v: Violation) =>
      out.push(v)) as never);
  }
  return out;
}

function runSchedulerPolicy(resources: ReadonlyArray<Pick<GovernedResource, "type" | "name" | "urn" | "inputs">>): Violation[] {
  const out: Violation[] = [];
  const args = { resources: resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs })) } as never;
  void mastodonSidekiqSchedulerOnce.validateStack(args, ((v: Violation) => out.push(v)) as never);
  return out;
}

describe("growing the example co-op step by step", async () => {
  const plans = {
    1: await planSpec(step(1), "example"),
    2: await planSpec(step(2), "example"),
    3: await planSpec(step(3), "example"),
    4: await planSpec(step(4), "example"),
  };
  const cost = (n: 1 | 2 | 3 | 4) => estimateMonthlyCost(plans[n].view.resources, table).total;
  const price = table.serverTypes.cx23 + table.primaryIp.ipv4 + table.primaryIp.ipv6;

  it("step 2 (media on object storage) costs the Object Storage base price and adds the buckets, no server", () => {
    const view = plans[2].view;
    expect(ofType(view, "s3Bucket:S3Bucket").map((r) => r.inputs.bucket)).toEqual(["example-co-op-example-media"]);
    expect(ofType(view, "server:Server")).toHaveLength(1);
    expect(cost(2) - cost(1)).toBeCloseTo(table.objectStorage?.basePerMonth ?? Number.NaN, 2);
  });

  it("step 3 (Postgres host) costs a server, its addresses, its volume and its backup box", () => {
    expect(ofType(plans[3].view, "server:Server")).toHaveLength(2);
    expect(cost(3) - cost(2)).toBeCloseTo(price + 40 * table.volumePerGb + table.storageBoxes.bx11, 2);
  });

  it("step 4 (worker host) costs a server, its addresses and its volume", () => {
    expect(ofType(plans[4].view, "server:Server")).toHaveLength(3);
    expect(cost(4) - cost(3)).toBeCloseTo(price + 10 * table.volumePerGb, 2);
  });

  it("every step keeps every database off the public interfaces (the real policy finds nothing)", () => {
    for (const n of [1, 2, 3, 4] as const) expect(runResourcePolicy(plans[n].view), `step ${n}`).toEqual([]);
  });

  it("every step has exactly one Sidekiq on the scheduler queue (the real stack policy finds nothing)", () => {
    for (const n of [1, 2, 3, 4] as const) {
      const sidekiqs = plans[n].view.resources.filter(
        (r) => r.type.endsWith("container:Container") && sidekiqQueues(r.inputs) !== undefined,
      );
      const schedulers = sidekiqs.filter((r) => {
        const q = sidekiqQueues(r.inputs);
        return q === "all" || q?.includes("scheduler");
      });
      expect(
        schedulers.map((r) => r.name),
        `step ${n}`,
      ).toEqual(["mastodon-sidekiq"]);
      expect(runSchedulerPolicy(plans[n].view.resources), `step ${n}`).toEqual([]);
    }
  });
});

describe("the grown example (stacks/example-grown.yaml)", async () => {
  const { view } = await planSpec(bundledSpec("example-grown"), "example-grown");
  const r = (name: string) => governed(view, name);

  it("declares a private network, its subnet and every host attached at its fixed address", () => {
    expect(r("private-network").inputs).toMatchObject({ ipRange: "10.20.0.0/16" });
    expect(r("private-subnet").inputs).toMatchObject({ ipRange: "10.20.0.0/24", networkZone: "eu-central", type: "cloud" });
    expect(ofType(view, "serverNetwork:ServerNetwork").map((x) => [x.name, x.inputs.ip])).toEqual(
      [
        ["host-db-private-network", "10.20.0.3"],
        ["host-private-network", "10.20.0.2"],
        ["host-worker-1-private-network", "10.20.0.4"],
      ].sort(),
    );
  });

  it("runs Postgres and PgBouncer on the database host, published on its private address only", () => {
    for (const name of ["mastodon-database-postgres", "mastodon-database-pgbouncer"]) {
      expect(r(name).provider, name).toMatch(/::host-db-docker$/);
      const ports = r(name).inputs.ports as Array<{ ip: string }>;
      expect(ports.length, name).toBeGreaterThan(0);
      for (const p of ports) expect(p.ip, name).toBe("10.20.0.3");
    }
    // The main host no longer runs a database of Mastodon's.
    expect(view.resources.find((x) => x.name === "mastodon-db")).toBeUndefined();
  });

  it("opens no database port in any firewall: placed hosts admit ping and SSH only", () => {
    for (const fw of ofType(view, "firewall:Firewall")) {
      const ports = (fw.inputs.rules as Array<{ port?: string }>).map((x) => x.port).filter(Boolean);
      for (const p of ["5432", "6432", "6379", "6380"]) expect(ports, fw.name).not.toContain(p);
    }
    for (const name of ["host-db-firewall", "host-worker-1-firewall"])
      expect((r(name).inputs.rules as Array<{ protocol: string; port?: string }>).map((x) => `${x.protocol}/${x.port ?? ""}`)).toEqual([
        "icmp/",
        "tcp/22",
      ]);
  });

  it("connects web, streaming and Sidekiq through PgBouncer, and the migrations straight to Postgres", () => {
    for (const name of ["mastodon-web", "mastodon-streaming", "mastodon-sidekiq", "mastodon-sidekiq-worker-1"]) {
      const env = envOf(r(name));
      expect([env.get("DB_HOST"), env.get("DB_PORT"), env.get("PREPARED_STATEMENTS")], name).toEqual(["10.20.0.3", "6432", "false"]);
    }
    const migrate = envOf(r("mastodon-migrate"));
    expect([migrate.get("DB_HOST"), migrate.get("DB_PORT"), migrate.has("PREPARED_STATEMENTS")]).toEqual(["10.20.0.3", "5432", false]);
    expect(envOf(r("mastodon-post-migrate")).get("DB_PORT")).toBe("5432");
  });

  it("splits Sidekiq by queue: the worker host takes four, the main host the rest with the scheduler", () => {
    expect(r("mastodon-sidekiq-worker-1").provider).toMatch(/::host-worker-1-docker$/);
    expect(sidekiqQueues(r("mastodon-sidekiq-worker-1").inputs)).toEqual(["default", "push", "ingress", "pull"]);
    expect(sidekiqQueues(r("mastodon-sidekiq").inputs)).toEqual(["mailers", "scheduler", "fasp"]);
    // Workers reach Redis on the main host's private address; Redis is published there only.
    const worker = envOf(r("mastodon-sidekiq-worker-1"));
    expect([worker.get("REDIS_HOST"), worker.get("CACHE_REDIS_HOST"), worker.get("CACHE_REDIS_PORT")]).toEqual([
      "10.20.0.2",
      "10.20.0.2",
      "6380",
    ]);
    for (const name of ["mastodon-redis", "mastodon-redis-cache"])
      for (const p of r(name).inputs.ports as Array<{ ip: string }>) expect(p.ip, name).toBe("10.20.0.2");
  });

  it("keeps Mastodon's media in the bucket with the documented variables, keys secret, served from files.<domain> (the CSP's media host)", () => {
    const env = envOf(r("mastodon-web"));
    expect(Object.fromEntries([...env].filter(([k]) => /^(S3_|AWS_)/.test(k)))).toEqual({
      S3_ENABLED: "true",
      S3_BUCKET: "example-co-op-example-grown-media",
      S3_ENDPOINT: "https://fsn1.your-objectstorage.com",
      S3_REGION: "fsn1",
      S3_HOSTNAME: "fsn1.your-objectstorage.com",
      S3_PROTOCOL: "https",
      // Mastodon's content_security_policy.rb takes the media host from S3_ALIAS_HOST (test/oracles/mastodon-object-storage.md).
      S3_ALIAS_HOST: "files.example.net",
      S3_PERMISSION: "private",
      AWS_ACCESS_KEY_ID: "<secret>",
      AWS_SECRET_ACCESS_KEY: "<secret>",
    });
    const documented = mastodonDocumented();
    for (const name of env.keys()) expect(documented.has(name), name).toBe(true);
    // Anyone may read an object, nobody may list the bucket.
    const policy = JSON.parse(r("object-storage-media-policy").inputs.policy as string);
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: ["arn:aws:s3:::example-co-op-example-grown-media/*"],
      }),
    ]);
    expect(r("object-storage-media").inputs).toMatchObject({ acl: "private", forceDestroy: false });
    expect(view.resources.find((x) => x.name === "object-storage-files-policy")).toBeUndefined();
  });

  it("gives Nextcloud its bucket as primary storage with the image's documented variables", () => {
    const names = nextcloudNames();
    for (const name of ["nextcloud-app", "nextcloud-cron"]) {
      const env = envOf(r(name));
      expect(env.get("OBJECTSTORE_S3_BUCKET"), name).toBe("example-co-op-example-grown-files");
      expect([env.get("OBJECTSTORE_S3_HOST"), env.get("OBJECTSTORE_S3_KEY"), env.get("OBJECTSTORE_S3_SECRET")], name).toEqual([
        "fsn1.your-objectstorage.com",
        "<secret>",
        "<secret>",
      ]);
      for (const k of env.keys()) if (k.startsWith("OBJECTSTORE_")) expect(names.has(k), k).toBe(true);
    }
  });

  it("publishes files.<domain> in DNS beside the other web names", () => {
    expect(ofType(view, "zoneRrset:ZoneRrset").map((x) => x.name)).toEqual(expect.arrayContaining(["dns-a-files", "dns-aaaa-files"]));
  });

  describe("the media alias host in the proxy's Caddyfile", () => {
    const caddyfile = (r("proxy-caddy").inputs.uploads as Array<{ file: string; content: string }>).find(
      (u) => u.file === CADDYFILE_PATH,
    )!.content;
    const site = caddyfile.slice(
      caddyfile.indexOf("\nfiles.example.net {"),
      caddyfile.indexOf("\n}\n", caddyfile.indexOf("\nfiles.example.net {")),
    );

    it("proxies to the bucket's own name, read-only, with Mastodon's origin for CORS and a long cache", () => {
      expect(site).toContain("reverse_proxy https://example-co-op-example-grown-media.fsn1.your-objectstorage.com {");
      expect(site).toContain("header_up Host {upstream_hostport}");
      expect(site).toContain("header_up -Authorization");
      expect(site).toMatch(/@write not method GET HEAD\n\t+respond @write "read-only" 405/);
      expect(site).toContain('Access-Control-Allow-Origin "https://social.example.net"');
      expect(site).toContain('Cache-Control "public, max-age=31536000, immutable"');
    });

    const itCaddy = withTool("caddy", "caddy");
    const dir = mkdtempSync(join(tmpdir(), "coop-growth-caddy-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const caddy = (...args: string[]) =>
      execFileSync("caddy", args, {
        env: { ...process.env, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config"), HOME: dir },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });

    itCaddy("passes `caddy validate`, and Caddy reads it as GET/HEAD to the bucket with the Host rewritten", () => {
      const file = join(dir, "grown.Caddyfile");
      writeFileSync(file, caddyfile);
      expect(caddy("validate", "--adapter", "caddyfile", "--config", file)).toContain("Valid configuration");
      const json = caddy("adapt", "--adapter", "caddyfile", "--config", file);
      const config = JSON.parse(json) as { apps: { http: { servers: Record<string, { routes: unknown[] }> } } };
      const route = Object.values(config.apps.http.servers)
        .flatMap((s) => s.routes)
        .find((x) => JSON.stringify(x).includes('"files.example.net"'));
      const text = JSON.stringify(route);
      expect(text).toContain('"dial":"example-co-op-example-grown-media.fsn1.your-objectstorage.com:443"');
      expect(text).toContain('"Host":["{http.reverse_proxy.upstream.hostport}"]');
      expect(text).toContain('"not":[{"method":["GET","HEAD"]}]');
      expect(text).toContain('"status_code":405');
    });
  });
});

describe("binding the private address at boot", async () => {
  const { view } = await planSpec(bundledSpec("example-grown"), "example-grown");

  it("every host on the private network may bind its address before DHCP brings it up (Docker does not retry a failed start)", () => {
    const binds = view.resources.filter((r) => r.name.endsWith("-private-bind")).map((r) => r.name);
    expect(binds.sort()).toEqual(["host-db-private-bind", "host-private-bind", "host-worker-1-private-bind"]);
    expect(String(governed(view, "host-db-private-bind").inputs.create)).toContain("net.ipv4.ip_nonlocal_bind = 1");
  });

  it("hosts without a private network are left as they were", async () => {
    const one = await planSpec(bundledSpec("example"), "example");
    expect(one.view.resources.filter((r) => r.name.endsWith("-private-bind"))).toEqual([]);
  });
});
