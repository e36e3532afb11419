/**
 * Red team for growing beyond one server, written as an insider would try it: an admin who edits
 * a component or the spec in a pull request an ordinary reviewer approves. Each row asserts the
 * finding and its reason.
 */
import { describe, expect, it } from "vitest";
import { dockerContainerDatabaseNotPublished } from "../../policies/docker-container-database-not-published";
import { mastodonSidekiqSchedulerOnce } from "../../policies/mastodon-sidekiq-scheduler-once";
import { primaryStorageSwitches, describeSwitch } from "../../rulebook/changes/primary-storage";
import { POSTGRES_IMAGES, PGBOUNCER_IMAGE, REDIS_IMAGE } from "../../components/shared/images";
import { UNKNOWN as UNKNOWN_SENTINEL } from "../../kernel/pulumi-wire";

type Violation = { message: string; enforcementLevel: string; urn?: string };
const URN = (name: string) => `urn:pulumi:grown::coop-infra::coop:services:Mastodon$docker:index/container:Container::${name}`;

function container(name: string, props: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  (dockerContainerDatabaseNotPublished.validateResource as (a: unknown, r: unknown) => void)(
    { type: "docker:index/container:Container", name, urn: URN(name), props } as never,
    ((v: Violation) => out.push(v)) as never,
  );
  return out;
}

describe("red team: a database port opened on the public network", () => {
  const pg = { image: POSTGRES_IMAGES[18] };
  const rows: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "Postgres published with no address (Docker binds 0.0.0.0)",
      { ...pg, ports: [{ internal: 5432, external: 5432 }] },
      /publishes 1 port\(s\), including database port 5432 on all addresses/,
    ],
    [
      "Postgres bound to 0.0.0.0 explicitly",
      { ...pg, ports: [{ internal: 5432, external: 5432, ip: "0.0.0.0" }] },
      /on 0\.0\.0\.0, not only on a private-network address/,
    ],
    ["Postgres bound to IPv6's any-address", { ...pg, ports: [{ internal: 5432, external: 5432, ip: "::" }] }, /on ::/],
    [
      "Postgres bound to the host's public IPv4",
      { ...pg, ports: [{ internal: 5432, external: 5432, ip: "203.0.113.7" }] },
      /on 203\.0\.113\.7/,
    ],
    [
      "Postgres bound to a carrier-grade NAT address (not a Hetzner private network)",
      { ...pg, ports: [{ internal: 5432, external: 5432, ip: "100.64.0.3" }] },
      /on 100\.64\.0\.3/,
    ],
    [
      "one private port and a second one on all addresses",
      {
        ...pg,
        ports: [
          { internal: 5432, external: 5432, ip: "10.20.0.3" },
          { internal: 5432, external: 15432 },
        ],
      },
      /publishes 1 port\(s\).* on all addresses/,
    ],
    [
      "PgBouncer on a public address",
      { image: PGBOUNCER_IMAGE, ports: [{ internal: 6432, external: 6432, ip: "0.0.0.0" }] },
      /database port 6432 on 0\.0\.0\.0/,
    ],
    [
      "Redis opened for a worker on all addresses",
      { image: REDIS_IMAGE, ports: [{ internal: 6379, external: 6379 }] },
      /database port 6379 on all addresses/,
    ],
    [
      "a renamed image serving Postgres's port publicly",
      { image: "example/store:1.0", ports: [{ internal: 5432, external: 80 }] },
      /database port 5432 on all addresses/,
    ],
    [
      "an address computed at deploy time",
      { ...pg, ports: [{ internal: 5432, external: 5432, ip: UNKNOWN_SENTINEL }] },
      /not only on a private-network address/,
    ],
  ];
  for (const [what, props, reason] of rows) {
    it(what, () => {
      const found = container("mastodon-database-postgres", props);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ enforcementLevel: "mandatory", message: expect.stringMatching(reason) });
    });
  }

  it("passes a database bound to its host's private-network address only (the grown shape)", () => {
    expect(
      container("mastodon-database-postgres", { ...pg, ports: [{ internal: 5432, external: 5432, ip: "10.20.0.3", protocol: "tcp" }] }),
    ).toEqual([]);
    expect(
      container("mastodon-database-pgbouncer", { image: PGBOUNCER_IMAGE, ports: [{ internal: 6432, external: 6432, ip: "10.20.0.3" }] }),
    ).toEqual([]);
  });
});

function stack(containers: Array<[string, string[]]>): Violation[] {
  const out: Violation[] = [];
  const resources = containers.map(([name, command]) => ({
    type: "docker:index/container:Container",
    name,
    urn: URN(name),
    props: { image: "ghcr.io/mastodon/mastodon:v4.6.3", command },
  }));
  void mastodonSidekiqSchedulerOnce.validateStack({ resources } as never, ((v: Violation) => out.push(v)) as never);
  return out;
}

describe("red team: a second scheduler", () => {
  const sk = ["bundle", "exec", "sidekiq"];
  const rows: Array<[string, Array<[string, string[]]>, RegExp]> = [
    [
      "a worker host given the scheduler while the main host's Sidekiq still takes every queue",
      [
        ["mastodon-sidekiq", sk],
        ["mastodon-sidekiq-worker-1", [...sk, "-q", "default", "-q", "scheduler"]],
      ],
      /scheduler queue in 2 Sidekiq containers \(mastodon-sidekiq, mastodon-sidekiq-worker-1\): its cron jobs would run more than once/,
    ],
    [
      "a copy of the main Sidekiq on a worker, without -q (all queues)",
      [
        ["mastodon-sidekiq", [...sk, "-q", "mailers", "-q", "scheduler"]],
        ["mastodon-sidekiq-worker-1", sk],
      ],
      /in 2 Sidekiq containers/,
    ],
    [
      "the scheduler spelled --queue=scheduler,1 on a second worker",
      [
        ["mastodon-sidekiq-worker-1", [...sk, "-q", "scheduler"]],
        ["mastodon-sidekiq-worker-2", [...sk, "--queue=scheduler,1"]],
      ],
      /in 2 Sidekiq containers/,
    ],
    [
      "no Sidekiq left on the scheduler queue (the cron jobs, the media cache's cleanup, never run)",
      [
        ["mastodon-sidekiq", [...sk, "-q", "mailers"]],
        ["mastodon-sidekiq-worker-1", [...sk, "-q", "default"]],
      ],
      /no container processes the scheduler queue: Mastodon's cron jobs would never run/,
    ],
  ];
  for (const [what, containers, reason] of rows) {
    it(what, () => {
      const found = stack(containers);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ enforcementLevel: "mandatory", message: expect.stringMatching(reason) });
    });
  }

  it("passes exactly one (split or not)", () => {
    expect(stack([["mastodon-sidekiq", ["bundle", "exec", "sidekiq"]]])).toEqual([]);
    expect(
      stack([
        ["mastodon-sidekiq", ["bundle", "exec", "sidekiq", "-q", "mailers", "-q", "scheduler"]],
        ["mastodon-sidekiq-worker-1", ["bundle", "exec", "sidekiq", "-q", "default", "-q", "push"]],
      ]),
    ).toEqual([]);
  });
});

describe("red team: a switch of Nextcloud's primary storage on an existing stack", () => {
  const app = (envs: string[]) => ({
    urn: "urn:x::nextcloud-app",
    inputs: { image: "nextcloud:34.0.2-apache", envs: ["REDIS_HOST=r", ...envs] },
  });
  const lock = (...rs: ReturnType<typeof app>[]) => ({ resources: rs });
  const bucket = (b: string) => [`OBJECTSTORE_S3_BUCKET=${b}`, "OBJECTSTORE_S3_KEY=<secret>"];

  it("the data volume → a bucket on an installed Nextcloud: its files become unreachable", () => {
    const found = primaryStorageSwitches(lock(app([])), lock(app(bucket("coop-files"))));
    expect(found).toEqual([{ urn: "urn:x::nextcloud-app", from: null, to: "coop-files" }]);
    expect(describeSwitch(found[0])).toMatch(/from the data volume to bucket coop-files, and its files become unreachable/);
  });

  it("a bucket → the data volume, or another bucket", () => {
    expect(primaryStorageSwitches(lock(app(bucket("a"))), lock(app([])))).toEqual([{ urn: "urn:x::nextcloud-app", from: "a", to: null }]);
    expect(primaryStorageSwitches(lock(app(bucket("a"))), lock(app(bucket("b"))))).toHaveLength(1);
  });

  it("allows the choice at install: a new stack, or a Nextcloud the approved lock does not run yet", () => {
    expect(primaryStorageSwitches(null, lock(app(bucket("a"))))).toEqual([]);
    expect(primaryStorageSwitches(lock(), lock(app(bucket("a"))))).toEqual([]);
    expect(primaryStorageSwitches(lock(app(bucket("a"))), lock(app(bucket("a"))))).toEqual([]);
  });
});
