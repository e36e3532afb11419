import { describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../../cli/offline/run-program";
import { postgresDataPath } from "../../../components/shared/datastores";
import { PROXY_ADDRESS, PROXY_ADDRESS_V6 } from "../../../components/proxy/proxy";
import { POSTGRES_IMAGES } from "../../../components/shared/images";
import {
  MASTODON_COMMANDS,
  MASTODON_HEALTHCHECKS,
  MASTODON_IMAGE,
  MASTODON_MEDIA_PATH,
  mastodonMemory,
  MASTODON_STREAMING_IMAGE,
} from "../../../components/mastodon/mastodon";
import { MASTODON_SECRET_NAMES } from "../../../components/mastodon/env";
import { SERVICE_MEMORY_MB, serviceMemoryMb } from "../../../stacks/catalog";
import { enabledServices } from "../../../stacks/schema";
import { isSecretOrUnknown, isUnknown, isWireSecret, unwrap } from "../../helpers/components";
import { byName, bundledSpec, governed, planSpec } from "../../helpers/program";
import { mastodonDocumented } from "../../helpers/web-oracles";

const C = "docker:index/container:Container";
const PREFIX = "example-co-op-example";

function children(resources: readonly RegisteredResource[], component: string): RegisteredResource[] {
  const urn = byName(resources, component).urn;
  return resources.filter((r) => r.parent === urn);
}

/** The env list with every secret wrapper still in place. */
function envList(r: RegisteredResource): unknown[] {
  return unwrap(r.inputs.envs) as unknown[];
}

/** The plain (not secret) entries as strings. */
function plainEntries(r: RegisteredResource): string[] {
  return envList(r)
    .filter((x) => !isWireSecret(x) && !isUnknown(x))
    .map(String);
}

describe("Mastodon in the example stack (under mocks)", async () => {
  const spec = bundledSpec("example");
  const { run, view } = await planSpec(spec, "example");
  const mine = children(run.resources, "mastodon");
  const containers = mine.filter((r) => r.type === C);
  const c = (part: string) => byName(run.resources, `mastodon-${part}`);
  const version = spec.services.mastodon.version;

  it("is a component with exactly these resources", () => {
    expect(byName(run.resources, "mastodon").type).toBe("coop:services:Mastodon");
    expect(mine.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "docker:index/network:Network mastodon-internal",
        "docker:index/volume:Volume mastodon-postgres-data",
        "docker:index/volume:Volume mastodon-redis-data",
        "docker:index/volume:Volume mastodon-media",
        ...["db", "redis", "redis-cache", "migrate", "web", "streaming", "sidekiq", "post-migrate"].map((p) => `${C} mastodon-${p}`),
        "random:index/randomBytes:RandomBytes mastodon-secret-key-base",
        "random:index/randomBytes:RandomBytes mastodon-otp-secret",
        "random:index/randomPassword:RandomPassword mastodon-ar-primary-key",
        "random:index/randomPassword:RandomPassword mastodon-ar-deterministic-key",
        "random:index/randomPassword:RandomPassword mastodon-ar-key-derivation-salt",
        "random:index/randomPassword:RandomPassword mastodon-db-password",
        "tls:index/privateKey:PrivateKey mastodon-vapid-key",
      ].sort(),
    );
  });

  it("names every Docker object <prefix>-mastodon-<part>", () => {
    for (const r of mine.filter((x) => x.type.startsWith("docker:"))) {
      // The pre-deployment migration is named after its release (see "replaces the release's migration" below).
      expect(String(r.inputs.name), r.name).toBe(
        `${PREFIX}-${r.name}`
          .replace("-postgres-data", "-postgres18")
          .replace("-redis-data", "-redis")
          .replace(/-migrate$/, r.name === "mastodon-migrate" ? `-migrate-${version}` : "-migrate"),
      );
    }
  });

  it("runs every Mastodon container on the one pinned release", () => {
    const mastodonImages = containers.filter((r) => String(r.inputs.image).startsWith("ghcr.io/mastodon/"));
    expect(mastodonImages.map((r) => r.name).sort()).toEqual([
      "mastodon-migrate",
      "mastodon-post-migrate",
      "mastodon-sidekiq",
      "mastodon-streaming",
      "mastodon-web",
    ]);
    const tags = new Set(mastodonImages.map((r) => String(r.inputs.image).split(":")[1]));
    expect([...tags]).toEqual([version]);
    expect(c("streaming").inputs.image).toBe(`${MASTODON_STREAMING_IMAGE}:${version}`);
    for (const p of ["web", "sidekiq", "migrate", "post-migrate"]) expect(c(p).inputs.image).toBe(`${MASTODON_IMAGE}:${version}`);
  });

  it("runs the commands and health checks of the official compose file", () => {
    expect(c("web").inputs.command).toEqual(["bundle", "exec", "puma", "-C", "config/puma.rb"]);
    expect(c("streaming").inputs.command).toEqual(["node", "./streaming/index.js"]);
    expect(c("sidekiq").inputs.command).toEqual(["bundle", "exec", "sidekiq"]);
    const test = (p: string) => ((c(p).inputs.healthcheck as Record<string, unknown>).tests as string[]).join(" ");
    expect(test("web")).toMatch(/^CMD-SHELL curl .*localhost:3000\/health \| grep -q 'OK'/);
    expect(test("streaming")).toMatch(/^CMD-SHELL curl .*localhost:4000\/api\/v1\/streaming\/health \| grep -q 'OK'/);
    expect(test("sidekiq")).toMatch(/^CMD-SHELL ps aux \| grep '\[s\]idekiq/);
    // The process title is "sidekiq <version> …": the check must match Sidekiq 6, 7 and 8.
    const pattern = /grep '(.*)'/.exec(test("sidekiq"))?.[1] ?? "";
    const asRegex = new RegExp(pattern.replace("[s]", "s"));
    for (const title of ["sidekiq 6.5.12 mastodon [0 of 5 busy]", "sidekiq 7.3.9 mastodon [0 of 5 busy]", "sidekiq 8.0.1 mastodon"])
      expect(title).toMatch(asRegex);
    expect("grep sidekiq").not.toMatch(asRegex);
    expect(MASTODON_HEALTHCHECKS.web[0]).toBe("CMD-SHELL");
  });

  it("prepares the database before the release starts and runs post-deployment migrations after", () => {
    const migrate = c("migrate");
    const post = c("post-migrate");
    expect(migrate.inputs.command).toEqual([...MASTODON_COMMANDS.prepare]);
    expect(migrate.inputs.command).toEqual(["bundle", "exec", "rails", "db:prepare"]);
    expect(post.inputs.command).toEqual(["bundle", "exec", "rails", "db:migrate"]);
    expect(plainEntries(migrate)).toContain("SKIP_POST_DEPLOYMENT_MIGRATIONS=true");
    expect(plainEntries(post).some((e) => e.startsWith("SKIP_POST_DEPLOYMENT_MIGRATIONS"))).toBe(false);
    for (const oneShot of [migrate, post]) {
      expect(oneShot.inputs).toMatchObject({ attach: true, mustRun: false, restart: "no" });
      expect(oneShot.options.customTimeouts?.create).toBe("90m");
    }
    // Order: database and Redis → migrate → web, streaming, sidekiq → post-migrate.
    expect(migrate.options.dependencies).toEqual(expect.arrayContaining([c("db").urn, c("redis").urn]));
    for (const p of ["web", "streaming", "sidekiq"]) {
      expect(c(p).options.dependencies, p).toContain(migrate.urn);
      expect(post.options.dependencies, p).toContain(c(p).urn);
      // The gate: an input that resolves only when the migration exited with 0.
      expect(governed(view, `mastodon-${p}`).inputs.labels).toEqual([{ label: "coop-infra.migrated", value: "<computed>" }]);
    }
  });

  it("keeps Postgres and Redis on the internal network only, with nothing published", () => {
    const internal = byName(run.resources, "mastodon-internal");
    expect(internal.inputs).toMatchObject({ name: `${PREFIX}-mastodon-internal`, internal: true });
    for (const p of ["db", "redis", "migrate", "post-migrate"]) {
      expect(c(p).inputs.ports, p).toBeUndefined();
      expect(c(p).inputs.networksAdvanced, p).toEqual([{ name: `${PREFIX}-mastodon-internal` }]);
    }
    for (const p of ["web", "streaming", "sidekiq"]) {
      expect(c(p).inputs.ports, p).toBeUndefined();
      const nets = (c(p).inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name);
      expect(nets, p).toEqual(expect.arrayContaining([`${PREFIX}-proxy-network`, `${PREFIX}-mastodon-internal`]));
    }
  });

  it("keeps the database on a named volume at the data path of its Postgres major, and media and Redis on named volumes", () => {
    expect(spec.services.mastodon.postgresMajor).toBe(18);
    expect(c("db").inputs.image).toBe(POSTGRES_IMAGES[18]);
    expect(c("db").inputs.volumes).toEqual([{ volumeName: `${PREFIX}-mastodon-postgres18`, containerPath: "/var/lib/postgresql" }]);
    expect(c("redis").inputs.volumes).toEqual([{ volumeName: `${PREFIX}-mastodon-redis`, containerPath: "/data" }]);
    for (const p of ["web", "sidekiq"])
      expect(c(p).inputs.volumes).toEqual([{ volumeName: `${PREFIX}-mastodon-media`, containerPath: MASTODON_MEDIA_PATH }]);
    for (const v of ["postgres-data", "redis-data", "media"]) {
      const r = c(v);
      expect(r.options.protect, v).toBe(true);
      expect(r.options.retainOnDelete, v).toBe(true);
    }
  });

  it("generates the seven secrets and the database password once, protected against replacement", () => {
    for (const n of [
      "secret-key-base",
      "otp-secret",
      "vapid-key",
      "ar-primary-key",
      "ar-deterministic-key",
      "ar-key-derivation-salt",
      "db-password",
    ]) {
      expect(c(n).options.protect, n).toBe(true);
    }
    expect(c("secret-key-base").inputs).toEqual({ length: 64 });
    expect(c("ar-primary-key").inputs).toMatchObject({ length: 32, special: false });
    expect(c("vapid-key").inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
  });

  it("hands the secrets over as secret entries and never shows them", () => {
    for (const p of ["web", "streaming", "sidekiq", "migrate", "post-migrate"]) {
      const r = c(p);
      const entries = envList(r);
      // Each generated entry travels as a secret (offline its value is a per-run placeholder).
      const secret = entries.filter(isWireSecret);
      for (const e of secret) expect(isSecretOrUnknown(e), p).toBe(true);
      // 7 secrets + DB_PASS (+ SMTP_PASSWORD when mail is wired), all generated.
      const smtp = plainEntries(r).some((e) => e.startsWith("SMTP_SERVER="));
      const names = secret.map((e) => String(unwrap(e)).split("=")[0]).sort();
      expect(names, p).toEqual([...MASTODON_SECRET_NAMES, "DB_PASS", ...(smtp ? ["SMTP_PASSWORD"] : [])].sort());
      for (const e of plainEntries(r)) {
        const name = e.split("=")[0];
        expect([...MASTODON_SECRET_NAMES, "DB_PASS", "SMTP_PASSWORD"], `${p}: ${name}`).not.toContain(name);
      }
      // The view keeps each entry's name and masks only the generated value.
      const shown = governed(view, `mastodon-${p}`).inputs.envs as string[];
      expect(shown.filter((e) => /^[A-Z_]+=<generated-secret>=?$/.test(e)).length).toBe(secret.length);
    }
  });

  it("sets only documented variable names, and the plain required ones", () => {
    const documented = mastodonDocumented();
    for (const e of plainEntries(c("web"))) {
      const name = e.split("=")[0];
      expect(documented.get(name), name).toBe("documented");
    }
    const plain = new Map(plainEntries(c("web")).map((e) => e.split("=") as [string, string]));
    expect(plain.get("LOCAL_DOMAIN")).toBe("social.example.coop");
    expect(plain.get("DB_HOST")).toBe(`${PREFIX}-mastodon-db`);
    expect(plain.get("REDIS_HOST")).toBe(`${PREFIX}-mastodon-redis`);
    expect(plain.has("RAILS_ENV")).toBe(false);
    expect(plain.has("NODE_ENV")).toBe(false);
  });

  it("believes X-Forwarded-For only from the proxy's two addresses, in web and streaming", () => {
    // Unset, Mastodon trusts every private address (its config.md, TRUSTED_PROXY_IP): any
    // container on the proxy network could claim any client address.
    for (const part of ["web", "streaming"]) {
      const plain = new Map(plainEntries(c(part)).map((e) => e.split("=") as [string, string]));
      expect(plain.get("TRUSTED_PROXY_IP"), part).toBe(`${PROXY_ADDRESS},${PROXY_ADDRESS_V6}`);
    }
  });

  it("replaces the release's migration create-first under a name of its own, so the old release serves while it runs", () => {
    const migrate = byName(run.resources, "mastodon-migrate");
    expect(migrate.inputs.name).toBe(`${PREFIX}-mastodon-migrate-v4.6.3`);
    expect(migrate.options.deleteBeforeReplace ?? false).toBe(false);
    // Nothing that serves depends on a delete-first resource that an upgrade replaces before them.
    for (const p of ["web", "streaming", "sidekiq"])
      expect(byName(run.resources, `mastodon-${p}`).options.dependencies).toContain(migrate.urn);
  });

  it("restarts long-running containers, replaces containers delete-first (fixed names) and limits memory within the budget", () => {
    for (const r of containers) {
      if (r.name === "mastodon-migrate") continue;
      expect(r.options.deleteBeforeReplace, r.name).toBe(true);
      if (r.inputs.mustRun === false) continue;
      expect(r.inputs.restart, r.name).toBe("unless-stopped");
      expect(((r.inputs.healthcheck as Record<string, unknown>)?.tests as unknown[])?.length, r.name).toBeGreaterThan(0);
    }
    // Mastodon's share of the example's cx33 (stacks/catalog.ts serviceMemoryMb), split by mastodonMemory.
    const budget = serviceMemoryMb(spec.host.target === "hetzner" ? spec.host.serverType : undefined, enabledServices(spec)).mastodon;
    expect(budget).toBeGreaterThanOrEqual(SERVICE_MEMORY_MB.mastodon);
    const total = Object.values(mastodonMemory(budget)).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(budget);
    const limits = containers.filter((r) => r.inputs.mustRun !== false).reduce((a, r) => a + Number(r.inputs.memory), 0);
    expect(limits).toBe(total);
  });
});

describe("Mastodon on Postgres 17", async () => {
  const spec = bundledSpec("example");
  const { run } = await planSpec(
    { ...spec, services: { ...spec.services, mastodon: { ...spec.services.mastodon, postgresMajor: 17 } } },
    "example",
  );

  it("mounts the volume at Postgres 17's PGDATA, under a name that says 17", () => {
    const db = byName(run.resources, "mastodon-db");
    expect(db.inputs.image).toBe(POSTGRES_IMAGES[17]);
    expect(postgresDataPath(17)).toBe("/var/lib/postgresql/data");
    expect(db.inputs.volumes).toEqual([{ volumeName: `${PREFIX}-mastodon-postgres17`, containerPath: "/var/lib/postgresql/data" }]);
  });
});
