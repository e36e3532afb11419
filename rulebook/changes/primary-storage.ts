/**
 * Where Nextcloud keeps its files is chosen once, at install: on the data volume, or in a
 * bucket (primary object storage). Nextcloud does not move files between them — with object
 * storage it keeps each file as an object named after its file id, not its path — so switching
 * an installed Nextcloud leaves every existing file behind, unreachable from the new storage.
 * Judged against the approved lock, the only place that knows the stack already runs.
 *
 * Pure: two locks in, the switches out.
 */
import type { Json } from "../../kernel/json";
import { taggedImage } from "./change-classes";
import { familyOf } from "./majors";

/** The variable the Nextcloud image reads the primary-storage bucket from (its README, "Object Storage (Primary Storage)"). */
export const NEXTCLOUD_BUCKET_ENV = "OBJECTSTORE_S3_BUCKET";

interface LockLike {
  readonly resources: ReadonlyArray<{ readonly urn: string; readonly inputs: Readonly<Record<string, Json>> }>;
}

export interface StorageSwitch {
  readonly urn: string;
  /** The bucket before and after; null: the data volume. */
  readonly from: string | null;
  readonly to: string | null;
}

/** The primary-storage bucket a Nextcloud container's envs name, null for none; undefined when it is not a Nextcloud container. */
export function nextcloudPrimaryBucket(inputs: Readonly<Record<string, Json>>): string | null | undefined {
  const image = taggedImage(inputs.image);
  if (!image || familyOf(image.repository) !== "nextcloud") return undefined;
  const envs = Array.isArray(inputs.envs) ? inputs.envs : [];
  const entry = envs.find((e): e is string => typeof e === "string" && e.startsWith(`${NEXTCLOUD_BUCKET_ENV}=`));
  return entry ? entry.slice(NEXTCLOUD_BUCKET_ENV.length + 1) : null;
}

/** Nextcloud containers the approved lock already runs whose primary storage would change. A new Nextcloud chooses freely. */
export function primaryStorageSwitches(approved: LockLike | null, proposed: LockLike): StorageSwitch[] {
  if (!approved) return [];
  const before = new Map(approved.resources.map((r) => [r.urn, r.inputs]));
  const out: StorageSwitch[] = [];
  for (const r of proposed.resources) {
    const now = nextcloudPrimaryBucket(r.inputs);
    const old = before.get(r.urn);
    if (now === undefined || old === undefined) continue;
    const was = nextcloudPrimaryBucket(old);
    if (was !== undefined && was !== now) out.push({ urn: r.urn, from: was, to: now });
  }
  return out;
}

export function describeSwitch(s: StorageSwitch): string {
  const where = (b: string | null) => (b === null ? "the data volume" : `bucket ${b}`);
  return `${s.urn.split("::").pop()}: Nextcloud's primary storage would move from ${where(s.from)} to ${where(s.to)}, and its files become unreachable (Nextcloud does not move them)`;
}

export const STORAGE_SWITCH_REMEDIATION =
  "keep objectStorage.nextcloudPrimary as the stack was installed with; to move files into a bucket, install a new Nextcloud stack with it set and move the users' files over (docs/runbook/growth.md)";
