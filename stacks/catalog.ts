/**
 * Facts about Hetzner Cloud and about the services that the spec validation and the cost
 * estimate rely on. Kept as data so a co-op can update it without touching logic.
 *
 * Server types: Hetzner's public product list (shared x86 "CX" gen. 3, shared Arm "CAX",
 * dedicated AMD "CCX"). Memory is what the type provides; the services' needs are our own
 * sizing for a small co-op (see `SERVICE_MEMORY_MB`).
 */

export type Architecture = "x86" | "arm";

export interface ServerType {
  readonly vcpus: number;
  readonly memoryGb: number;
  readonly diskGb: number;
  readonly arch: Architecture;
  /** Locations where Hetzner sells this type. */
  readonly locations: readonly Location[];
}

export const LOCATIONS = {
  fsn1: "Falkenstein, Germany",
  nbg1: "Nuremberg, Germany",
  hel1: "Helsinki, Finland",
  ash: "Ashburn, Virginia, USA",
  hil: "Hillsboro, Oregon, USA",
  sin: "Singapore",
} as const;
export type Location = keyof typeof LOCATIONS;

const EU: readonly Location[] = ["fsn1", "nbg1", "hel1"];
const ALL: readonly Location[] = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"];

export const SERVER_TYPES = {
  cx23: { vcpus: 2, memoryGb: 4, diskGb: 40, arch: "x86", locations: EU },
  cx33: { vcpus: 4, memoryGb: 8, diskGb: 80, arch: "x86", locations: EU },
  cx43: { vcpus: 8, memoryGb: 16, diskGb: 160, arch: "x86", locations: EU },
  cx53: { vcpus: 16, memoryGb: 32, diskGb: 320, arch: "x86", locations: EU },
  cax11: { vcpus: 2, memoryGb: 4, diskGb: 40, arch: "arm", locations: EU },
  cax21: { vcpus: 4, memoryGb: 8, diskGb: 80, arch: "arm", locations: EU },
  cax31: { vcpus: 8, memoryGb: 16, diskGb: 160, arch: "arm", locations: EU },
  cax41: { vcpus: 16, memoryGb: 32, diskGb: 320, arch: "arm", locations: EU },
  ccx13: { vcpus: 2, memoryGb: 8, diskGb: 80, arch: "x86", locations: ALL },
  ccx23: { vcpus: 4, memoryGb: 16, diskGb: 160, arch: "x86", locations: ALL },
  ccx33: { vcpus: 8, memoryGb: 32, diskGb: 240, arch: "x86", locations: ALL },
  ccx43: { vcpus: 16, memoryGb: 64, diskGb: 360, arch: "x86", locations: ALL },
} as const satisfies Record<string, ServerType>;
export type ServerTypeName = keyof typeof SERVER_TYPES;

export const SERVER_TYPE_NAMES = Object.keys(SERVER_TYPES) as ServerTypeName[];
export const LOCATION_NAMES = Object.keys(LOCATIONS) as Location[];

/** Debian/Ubuntu images the cloud-init is written and tested for. */
export const IMAGES = ["debian-12", "debian-13", "ubuntu-24.04"] as const;
export type ImageName = (typeof IMAGES)[number];

/**
 * Memory each part of the stack needs at least, in MB: the hard limits of its containers add up
 * to it on the smallest server that fits. Mastodon's figure covers web (two Puma processes of
 * five threads), streaming, Sidekiq (five threads), Postgres and its two Redis; Nextcloud's
 * covers Apache/PHP (one request at PHP's 512 MB limit beside a few ordinary ones), cron (one
 * PHP run at that limit), Postgres and Redis; mail covers docker-mailserver with Rspamd (ClamAV
 * off). The base covers the OS, Docker, the Caddy proxy and the alerts' checker (Gatus, when
 * alerts are on). The components split each figure
 * (components/mastodon/mastodon.ts mastodonMemory, components/nextcloud/nextcloud.ts
 * nextcloudMemory).
 */
export const SERVICE_MEMORY_MB = {
  base: 768,
  mastodon: 2560,
  nextcloud: 2048,
  mail: 1024,
} as const;
export type ServiceName = "mastodon" | "nextcloud" | "mail";
export const SERVICE_NAMES: readonly ServiceName[] = ["mastodon", "nextcloud", "mail"];

/** Share of the server's memory we are willing to plan for; the rest is page cache and spikes. */
export const MEMORY_HEADROOM = 0.9;

export function memoryNeededMb(services: readonly ServiceName[]): number {
  return services.reduce<number>((sum, s) => sum + SERVICE_MEMORY_MB[s], SERVICE_MEMORY_MB.base);
}

export function usableMemoryMb(type: ServerTypeName): number {
  return Math.floor(SERVER_TYPES[type].memoryGb * 1024 * MEMORY_HEADROOM);
}

/**
 * The memory each enabled service may use at most, in MB: its need (SERVICE_MEMORY_MB), and on a
 * server also a share of what the server has beyond the needs, in proportion to them. What is
 * handed out never passes the usable memory (MEMORY_HEADROOM of the server's), with the base
 * kept for the OS, Docker and the proxy, so a runaway process is stopped inside its service's
 * share while the kernel keeps its headroom for the page cache. Without a server type (the
 * local target, someone's own machine) each service gets its need.
 */
export function serviceMemoryMb(serverType: ServerTypeName | undefined, services: readonly ServiceName[]): Record<ServiceName, number> {
  const spare = serverType === undefined ? 0 : Math.max(0, usableMemoryMb(serverType) - memoryNeededMb(services));
  const needs = services.reduce((sum, s) => sum + SERVICE_MEMORY_MB[s], 0);
  const out = { mastodon: 0, nextcloud: 0, mail: 0 };
  for (const s of services) out[s] = SERVICE_MEMORY_MB[s] + Math.floor((spare * SERVICE_MEMORY_MB[s]) / needs);
  return out;
}

/** Shared-vCPU families cost less than dedicated ones of the same memory. */
const FAMILY_RANK: Record<string, number> = { cx: 0, cax: 1, ccx: 2 };
const family = (t: string) => FAMILY_RANK[t.replace(/\d+$/, "")] ?? 9;

/** Server types sold in `location` that fit `neededMb`, smallest and cheapest family first. */
export function typesThatFit(neededMb: number, location: Location, arch?: Architecture): ServerTypeName[] {
  return SERVER_TYPE_NAMES.filter((t) => {
    const st: ServerType = SERVER_TYPES[t];
    return usableMemoryMb(t) >= neededMb && st.locations.includes(location) && (!arch || st.arch === arch);
  }).sort((a, b) => SERVER_TYPES[a].memoryGb - SERVER_TYPES[b].memoryGb || family(a) - family(b));
}
