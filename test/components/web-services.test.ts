/**
 * What must hold for every web container of a stack (proxy, Mastodon, Nextcloud), checked on
 * both bundled specs against the oracle files, and the secrets check on `coop plan` itself.
 */
import { describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../cli/offline/run-program";
import { mastodonMemory } from "../../components/mastodon/mastodon";
import { nextcloudMemory } from "../../components/nextcloud/nextcloud";
import { CADDY_MEMORY_MB } from "../../components/proxy/proxy";
import { SERVICE_MEMORY_MB, memoryNeededMb, serviceMemoryMb, usableMemoryMb } from "../../stacks/catalog";
import { StackSpecSchema, enabledServices } from "../../stacks/schema";
import { coop } from "../helpers/cli";
import { imageVolumesOracle } from "../helpers/oracles";
import { byName, bundledSpec, planSpec } from "../helpers/program";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";

/** The containers of the web components (the mail server is tested with mail). */
function webContainers(resources: readonly RegisteredResource[]): RegisteredResource[] {
  const parents = new Set(["proxy", "mastodon", "nextcloud"].map((n) => byName(resources, n).urn));
  return resources.filter((r) => r.type === CONTAINER && parents.has(r.parent));
}

/** Does an oracle image line ("postgres:18-alpine", "ghcr.io/mastodon/mastodon") describe this image? */
function oracleApplies(oracleImage: string, image: string): boolean {
  if (!oracleImage.includes(":")) return image.split(":")[0] === oracleImage;
  const [repo, tag] = oracleImage.split(":");
  const [iRepo, iTag] = image.split(":");
  if (repo !== iRepo) return false;
  // Version-specific lines (nextcloud:34.0.2-apache) hold for the same variant of any release.
  if (repo === "nextcloud") return iTag.endsWith("-apache") && tag.endsWith("-apache");
  // A line for a release line (postgres:18-alpine, caddy:2.11) holds for each exact release of
  // it (postgres:18.6-alpine, caddy:2.11.4-alpine): same version prefix, same variant or none.
  const [version, variant = ""] = tag.split(/-(.*)/);
  const [iVersion, iVariant = ""] = iTag.split(/-(.*)/);
  return (iVersion === version || iVersion.startsWith(`${version}.`)) && (variant === "" || iVariant === variant);
}

for (const stack of ["example", "local"] as const) {
  describe(`web containers of the ${stack} stack`, async () => {
    const { run } = await planSpec(bundledSpec(stack), stack);
    const containers = webContainers(run.resources);
    const volumeNames = new Set(run.resources.filter((r) => r.type === VOLUME).map((r) => String(r.inputs.name)));
    const oracle = imageVolumesOracle();

    it("back every VOLUME their image declares with a named volume at exactly that path", () => {
      let checked = 0;
      for (const c of containers) {
        const image = String(c.inputs.image);
        // One-shot migration runs write nothing to the media volume.
        if (c.inputs.mustRun === false) continue;
        const mounts = (c.inputs.volumes ?? []) as Array<{ containerPath: string; volumeName?: string; hostPath?: string }>;
        for (const line of oracle.filter((o) => oracleApplies(o.image, image))) {
          // The Mastodon image's media path is needed where media is written (web, sidekiq).
          const mount = mounts.find((m) => m.containerPath === line.path);
          // A cache that is never saved may hold the path in memory instead: no anonymous volume either.
          const tmpfs = (c.inputs.tmpfs ?? {}) as Record<string, string>;
          if (!mount && line.path in tmpfs) {
            checked++;
            continue;
          }
          expect(mount, `${c.name} (${image}) must mount ${line.path}`).toBeDefined();
          expect(mount?.hostPath, c.name).toBeUndefined();
          expect(volumeNames.has(String(mount?.volumeName)), `${c.name}: ${mount?.volumeName} is a declared docker.Volume`).toBe(true);
          checked++;
        }
      }
      // caddy ×2, postgres ×2, redis ×3 (one a tmpfs), mastodon web + sidekiq, nextcloud app + cron
      expect(checked).toBe(11);
    });

    it("protect every data volume and never mount host paths", () => {
      for (const v of run.resources.filter((r) => r.type === VOLUME && /^(proxy|mastodon|nextcloud)-/.test(r.name))) {
        expect(v.options.protect, v.name).toBe(true);
        expect(v.options.retainOnDelete, v.name).toBe(true);
      }
      for (const c of containers)
        for (const m of (c.inputs.volumes ?? []) as Array<{ hostPath?: string }>) expect(m.hostPath, c.name).toBeUndefined();
    });

    it("give every long-running container a restart policy and a health check", () => {
      const longRunning = containers.filter((c) => c.inputs.mustRun !== false);
      expect(longRunning.length).toBe(11);
      for (const c of longRunning) {
        expect(["unless-stopped", "always"], c.name).toContain(c.inputs.restart);
        const tests = (c.inputs.healthcheck as { tests?: string[] } | undefined)?.tests ?? [];
        expect(tests.length, c.name).toBeGreaterThan(1);
        expect(["CMD", "CMD-SHELL"], c.name).toContain(tests[0]);
      }
    });

    it("publish no Postgres or Redis port, and nothing but the proxy's ports", () => {
      for (const c of containers) {
        if (c.name === "proxy-caddy") continue;
        expect(c.inputs.ports, c.name).toBeUndefined();
        expect(c.inputs.publishAllPorts, c.name).toBeUndefined();
      }
      const datastores = containers.filter((c) => /^(postgres|redis):/.test(String(c.inputs.image)));
      // Each service's Postgres and Redis, and Mastodon's cache Redis.
      expect(datastores.length).toBe(5);
    });

    it("name every container, network and volume explicitly, with the stack's prefix", () => {
      const prefix = stack === "example" ? "example-co-op-example-" : "example-co-op-local-";
      const mine = run.resources.filter(
        (r) => /^docker:index\/(container|network|volume):/.test(r.type) && /^(proxy|mastodon|nextcloud)-/.test(r.name),
      );
      expect(mine.length).toBeGreaterThan(20);
      // Dots only in a release (the pre-deployment migration is named after it: mastodon-migrate-v4.6.3).
      for (const r of mine)
        expect(String(r.inputs.name), r.name).toMatch(
          new RegExp(`^${prefix}(proxy|mastodon|nextcloud)-[a-z0-9-]+(-v\\d+\\.\\d+\\.\\d+)?$`),
        );
    });
  });
}

describe("the example with all services fits its server type", () => {
  const spec = bundledSpec("example");

  it("validates (the schema checks memory against the server type)", () => {
    expect(StackSpecSchema.safeParse(spec).success).toBe(true);
    expect(enabledServices(spec)).toEqual(["mastodon", "nextcloud", "mail"]);
    expect(spec.host.target).toBe("hetzner");
    if (spec.host.target !== "hetzner") return;
    expect(memoryNeededMb(enabledServices(spec))).toBeLessThanOrEqual(usableMemoryMb(spec.host.serverType));
  });

  it("sets container memory limits that stay within each service's share and the server's usable memory", () => {
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    if (spec.host.target !== "hetzner") throw new Error("the example runs on Hetzner");
    const share = serviceMemoryMb(spec.host.serverType, enabledServices(spec));
    expect(sum(mastodonMemory(share.mastodon))).toBeLessThanOrEqual(share.mastodon);
    expect(sum(nextcloudMemory(share.nextcloud))).toBeLessThanOrEqual(share.nextcloud);
    expect(CADDY_MEMORY_MB).toBeLessThan(SERVICE_MEMORY_MB.base);
    const limits = sum(mastodonMemory(share.mastodon)) + sum(nextcloudMemory(share.nextcloud)) + CADDY_MEMORY_MB + share.mail;
    expect(limits).toBeLessThanOrEqual(usableMemoryMb(spec.host.serverType) - SERVICE_MEMORY_MB.base + CADDY_MEMORY_MB);
  });

  it("is refused on a server type that is too small", () => {
    const r = StackSpecSchema.safeParse({ ...spec, host: { ...spec.host, serverType: "cx23" } });
    expect(r.success).toBe(false);
  });
});

describe("`coop plan` never shows a generated secret", async () => {
  const result = await coop(["plan", "--stack", "example", "--json"]);

  it("prints the plan", () => {
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).resources.length).toBeGreaterThan(30);
  });

  it("shows no value for any credential variable", () => {
    const names = [
      "SECRET_KEY_BASE",
      "OTP_SECRET",
      "VAPID_PRIVATE_KEY",
      "VAPID_PUBLIC_KEY",
      "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
      "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
      "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
      "DB_PASS",
      "SMTP_PASSWORD",
      "POSTGRES_PASSWORD",
      "NEXTCLOUD_ADMIN_PASSWORD",
    ];
    const leak = new RegExp(`"(${names.join("|")})=(?!<secret>"|<computed>"|<generated-secret>=?")`);
    expect(result.stdout).not.toMatch(leak);
    // Nor key material of any kind in the web services' resources.
    const plan = JSON.parse(result.stdout) as { resources: Array<{ name: string; inputs: unknown }> };
    const web = plan.resources.filter((r) => /^(proxy|mastodon|nextcloud)-/.test(r.name));
    expect(web.length).toBeGreaterThan(30);
    expect(JSON.stringify(web)).not.toMatch(/PRIVATE KEY|[0-9a-f]{96,}|[A-Za-z0-9_-]{86}=/);
  });

  it("keeps every Mastodon and Nextcloud credential as a masked entry", () => {
    const plan = JSON.parse(result.stdout) as { resources: Array<{ name: string; inputs: { envs?: string[] } }> };
    const web = plan.resources.find((r) => r.name === "mastodon-web");
    const app = plan.resources.find((r) => r.name === "nextcloud-app");
    const masked = (e: string) => /^[A-Z_]+=<generated-secret>=?$/.test(e);
    expect(web?.inputs.envs?.filter(masked).length).toBeGreaterThanOrEqual(8);
    expect(app?.inputs.envs?.filter(masked).length).toBeGreaterThanOrEqual(2);
  });
});
