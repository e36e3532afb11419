import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../../cli/offline/run-program";
import { envNames } from "../../../components/shared/env";
import type { SmtpSender } from "../../../components/shared/interfaces";
import {
  LOCAL_SMTP_HOOK,
  LOCAL_SMTP_HOOK_PATH,
  NEXTCLOUD_HTML_PATH,
  nextcloudMemory,
  NEXTCLOUD_WAIT_SECONDS,
  Nextcloud,
} from "../../../components/nextcloud/nextcloud";
import { nextcloudEnv, runtimeOnly } from "../../../components/nextcloud/env";
import { PROXY_ADDRESS, PROXY_ADDRESS_V6 } from "../../../components/proxy/proxy";
import { SERVICE_MEMORY_MB, serviceMemoryMb } from "../../../stacks/catalog";
import { enabledServices } from "../../../stacks/schema";
import { envOf, isSecretOrUnknown, isUnknown, messageOf, named, runComponents, unwrap } from "../../helpers/components";
import { byName, bundledSpec, governed, planSpec } from "../../helpers/program";
import { withTool } from "../../helpers/tools";
import { nextcloudNames } from "../../helpers/web-oracles";

const C = "docker:index/container:Container";
const PREFIX = "example-co-op-example";

describe("Nextcloud's environment (renderer, with known fake secrets)", () => {
  const input = {
    hostname: "cloud.example.coop",
    db: { host: "db", name: "nextcloud", user: "nextcloud", password: "fake-db" },
    redisHost: "redis",
    admin: { user: "admin", password: "fake-admin" },
    trustedProxies: ["10.213.0.2", "fd3e:c0a1:213::2"],
    uploadLimit: "1G",
    phpMemoryLimitMb: 512,
    smtp: {
      host: "mail.example.coop",
      port: 465,
      security: "tls" as const,
      username: "nc@example.coop",
      password: "fake-smtp",
      fromLocalPart: "nc",
      fromDomain: "example.coop",
    },
  };
  const entries = nextcloudEnv<string>(input);
  const env = new Map(entries.map((e) => [e.name, e.value]));
  const oracle = nextcloudNames();

  it("uses only names of the image's README, never those of another database", () => {
    for (const n of envNames(entries)) {
      expect(oracle.has(n), n).toBe(true);
      expect(oracle.get(n), n).not.toBe("NOT-WITH-POSTGRES");
    }
  });

  it("sets everything the unattended installation and the SMTP setup need", () => {
    for (const [n, use] of oracle) if (use === "REQUIRED-AUTOINSTALL" || use === "REQUIRED-SMTP") expect(env.has(n), n).toBe(true);
  });

  it("runs behind the proxy: trusted domain, trusted proxy, overwrite settings", () => {
    expect(env.get("NEXTCLOUD_TRUSTED_DOMAINS")).toBe("cloud.example.coop");
    // The image's README: "A space-separated list of trusted proxies".
    expect(env.get("TRUSTED_PROXIES")).toBe("10.213.0.2 fd3e:c0a1:213::2");
    expect(env.get("APACHE_DISABLE_REWRITE_IP")).toBe("1");
    expect(env.get("OVERWRITEPROTOCOL")).toBe("https");
    expect(env.get("OVERWRITEHOST")).toBe("cloud.example.coop");
    expect(env.get("OVERWRITECLIURL")).toBe("https://cloud.example.coop");
    const local = new Map(nextcloudEnv<string>({ ...input, httpsPort: 8443 }).map((e) => [e.name, e.value]));
    expect(local.get("OVERWRITECLIURL")).toBe("https://cloud.example.coop:8443");
  });

  it("sends mail through the co-op's server with the README's TLS words", () => {
    expect(env.get("SMTP_SECURE")).toBe("ssl"); // implicit TLS on 465
    const starttls = new Map(
      nextcloudEnv<string>({ ...input, smtp: { ...input.smtp, port: 587, security: "starttls" } }).map((e) => [e.name, e.value]),
    );
    expect(starttls.get("SMTP_SECURE")).toBe("tls");
    expect(env.get("MAIL_FROM_ADDRESS")).toBe("nc");
    expect(env.get("MAIL_DOMAIN")).toBe("example.coop");
  });

  it("marks exactly the credentials as secret, and keeps install-only credentials away from cron", () => {
    expect(
      entries
        .filter((e) => e.secret)
        .map((e) => e.name)
        .sort(),
    ).toEqual(["NEXTCLOUD_ADMIN_PASSWORD", "POSTGRES_PASSWORD", "SMTP_PASSWORD"]);
    const cron = envNames(runtimeOnly(entries));
    for (const n of ["NEXTCLOUD_ADMIN_PASSWORD", "NEXTCLOUD_ADMIN_USER", "POSTGRES_PASSWORD"]) expect(cron, n).not.toContain(n);
    for (const n of ["REDIS_HOST", "SMTP_HOST", "SMTP_PASSWORD", "OVERWRITECLIURL", "TRUSTED_PROXIES"]) expect(cron, n).toContain(n);
  });
});

function children(resources: readonly RegisteredResource[], component: string): RegisteredResource[] {
  const urn = byName(resources, component).urn;
  return resources.filter((r) => r.parent === urn);
}

describe("Nextcloud in the example stack (under mocks)", async () => {
  const spec = bundledSpec("example");
  const { run, view } = await planSpec(spec, "example");
  const mine = children(run.resources, "nextcloud");
  const c = (part: string) => byName(run.resources, `nextcloud-${part}`);

  it("is a component with exactly these resources", () => {
    expect(byName(run.resources, "nextcloud").type).toBe("coop:services:Nextcloud");
    expect(mine.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "docker:index/network:Network nextcloud-internal",
        "docker:index/volume:Volume nextcloud-postgres-data",
        "docker:index/volume:Volume nextcloud-redis-data",
        "docker:index/volume:Volume nextcloud-html",
        `${C} nextcloud-db`,
        `${C} nextcloud-redis`,
        `${C} nextcloud-app`,
        `${C} nextcloud-cron`,
        "random:index/randomPassword:RandomPassword nextcloud-db-password",
        "random:index/randomPassword:RandomPassword nextcloud-admin-password",
      ].sort(),
    );
  });

  it("runs the apache image, and cron from the same image and volume", () => {
    const image = `nextcloud:${spec.services.nextcloud.version}-apache`;
    expect(c("app").inputs.image).toBe(image);
    expect(c("cron").inputs.image).toBe(image);
    expect(c("cron").inputs.entrypoints).toEqual(["/cron.sh"]);
    const html = [{ volumeName: `${PREFIX}-nextcloud-html`, containerPath: NEXTCLOUD_HTML_PATH }];
    expect(c("app").inputs.volumes).toEqual(html);
    expect(c("cron").inputs.volumes).toEqual(html);
    expect(c("cron").options.dependencies).toContain(c("app").urn);
    expect(c("app").options.dependencies).toEqual(expect.arrayContaining([c("db").urn, c("redis").urn]));
  });

  it("checks health on status.php (app) and the cron daemon (cron)", () => {
    const tests = (p: string) => ((c(p).inputs.healthcheck as Record<string, unknown>).tests as string[]).join(" ");
    expect(tests("app")).toMatch(/curl -fsS http:\/\/localhost\/status\.php \| grep -q '"installed":true'/);
    expect(tests("cron")).toBe("CMD-SHELL grep -qs crond /proc/1/cmdline || exit 1");
    for (const p of ["app", "cron", "db", "redis"]) expect(c(p).inputs.restart, p).toBe("unless-stopped");
  });

  it("makes the deploy wait for the installation, so a failed one fails the deploy", () => {
    const app = c("app");
    // The provider polls the health status after starting the container until it is healthy or
    // wait_timeout passes, and then fails the create (terraform-provider-docker v4.5.0,
    // resource_docker_container_funcs.go L590–L627).
    expect(app.inputs.wait).toBe(true);
    const hc = app.inputs.healthcheck as { startPeriod: string; interval: string; retries: number };
    const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1]);
    expect(Number(app.inputs.waitTimeout)).toBeGreaterThan(seconds(hc.startPeriod) + hc.retries * seconds(hc.interval));
    expect(Number(app.inputs.waitTimeout)).toBe(NEXTCLOUD_WAIT_SECONDS);
    // The provider's own create limit outlasts the wait, and cron is only created after it.
    expect(Number(/^(\d+)m$/.exec(String(app.options.customTimeouts?.create))?.[1]) * 60).toBeGreaterThan(NEXTCLOUD_WAIT_SECONDS);
    expect(c("cron").options.dependencies).toContain(app.urn);
  });

  it("counts as healthy only once status.php says installed", () => {
    const test = (c("app").inputs.healthcheck as { tests: string[] }).tests;
    expect(test[0]).toBe("CMD-SHELL");
    const dir = mkdtempSync(join(tmpdir(), "coop-nc-health-"));
    writeFileSync(join(dir, "curl"), "#!/bin/sh\nprintf '%s' \"$STATUS\"\n", { mode: 0o755 });
    const healthy = (status: string) =>
      spawnSync("sh", ["-c", test[1]], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, STATUS: status } }).status === 0;
    // status.php's answers (Nextcloud's status.php): before and after the installation.
    expect(healthy('{"installed":false,"maintenance":false,"needsDbUpgrade":false,"version":"34.0.2.2"}')).toBe(false);
    expect(healthy("")).toBe(false);
    expect(healthy('{"installed":true,"maintenance":false,"needsDbUpgrade":false,"version":"34.0.2.2"}')).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it("trusts only the proxy's fixed addresses (IPv4 and IPv6), and knows its public name", () => {
    const plain = (envs: unknown) =>
      (unwrap(envs) as unknown[])
        .map(unwrap)
        .filter((x) => !isUnknown(x))
        .map(String);
    const app = plain(c("app").inputs.envs);
    expect(app).toContain(`TRUSTED_PROXIES=${PROXY_ADDRESS} ${PROXY_ADDRESS_V6}`);
    expect(app).toContain("NEXTCLOUD_TRUSTED_DOMAINS=cloud.example.coop");
    expect(app).toContain("OVERWRITEPROTOCOL=https");
    expect(app).toContain(`NEXTCLOUD_ADMIN_USER=${spec.services.nextcloud.adminUser}`);
    expect(app).toContain(`POSTGRES_HOST=${PREFIX}-nextcloud-db`);
    expect(app).toContain(`REDIS_HOST=${PREFIX}-nextcloud-redis`);
    const oracle = nextcloudNames();
    for (const e of [...app, ...plain(c("cron").inputs.envs)]) expect(oracle.has(e.split("=")[0]), e).toBe(true);
    // The generated passwords travel as secrets, and the view masks their values.
    const generated = (unwrap(c("app").inputs.envs) as unknown[]).filter((e) => /PASSWORD=/.test(String(unwrap(e))));
    expect(generated.length).toBeGreaterThanOrEqual(2);
    for (const e of generated) expect(isSecretOrUnknown(e)).toBe(true);
    expect(
      (governed(view, "nextcloud-app").inputs.envs as string[]).some((e) => /PASSWORD=(?!<generated-secret>$|<secret>$)/.test(e)),
    ).toBe(false);
  });

  it("keeps Postgres and Redis internal, data on named volumes, passwords protected", () => {
    for (const p of ["db", "redis", "app", "cron"]) expect(c(p).inputs.ports, p).toBeUndefined();
    for (const p of ["db", "redis"]) expect(c(p).inputs.networksAdvanced, p).toEqual([{ name: `${PREFIX}-nextcloud-internal` }]);
    expect(byName(run.resources, "nextcloud-internal").inputs.internal).toBe(true);
    expect(c("db").inputs.volumes).toEqual([{ volumeName: `${PREFIX}-nextcloud-postgres18`, containerPath: "/var/lib/postgresql" }]);
    for (const v of ["postgres-data", "redis-data", "html"]) {
      expect(c(v).options.protect, v).toBe(true);
      expect(c(v).options.retainOnDelete, v).toBe(true);
    }
    for (const p of ["db-password", "admin-password"]) expect(c(p).options.protect, p).toBe(true);
  });

  it("limits memory within Nextcloud's budget", () => {
    const budget = serviceMemoryMb(spec.host.target === "hetzner" ? spec.host.serverType : undefined, enabledServices(spec)).nextcloud;
    expect(budget).toBeGreaterThanOrEqual(SERVICE_MEMORY_MB.nextcloud);
    const total = Object.values(nextcloudMemory(budget)).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(budget);
    expect(mine.filter((r) => r.type === C).reduce((a, r) => a + Number(r.inputs.memory), 0)).toBe(total);
  });
});

describe("Nextcloud with a mail server (component, known values)", async () => {
  const smtp: SmtpSender = {
    host: "mail.example.coop",
    port: 587,
    security: "starttls",
    username: "nextcloud@example.coop",
    password: "fake-smtp",
    fromAddress: "Nextcloud <nextcloud@example.coop>",
    network: "co-test-mail",
  };
  let nc: Nextcloud | undefined;
  const run = await runComponents(
    (host) => {
      nc = new Nextcloud("nextcloud", {
        host,
        version: "34.0.2",
        hostname: "cloud.example.coop",
        adminUser: "admin",
        postgresMajor: 17,
        proxyNetwork: "p",
        proxyAddresses: ["10.213.0.2"],
        smtp,
      });
    },
    { preview: false, state: (type, name) => (type.startsWith("random:") ? { result: `generated-${name}` } : {}) },
  );

  it("deploys, sending mail from the sender's address through the mail network", () => {
    expect(run.failures.map(messageOf)).toEqual([]);
    for (const p of ["app", "cron"]) {
      const env = envOf(named(run, `nextcloud-${p}`));
      expect(env.get("SMTP_HOST"), p).toBe("mail.example.coop");
      expect(env.get("SMTP_SECURE"), p).toBe("tls");
      expect(env.get("MAIL_FROM_ADDRESS"), p).toBe("nextcloud");
      expect(env.get("MAIL_DOMAIN"), p).toBe("example.coop");
      const nets = (named(run, `nextcloud-${p}`).inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name);
      expect(nets, p).toContain("co-test-mail");
    }
    expect(envOf(named(run, "nextcloud-app")).get("NEXTCLOUD_ADMIN_PASSWORD")).toBe("generated-nextcloud-admin-password");
    expect(envOf(named(run, "nextcloud-cron")).has("NEXTCLOUD_ADMIN_PASSWORD")).toBe(false);
  });

  it("mounts Postgres 17's data path", () => {
    expect(named(run, "nextcloud-db").inputs.volumes).toEqual([
      { volumeName: "co-test-nextcloud-postgres17", containerPath: "/var/lib/postgresql/data" },
    ]);
  });

  it("tells the backup to copy the files in maintenance mode", () => {
    expect(nc?.backup).toEqual({
      service: "nextcloud",
      postgres: [{ container: "co-test-nextcloud-db", database: "nextcloud", user: "nextcloud" }],
      volumes: [expect.anything()],
      before: ["docker exec -u www-data co-test-nextcloud-app php occ maintenance:mode --on"],
      after: ["docker exec -u www-data co-test-nextcloud-app php occ maintenance:mode --off"],
    });
  });
});

describe("Nextcloud sending mail on the local target", async () => {
  const smtp = {
    host: "mail.example.localhost",
    port: 587,
    security: "starttls" as const,
    username: "nextcloud@example.localhost",
    password: "fake-smtp",
    fromAddress: "nextcloud@example.localhost",
    network: "co-test-mail",
  };
  const declare = (target: "local" | "hetzner") =>
    runComponents(
      (host) => {
        new Nextcloud("nextcloud", {
          host: { ...host, target },
          version: "34.0.2",
          hostname: "cloud.example.localhost",
          adminUser: "admin",
          postgresMajor: 18,
          proxyNetwork: "p",
          proxyAddresses: ["10.213.0.2"],
          smtp,
        });
      },
      { preview: false, state: (type, name) => (type.startsWith("random:") ? { result: `generated-${name}` } : {}) },
    );
  const local = await declare("local");
  const hetzner = await declare("hetzner");

  it("does not verify the local mail server's certificate (Caddy's internal authority), on every start", () => {
    expect(local.failures.map(messageOf)).toEqual([]);
    const uploads = named(local, "nextcloud-app").inputs.uploads as Array<{ file: string; content: string; executable: boolean }>;
    expect(uploads).toContainEqual({ file: LOCAL_SMTP_HOOK_PATH, content: LOCAL_SMTP_HOOK, executable: true });
    expect(LOCAL_SMTP_HOOK_PATH).toMatch(/^\/docker-entrypoint-hooks\.d\/before-starting\/.+\.sh$/);
    for (const k of ["verify_peer", "verify_peer_name"])
      expect(LOCAL_SMTP_HOOK).toContain(`config:system:set mail_smtpstreamoptions ssl ${k} --type=boolean --value=false`);
  });

  it("verifies it everywhere else", () => {
    const files = (named(hetzner, "nextcloud-app").inputs.uploads as Array<{ file: string }>).map((u) => u.file);
    expect(files).not.toContain(LOCAL_SMTP_HOOK_PATH);
  });

  withTool("shellcheck", "shellcheck")("the hook passes shellcheck", () => {
    const r = spawnSync("shellcheck", ["--shell=sh", "-"], { input: LOCAL_SMTP_HOOK, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
  });
});
