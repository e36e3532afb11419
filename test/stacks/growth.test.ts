/**
 * The growth blocks of the spec (stacks/growth.ts): object storage and roles on hosts of their
 * own. What the schema refuses, with the reason a co-op's admin reads, and the pure helpers the
 * components use (addresses on the private network, the main host's queues).
 */
import { describe, expect, it } from "vitest";
import { SCHEDULER_QUEUE, SIDEKIQ_QUEUES, mainSidekiqQueues, objectStorageEndpoint, privateAddress } from "../../stacks/growth";
import type { StackSpecInput } from "../../stacks/schema";
import { bundledSpec } from "../helpers/program";
import { specIssues } from "../helpers/spec-issues";

const base = (): StackSpecInput => {
  const spec = bundledSpec("example-grown");
  return JSON.parse(JSON.stringify(spec)) as StackSpecInput;
};

const issues = specIssues;

describe("the bundled grown example", () => {
  it("is valid: media and files in buckets, Postgres on 'db', a worker for four queues", () => {
    const spec = bundledSpec("example-grown");
    expect(spec.objectStorage).toMatchObject({ enabled: true, mastodonMedia: true, nextcloudPrimary: true, location: "fsn1" });
    expect(spec.placement.hosts.map((h) => [h.name, h.roles])).toEqual([
      ["db", ["postgres"]],
      ["worker-1", ["sidekiq"]],
    ]);
    expect(mainSidekiqQueues(spec.placement)).toEqual(["mailers", "scheduler", "fasp"]);
  });

  it("defaults to one host and no object storage (nothing changes for existing specs)", () => {
    const spec = bundledSpec("example");
    expect(spec.objectStorage.enabled).toBe(false);
    expect(spec.placement.hosts).toEqual([]);
    expect(mainSidekiqQueues(spec.placement)).toEqual([...SIDEKIQ_QUEUES]);
  });
});

describe("helpers", () => {
  it("derives the endpoint of each Hetzner Object Storage location", () => {
    expect(objectStorageEndpoint("fsn1")).toBe("fsn1.your-objectstorage.com");
    expect(objectStorageEndpoint("hel1")).toBe("hel1.your-objectstorage.com");
  });

  it("numbers hosts on the private network from .2 (Hetzner keeps .1 for the gateway)", () => {
    expect(privateAddress("10.20.0.0/24", 0)).toBe("10.20.0.2");
    expect(privateAddress("10.20.0.0/24", 2)).toBe("10.20.0.4");
  });

  it("leaves the main host exactly the queues no worker takes, the scheduler included when no worker lists it", () => {
    const placement = {
      networkRange: "10.20.0.0/24",
      hosts: [
        {
          name: "w",
          serverType: "cx23" as const,
          volumeSizeGb: 10,
          roles: ["sidekiq" as const],
          queues: ["default" as const, "push" as const],
        },
      ],
    };
    expect(mainSidekiqQueues(placement)).toEqual(["ingress", "mailers", "pull", "scheduler", "fasp"]);
    expect(mainSidekiqQueues(placement)).toContain(SCHEDULER_QUEUE);
  });
});

describe("red team: what the schema refuses, and why", () => {
  it("a second scheduler: two worker hosts both list 'scheduler'", () => {
    const spec = base() as { placement: { hosts: Array<Record<string, unknown>> } };
    spec.placement.hosts[1].queues = ["default", "scheduler"];
    spec.placement.hosts.push({ name: "worker-2", serverType: "cx23", roles: ["sidekiq"], queues: ["push", "scheduler"] });
    const found = issues(spec as StackSpecInput);
    expect(found).toEqual([
      expect.objectContaining({
        path: "placement.hosts.2.queues",
        message: expect.stringMatching(/scheduler queue is already processed.*run twice/),
      }),
    ]);
  });

  it("the same queue on two workers (double processing is not more threads)", () => {
    const spec = base() as { placement: { hosts: Array<Record<string, unknown>> } };
    spec.placement.hosts.push({ name: "worker-2", serverType: "cx23", roles: ["sidekiq"], queues: ["push"] });
    expect(issues(spec as StackSpecInput)).toEqual([
      expect.objectContaining({ path: "placement.hosts.2.queues.0", message: "queue 'push' is already processed on 'worker-1'" }),
    ]);
  });

  it("worker hosts while the media is still on the main host's volume", () => {
    const spec = base() as { objectStorage: Record<string, unknown> };
    spec.objectStorage.enabled = false;
    expect(issues(spec as StackSpecInput)).toEqual([
      expect.objectContaining({
        path: "placement.hosts",
        message: expect.stringMatching(/only the main host has Mastodon's media volume/),
      }),
    ]);
  });

  it("two database hosts, a role twice, a worker without queues, a host named like the main one", () => {
    const spec = base() as { placement: { hosts: Array<Record<string, unknown>> } };
    spec.placement.hosts.push({ name: "main", serverType: "cx23", roles: ["postgres", "postgres"] });
    spec.placement.hosts.push({ name: "worker-2", serverType: "cx23", roles: ["sidekiq"] });
    const messages = issues(spec as StackSpecInput).map((i) => i.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        "host name 'main' is taken",
        "a role is listed twice",
        "worker host 'worker-2' processes no queue",
        "more than one host has the postgres role",
      ]),
    );
  });

  it("a database host too small for Postgres", () => {
    const spec = base() as { placement: { hosts: Array<Record<string, unknown>> } };
    spec.placement.hosts[0].roles = ["postgres", "sidekiq"];
    spec.placement.hosts[0].queues = ["pull"];
    spec.placement.hosts[1].queues = ["default", "push", "ingress"];
    spec.placement.hosts[0].serverType = "cx23";
    // 768 + 1024 + 768 MB fits in a cx23's 3686 usable; a host that does not fit is refused:
    expect(issues(spec as StackSpecInput)).toEqual([]);
    const tiny = base() as { placement: { hosts: Array<Record<string, unknown>> }; host: Record<string, unknown> };
    tiny.placement.hosts[0].serverType = "ccx13";
    tiny.host.location = "ash";
    expect(issues(tiny as StackSpecInput).map((i) => i.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Hetzner does not sell cx23 in ash/)]),
    );
  });

  it("object storage on a local stack, or with nothing to store", () => {
    const local = JSON.parse(JSON.stringify(bundledSpec("local"))) as { objectStorage: Record<string, unknown> };
    local.objectStorage = { enabled: true };
    expect(issues(local as StackSpecInput).map((i) => i.message)).toContain(
      "object storage is Hetzner's, and a local stack has no Hetzner project",
    );
    const idle = JSON.parse(JSON.stringify(bundledSpec("split-mail"))) as { objectStorage: Record<string, unknown> };
    idle.objectStorage = { enabled: true };
    expect(issues(idle as StackSpecInput).map((i) => i.message)).toEqual([
      "object storage is enabled but nothing in this stack stores anything there",
    ]);
  });

  it("a private network outside 10.0.0.0/8 or wider than a /24", () => {
    for (const networkRange of ["192.168.1.0/24", "10.20.0.0/16", "10.20.0.5/24"]) {
      const spec = base() as { placement: Record<string, unknown> };
      spec.placement.networkRange = networkRange;
      expect(
        issues(spec as StackSpecInput).map((i) => i.path),
        networkRange,
      ).toEqual(["placement.networkRange"]);
    }
  });
});
