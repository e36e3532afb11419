/**
 * Container image references as the policies read them: "repository[:tag][@digest]".
 */

export interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export function parseImage(ref: string): ImageRef {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) return { repository: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { repository: rest, digest };
}

/** Pinned: a digest, or a tag other than `latest`. */
export function isPinned(ref: ImageRef): boolean {
  if (ref.digest && /^sha256:[0-9a-f]{64}$/.test(ref.digest)) return true;
  return ref.tag !== undefined && ref.tag !== "" && ref.tag !== "latest";
}

const DATABASES = /(^|\/)(library\/)?(postgres|redis|valkey|mariadb|mysql|mongo)$/;

export function isDatabaseImage(ref: ImageRef): boolean {
  return DATABASES.test(ref.repository);
}
