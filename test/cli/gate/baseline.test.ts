/**
 * The baseline policies through the real pack and the engine's requests: each is quiet on the
 * approved example (the compliant baseline) and refuses its unsafe variant with its reason.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enginePreview, type EngineResource } from "../../../cli/gate/engine-requests";
import { analyzePreview, runGate, type GateResult } from "../../../cli/gate/run-gate";
import { makePlan } from "../../../cli/plan/planning";
import { BASELINE_POLICIES } from "../../../policies/pack";
import { approvedRepo, type ApprovedRepo } from "../../helpers/approved-repo";

const STACK = "example";
let repo: ApprovedRepo;
let specText: string;

beforeAll(async () => {
  repo = await approvedRepo([STACK]);
  specText = readFileSync(join(repo.root, "stacks", `${STACK}.yaml`), "utf8");
});
afterAll(() => repo.cleanup());

async function gateWith(change: (r: EngineResource) => EngineResource | undefined, spec?: (s: string) => string): Promise<GateResult> {
  writeFileSync(join(repo.root, "stacks", `${STACK}.yaml`), spec ? spec(specText) : specText);
  const plan = await makePlan(repo.root, STACK);
  const preview = enginePreview(plan.run);
  return analyzePreview(repo.root, STACK, { resources: preview.resources.map((r) => change(r) ?? r) }, {}, { offlinePlan: true });
}

function refused(result: GateResult, policy: string, message: RegExp): void {
  const hit = result.violations.find((v) => v.policy === policy && v.level === "mandatory" && message.test(v.message));
  expect(
    hit,
    `no ${policy} violation matching ${message}:\n${JSON.stringify(
      result.violations.filter((v) => v.policy === policy),
      null,
      2,
    )}`,
  ).toBeDefined();
}

const named = (name: string, patch: (checked: Record<string, unknown>) => Record<string, unknown>) => (r: EngineResource) =>
  r.name === name ? { ...r, checked: patch(r.checked) } : undefined;

describe("the compliant baseline", () => {
  it("the approved example raises no baseline violation at all", async () => {
    writeFileSync(join(repo.root, "stacks", `${STACK}.yaml`), specText);
    const plan = await makePlan(repo.root, STACK);
    const r = await runGate(repo.root, plan.run);
    const baseline = new Set(BASELINE_POLICIES.map((p) => p.name));
    expect(r.violations.filter((v) => baseline.has(v.policy))).toEqual([]);
    expect(r.passed).toBe(true);
  });
});

describe("each baseline policy refuses its unsafe variant", () => {
  it("docker-container-image-pinned: latest, or no tag", async () => {
    refused(
      await gateWith(named("proxy-caddy", (c) => ({ ...c, image: "caddy:latest" }))),
      "docker-container-image-pinned",
      /proxy-caddy runs 'caddy:latest', which is not pinned/,
    );
    refused(await gateWith(named("proxy-caddy", (c) => ({ ...c, image: "caddy" }))), "docker-container-image-pinned", /not pinned/);
  });

  it("docker-container-env-secrets-not-plaintext: a password written into the program", async () => {
    // The engine delivers the list wholly secret (one entry is): the entry is judged by the lock, not the wrapper.
    const append = (envs: unknown) =>
      Array.isArray(envs)
        ? [...envs, "POSTGRES_PASSWORD=hunter2"]
        : { ...(envs as object), value: [...(envs as { value: unknown[] }).value, "POSTGRES_PASSWORD=hunter2"] };
    const r = await gateWith(named("nextcloud-app", (c) => ({ ...c, envs: append(c.envs) })));
    refused(r, "docker-container-env-secrets-not-plaintext", /nextcloud-app sets POSTGRES_PASSWORD to a plaintext value/);
    expect(JSON.stringify(r.violations)).not.toContain("hunter2");
  });

  it("hcloud-firewall-ssh-restricted: SSH from anywhere, unless the spec says so", async () => {
    const open = named("host-firewall", (c) => ({
      ...c,
      rules: [...(c.rules as unknown[]), { direction: "in", protocol: "tcp", port: "22", sourceIps: ["0.0.0.0/0"] }],
    }));
    refused(
      await gateWith(open),
      "hcloud-firewall-ssh-restricted",
      /opens SSH \(port 22\) to 0\.0\.0\.0\/0.*does not set host\.sshOpenToWorld/,
    );
    const allowed = await gateWith(open, (s) => s.replace("  sshSources:", "  sshOpenToWorld: true\n  sshSources:"));
    expect(allowed.violations.filter((v) => v.policy === "hcloud-firewall-ssh-restricted")).toEqual([]);
  });

  it("hcloud-firewall-ssh-restricted: the world spelled as halves, /1 networks, or split over rules", async () => {
    const ssh = (...sourceSets: string[][]) =>
      named("host-firewall", (c) => ({
        ...c,
        rules: [...(c.rules as unknown[]), ...sourceSets.map((sourceIps) => ({ direction: "in", protocol: "tcp", port: "22", sourceIps }))],
      }));
    refused(
      await gateWith(ssh(["0.0.0.0/1", "128.0.0.0/1"])),
      "hcloud-firewall-ssh-restricted",
      /to 0\.0\.0\.0\/1 and 128\.0\.0\.0\/1, which together cover the whole IPv4 internet/,
    );
    refused(await gateWith(ssh(["0.0.0.0/1"])), "hcloud-firewall-ssh-restricted", /to 0\.0\.0\.0\/1, broader than \/8/);
    refused(await gateWith(ssh(["::/1"])), "hcloud-firewall-ssh-restricted", /to ::\/1, broader than \/32/);
    refused(
      await gateWith(ssh(["10.0.0.0/8"], ["11.0.0.0/8"])),
      "hcloud-firewall-ssh-restricted",
      /SSH rules together open SSH to .*more IPv4 addresses than a \/8/,
    );
    const allowed = await gateWith(ssh(["0.0.0.0/1", "128.0.0.0/1"], ["::/1"]), (s) =>
      s.replace("  sshSources:", "  sshOpenToWorld: true\n  sshSources:"),
    );
    expect(allowed.violations.filter((v) => v.policy === "hcloud-firewall-ssh-restricted")).toEqual([]);
  });

  it("docker-container-database-not-published: Postgres with a published port", async () => {
    refused(
      await gateWith(named("mastodon-db", (c) => ({ ...c, ports: [{ internal: 5432, external: 5432 }] }))),
      "docker-container-database-not-published",
      /mastodon-db is a database and publishes 1 port/,
    );
  });

  it("docker-container-database-not-published: Postgres and Redis distributions, by their image", async () => {
    // On the host's network rather than publishing a port, so only the image tells it is a database.
    const onHost = (name: string, image: string) => named(name, (c) => ({ ...c, image, networkMode: "host" }));
    const postgres = [
      "postgis/postgis:17-3.5",
      "pgvector/pgvector:pg17",
      "bitnami/postgresql:17.2.0",
      "timescale/timescaledb:2.17.2-pg17",
      "ghcr.io/cloudnative-pg/postgresql:17.2",
    ];
    for (const image of postgres)
      refused(
        await gateWith(onHost("mastodon-db", image)),
        "docker-container-database-not-published",
        /mastodon-db is a database on the host's network/,
      );
    for (const image of [
      "bitnami/redis:7.4.1",
      "redis/redis-stack:7.4.0-v1",
      "valkey/valkey:8.0.1",
      "docker.io/eqalpha/keydb:x86_64_v6.3.4",
    ]) {
      refused(
        await gateWith(onHost("mastodon-redis", image)),
        "docker-container-database-not-published",
        /mastodon-redis is a database on the host's network/,
      );
    }
  });

  it("docker-container-database-not-published: any image publishing a database's port", async () => {
    const publish = (name: string, image: string, internal: number) =>
      named(name, (c) => ({ ...c, image, ports: [{ internal, external: internal }] }));
    refused(
      await gateWith(publish("mastodon-redis", "example/custom-store:1.0", 6379)),
      "docker-container-database-not-published",
      /mastodon-redis is a database and publishes 1 port\(s\), including database port 6379/,
    );
    refused(
      await gateWith(publish("mastodon-db", "example/custom-pg:17", 5432)),
      "docker-container-database-not-published",
      /mastodon-db is a database and publishes 1 port\(s\), including database port 5432/,
    );
  });

  it("hcloud-stateful-delete-protected: Hetzner protection off, or Pulumi's protect off", async () => {
    refused(
      await gateWith(named("host-volume", (c) => ({ ...c, deleteProtection: false }))),
      "hcloud-stateful-delete-protected",
      /host-volume holds state but lacks Hetzner delete protection/,
    );
    refused(
      await gateWith((r) => (r.name === "host-server" ? { ...r, options: { ...r.options, protect: false } } : undefined)),
      "hcloud-stateful-delete-protected",
      /host-server holds state but lacks Pulumi's protect option/,
    );
    refused(
      await gateWith((r) => (r.name === "mastodon-media" ? { ...r, options: { ...r.options, protect: false } } : undefined)),
      "hcloud-stateful-delete-protected",
      /mastodon-media holds data/,
    );
  });

  it("stack-backups-enabled: data on a Hetzner server without a backup", async () => {
    refused(
      await gateWith(
        () => undefined,
        (s) => s.replace(/backups:\n {2}enabled: true/, "backups:\n  enabled: false"),
      ),
      "stack-backups-enabled",
      /keeps data on a Hetzner server but declares no backup/,
    );
  });

  it("nextcloud-image-no-major-skip: 34 → 36", async () => {
    refused(
      await gateWith(named("nextcloud-app", (c) => ({ ...c, image: "nextcloud:36.0.0-apache" }))),
      "nextcloud-image-no-major-skip",
      /from major version 34 to 36/,
    );
  });

  it("docker-image-major-upgrade-named: a Mastodon major the lock does not approve", async () => {
    refused(
      await gateWith(named("mastodon-web", (c) => ({ ...c, image: "ghcr.io/mastodon/mastodon:v5.0.0" }))),
      "docker-image-major-upgrade-named",
      /coop-major: mastodon 4 -> 5/,
    );
  });
});
