/**
 * The parts of a stack spec for growing beyond one server (issue 17): object storage for
 * Mastodon's media and Nextcloud's files, and roles (Postgres, Sidekiq) on hosts of their own
 * inside the same stack, on a Hetzner private network. Kept apart from schema.ts so the spec's
 * other sections and these can change without meeting; schema.ts adds the two blocks and calls
 * growthIssues from its cross-field rules.
 */
import { z } from "zod";
import { parseIpNetwork } from "../kernel/networks";
import { SERVER_TYPE_NAMES, SERVER_TYPES, type ServerTypeName, usableMemoryMb, SERVICE_MEMORY_MB } from "./catalog";

/** Hetzner Object Storage locations (docs.hetzner.com, storage/object-storage: fsn1, nbg1, hel1). */
export const OBJECT_STORAGE_LOCATIONS = ["fsn1", "nbg1", "hel1"] as const;
export type ObjectStorageLocation = (typeof OBJECT_STORAGE_LOCATIONS)[number];

/** The S3 endpoint host of a location: `<location>.your-objectstorage.com`. */
export function objectStorageEndpoint(location: ObjectStorageLocation): string {
  return `${location}.your-objectstorage.com`;
}

/**
 * Mastodon's Sidekiq queues (config/sidekiq.yml; docs.joinmastodon.org admin/scaling "Queues").
 * `scheduler` runs the cron jobs and must be processed by exactly one Sidekiq process.
 */
export const SIDEKIQ_QUEUES = ["default", "push", "ingress", "mailers", "pull", "scheduler", "fasp"] as const;
export type SidekiqQueue = (typeof SIDEKIQ_QUEUES)[number];
export const SCHEDULER_QUEUE: SidekiqQueue = "scheduler";

export const ObjectStorageSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Use Hetzner Object Storage (S3-compatible) for Mastodon's media and, if chosen at install, Nextcloud's files. Needs the keys: `pulumi config set --secret coop-infra:objectStorageAccessKey` and `... objectStorageSecretKey` (Hetzner creates S3 keys in the Console only).",
      ),
    location: z
      .enum(OBJECT_STORAGE_LOCATIONS)
      .default("fsn1")
      .describe(
        "Where the buckets are: fsn1 (Falkenstein), nbg1 (Nuremberg) or hel1 (Helsinki). Endpoint: <location>.your-objectstorage.com.",
      ),
    bucketPrefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$/, { message: "expected lower-case letters, digits and hyphens, e.g. river-coop" })
      .nullable()
      .default(null)
      .describe(
        "Start of every bucket name (bucket names are unique across all of Hetzner's customers). null = the co-op's short name and the stack, e.g. example-coop-grown-media.",
      ),
    mastodonMedia: z
      .boolean()
      .default(true)
      .describe(
        "Keep Mastodon's media (uploads and the cache of remote media) in a bucket, served at the alias host mediaHostname.<domain>.",
      ),
    mediaHostname: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: "expected a single DNS label such as 'files'" })
      .default("files")
      .describe(
        "Host name under the co-op's domain that serves Mastodon's media from the bucket through the proxy (buckets take no custom domain).",
      ),
    remoteMediaDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(7)
      .describe(
        "Days the cache of other servers' media is kept before `tootctl media remove` drops it (refetched when someone looks again).",
      ),
    previewCardDays: z
      .number()
      .int()
      .min(14)
      .max(365)
      .default(30)
      .describe("Days link-preview images are kept before `tootctl preview_cards remove` drops them (Mastodon refuses fewer than 14)."),
    nextcloudPrimary: z
      .boolean()
      .default(false)
      .describe(
        "Nextcloud keeps every file in a bucket instead of on the data volume. Choose at install only: switching an existing Nextcloud makes its files unreachable, so the rulebook refuses the change.",
      ),
  })
  .strict()
  .describe("Hetzner Object Storage for media and files (growing beyond one server's disk).");

const role = z.enum(["postgres", "sidekiq"]);
export type HostRole = z.output<typeof role>;

export const PlacedHostSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,14}$/, { message: "expected a short lower-case name such as 'db' or 'worker-1'" })
      .describe("Name of the host inside the stack; part of its name at Hetzner."),
    serverType: z.enum(SERVER_TYPE_NAMES).default("cx23").describe("Hetzner server type of this host."),
    volumeSizeGb: z
      .number()
      .int()
      .min(10)
      .max(10240)
      .default(20)
      .describe("Size of this host's data volume in GB (the database lives there)."),
    roles: z
      .array(role)
      .min(1)
      .describe("What runs on this host: 'postgres' (Mastodon's database and PgBouncer) or 'sidekiq' (Mastodon's background workers)."),
    queues: z
      .array(z.enum(SIDEKIQ_QUEUES))
      .default([])
      .describe(
        "With role sidekiq: the queues this host's Sidekiq processes (`-q default -q push …`). The main host's Sidekiq processes the queues no worker host lists; 'scheduler' is processed exactly once in the whole deployment.",
      ),
  })
  .strict()
  .describe("A host of its own for a role, in the same stack and on the stack's private network.");
export type PlacedHost = z.output<typeof PlacedHostSchema>;

export const PlacementSchema = z
  .object({
    networkRange: z
      .string()
      .regex(/^10\.\d{1,3}\.\d{1,3}\.0\/24$/, { message: "expected a private IPv4 /24 under 10.0.0.0/8, e.g. 10.20.0.0/24" })
      .default("10.20.0.0/24")
      .describe(
        "The Hetzner private network the hosts share (the database is reachable only there). The main host gets .2, the hosts below .3, .4 … in list order: add new hosts at the end.",
      ),
    hosts: z
      .array(PlacedHostSchema)
      .default([])
      .describe("Hosts beside the main one, each with its roles. Empty: everything on the main host."),
  })
  .strict()
  .describe("Which role runs on which host (Postgres, Sidekiq workers).");

export type ObjectStorageSpec = z.output<typeof ObjectStorageSchema>;
export type PlacementSpec = z.output<typeof PlacementSchema>;

/** What growthIssues reads of the spec. */
interface GrowthView {
  readonly host: { readonly target: string; readonly location?: string };
  readonly services: { readonly mastodon: { readonly enabled: boolean }; readonly nextcloud: { readonly enabled: boolean } };
  readonly objectStorage: ObjectStorageSpec;
  readonly placement: PlacementSpec;
}

/** Memory a placed host must have for its roles, in MB (the base: OS and Docker). */
export function placedHostNeedMb(h: Pick<PlacedHost, "roles">): number {
  return (
    SERVICE_MEMORY_MB.base +
    (h.roles.includes("postgres") ? POSTGRES_HOST_NEED_MB : 0) +
    (h.roles.includes("sidekiq") ? SIDEKIQ_HOST_NEED_MB : 0)
  );
}
/** Postgres on its own host (shared buffers and work memory) and PgBouncer beside it. */
export const POSTGRES_HOST_NEED_MB = 1024;
/** One Sidekiq process of Mastodon's default threads (components/mastodon MASTODON_MEMORY_NEEDS_MB.sidekiq, rounded up). */
export const SIDEKIQ_HOST_NEED_MB = 768;

/** The memory a placed host's containers may use, in MB: its usable memory beside the system's share. */
export function usableOn(serverType: ServerTypeName): number {
  return usableMemoryMb(serverType) - SERVICE_MEMORY_MB.base;
}

/** The private address of the main host (0) and of each placed host (1…) on the network. */
export function privateAddress(range: string, index: number): string {
  const base = range.split("/")[0].split(".").map(Number);
  // .1 is the network's gateway at Hetzner; hosts start at .2.
  return `${base[0]}.${base[1]}.${base[2]}.${2 + index}`;
}

/** The queues the main host's Sidekiq processes: those no placed host lists (all of them without workers). */
export function mainSidekiqQueues(placement: PlacementSpec): SidekiqQueue[] {
  const taken = new Set(placement.hosts.filter((h) => h.roles.includes("sidekiq")).flatMap((h) => h.queues));
  return SIDEKIQ_QUEUES.filter((q) => !taken.has(q));
}

export function postgresHost(placement: PlacementSpec): PlacedHost | undefined {
  return placement.hosts.find((h) => h.roles.includes("postgres"));
}

/** The label of Mastodon's media alias host when its media is in a bucket, e.g. 'files'. */
export function mediaHostLabel(spec: Pick<GrowthView, "objectStorage" | "services">): string | undefined {
  const os = spec.objectStorage;
  return os.enabled && os.mastodonMedia && spec.services.mastodon.enabled ? os.mediaHostname : undefined;
}

/** The cross-field rules of the growth blocks, reported on the spec's own paths. */
export function growthIssues(spec: GrowthView, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string, hint: string) => ctx.addIssue({ code: "custom", path, message, params: { hint } });
  const os = spec.objectStorage;
  const pl = spec.placement;
  if (os.enabled && spec.host.target !== "hetzner")
    issue(
      ["objectStorage", "enabled"],
      "object storage is Hetzner's, and a local stack has no Hetzner project",
      "set objectStorage.enabled: false on a local stack",
    );
  if (os.enabled && !(os.mastodonMedia && spec.services.mastodon.enabled) && !(os.nextcloudPrimary && spec.services.nextcloud.enabled))
    issue(
      ["objectStorage"],
      "object storage is enabled but nothing in this stack stores anything there",
      "set mastodonMedia: true with Mastodon enabled, nextcloudPrimary: true on a new Nextcloud, or objectStorage.enabled: false",
    );
  if (pl.hosts.length === 0) return;
  if (spec.host.target !== "hetzner")
    issue(["placement", "hosts"], "hosts of their own exist only on Hetzner", "remove placement.hosts on a local stack");
  if (!spec.services.mastodon.enabled)
    issue(
      ["placement", "hosts"],
      "the roles that can move to hosts of their own are Mastodon's, and Mastodon is not enabled here",
      "remove placement.hosts",
    );
  const names = new Set<string>();
  let postgres = 0;
  const schedulers: number[] = [];
  const queueOwner = new Map<string, string>();
  pl.hosts.forEach((h, i) => {
    if (names.has(h.name) || h.name === "main")
      issue(
        ["placement", "hosts", i, "name"],
        `host name '${h.name}' is taken`,
        "give each host its own name ('main' is the stack's own host)",
      );
    names.add(h.name);
    if (new Set(h.roles).size !== h.roles.length)
      issue(["placement", "hosts", i, "roles"], "a role is listed twice", "list each role once");
    if (h.roles.includes("postgres")) postgres++;
    const sidekiq = h.roles.includes("sidekiq");
    if (sidekiq && h.queues.length === 0)
      issue(
        ["placement", "hosts", i, "queues"],
        `worker host '${h.name}' processes no queue`,
        `list its queues, e.g. queues: [default, push, ingress]`,
      );
    if (!sidekiq && h.queues.length > 0)
      issue(["placement", "hosts", i, "queues"], `'${h.name}' has queues but no sidekiq role`, "add role sidekiq, or remove the queues");
    h.queues.forEach((q, j) => {
      const other = queueOwner.get(q);
      if (other !== undefined && q === SCHEDULER_QUEUE) schedulers.push(i);
      else if (other !== undefined)
        issue(
          ["placement", "hosts", i, "queues", j],
          `queue '${q}' is already processed on '${other}'`,
          "give each queue to one host (more threads: a bigger worker host)",
        );
      queueOwner.set(q, h.name);
    });
    const need = placedHostNeedMb(h);
    const usable = usableMemoryMb(h.serverType as ServerTypeName);
    if (need > usable)
      issue(
        ["placement", "hosts", i, "serverType"],
        `'${h.name}' needs ${need} MB for ${h.roles.join(" and ")}, but ${h.serverType} has ${SERVER_TYPES[h.serverType].memoryGb} GB (${usable} MB usable)`,
        "choose a bigger server type",
      );
    if (spec.host.location && !(SERVER_TYPES[h.serverType].locations as readonly string[]).includes(spec.host.location))
      issue(
        ["placement", "hosts", i, "serverType"],
        `Hetzner does not sell ${h.serverType} in ${spec.host.location}`,
        "choose a type sold there",
      );
  });
  for (const i of schedulers)
    issue(
      ["placement", "hosts", i, "queues"],
      "the scheduler queue is already processed by another host: Mastodon's cron jobs would run twice (docs.joinmastodon.org, admin/scaling: never more than one Sidekiq process)",
      "keep 'scheduler' on exactly one host",
    );
  if (postgres > 1) issue(["placement", "hosts"], "more than one host has the postgres role", "give Mastodon's database one host");
  const workers = pl.hosts.filter((h) => h.roles.includes("sidekiq"));
  if (workers.length > 0 && !(os.enabled && os.mastodonMedia))
    issue(
      ["placement", "hosts"],
      "Sidekiq on another host writes media, and only the main host has Mastodon's media volume",
      "move the media to object storage first (objectStorage.enabled and mastodonMedia: true): the growth runbook's step 2",
    );
  const network = parseIpNetwork(pl.networkRange);
  if (!network) issue(["placement", "networkRange"], `'${pl.networkRange}' is not a network`, "write it as 10.20.0.0/24");
}
