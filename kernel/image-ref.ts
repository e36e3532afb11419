/**
 * Container image references, "[registry[:port]/]path[:tag][@digest]", by the grammar Docker
 * and every OCI registry client parse them with (github.com/distribution/reference,
 * reference.go): the one reader the components, the policies and the rulebook share.
 *
 *   registry  a host name or address, optionally with a port; only recognised as such when the
 *             first path component has a '.' or a ':' or is "localhost" (else "bitnami/redis"
 *             would have a registry called bitnami)
 *   path      lower-case components separated by '/', each of [a-z0-9] runs joined by '.', '_',
 *             '__' or dashes
 *   tag       [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    algorithm ':' at least 32 hex digits (sha256:<64 hex> in practice)
 */

export interface ImageRef {
  /** Everything before the tag and digest, registry included (e.g. ghcr.io/mastodon/mastodon). */
  readonly repository: string;
  /** The registry host (and port), when the reference names one. */
  readonly registry?: string;
  /** The repository without the registry (e.g. mastodon/mastodon). */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
// An IPv6 registry is written in brackets, as in a URL.
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])`;
const REGISTRY_RE = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** The digest a pin must use: what registries serve and Docker verifies. */
const SHA256_DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
/** distribution/reference's NameTotalLengthMax. */
const MAX_NAME_LENGTH = 255;

/** Parses an image reference; undefined when it is not one Docker would accept. */
export function parseImageRef(text: string): ImageRef | undefined {
  const at = text.indexOf("@");
  const digest = at >= 0 ? text.slice(at + 1) : undefined;
  if (digest !== undefined && !DIGEST_RE.test(digest)) return undefined;
  const named = at >= 0 ? text.slice(0, at) : text;
  // A tag follows the last ':' after the last '/'; a ':' before it belongs to the registry's port.
  const colon = named.lastIndexOf(":");
  const hasTag = colon > named.lastIndexOf("/");
  const repository = hasTag ? named.slice(0, colon) : named;
  const tag = hasTag ? named.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG_RE.test(tag)) return undefined;
  if (repository.length === 0 || repository.length > MAX_NAME_LENGTH) return undefined;
  const slash = repository.indexOf("/");
  const first = slash < 0 ? "" : repository.slice(0, slash);
  const isRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase());
  const registry = isRegistry ? first : undefined;
  const path = isRegistry ? repository.slice(slash + 1) : repository;
  if (registry !== undefined && !REGISTRY_RE.test(registry)) return undefined;
  if (!PATH_RE.test(path)) return undefined;
  return { repository, registry, path, tag, digest };
}

/** The text of a reference: what a container's `image` input holds. */
export function formatImageRef(ref: Pick<ImageRef, "repository" | "tag" | "digest">): string {
  return `${ref.repository}${ref.tag === undefined ? "" : `:${ref.tag}`}${ref.digest === undefined ? "" : `@${ref.digest}`}`;
}

/** The image's own name: the last path component (postgres for docker.io/library/postgres). */
export function imageName(ref: Pick<ImageRef, "path">): string {
  return ref.path.slice(ref.path.lastIndexOf("/") + 1);
}

/** Pinned to one release: a sha256 digest, or a tag other than `latest`. */
export function isPinnedImage(ref: ImageRef): boolean {
  if (ref.digest !== undefined && SHA256_DIGEST_RE.test(ref.digest)) return true;
  return ref.tag !== undefined && ref.tag !== "latest";
}
