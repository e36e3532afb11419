/**
 * Facts about Hetzner Storage Boxes that the spec validation and the Backup component rely on.
 * Kept as data, like stacks/catalog.ts. Prices are not here: the cost estimate reads them from
 * the dated price table (plan/prices/hetzner.yaml, `storageBoxes`).
 *
 * Source: hetzner.com/storage/storage-box (product list and comparison table), seen 2026-02-04.
 */
import type { Location } from "./catalog";

export interface StorageBoxType {
  readonly sizeTb: number;
  /** Snapshots the product includes; an automatic snapshot plan may keep at most this many. */
  readonly maxSnapshots: number;
}

export const STORAGE_BOX_TYPES = {
  bx11: { sizeTb: 1, maxSnapshots: 10 },
  bx21: { sizeTb: 5, maxSnapshots: 20 },
  bx31: { sizeTb: 10, maxSnapshots: 30 },
  bx41: { sizeTb: 20, maxSnapshots: 40 },
} as const satisfies Record<string, StorageBoxType>;
export type StorageBoxTypeName = keyof typeof STORAGE_BOX_TYPES;
export const STORAGE_BOX_TYPE_NAMES = Object.keys(STORAGE_BOX_TYPES) as StorageBoxTypeName[];

/** Storage Boxes are sold in Germany (Falkenstein) and Finland (Helsinki) only. */
export const STORAGE_BOX_LOCATIONS = ["fsn1", "hel1"] as const;
export type StorageBoxLocation = (typeof STORAGE_BOX_LOCATIONS)[number];

/**
 * Where the box goes when the spec does not say: never the server's own site, so a fire or a
 * flood at one data centre cannot take the data and its backup together.
 */
export function defaultStorageBoxLocation(serverLocation: Location): StorageBoxLocation {
  return serverLocation === "fsn1" ? "hel1" : "fsn1";
}
