/**
 * Names. Pulumi names of children derive from their component's name; names at the provider
 * (Hetzner, Docker) carry a prefix unique to the co-op and stack, because a Hetzner project or
 * a Docker engine may hold several stacks and providers would otherwise autoname with random
 * suffixes, which makes the governed view unstable.
 *
 * Every provider-side name must be a DNS label: Docker's embedded DNS answers to container names
 * (the proxy reaches `<prefix>-mastodon-web` by it), Hetzner requires server names to be valid
 * host names (RFC 1123), and a label has at most 63 characters (RFC 1035 §2.3.4). So the prefix
 * is cut to what leaves room for the longest part any component appends, for any co-op and
 * stack name, and a short hash of the whole keeps two long names that share a beginning apart.
 */
import { createHash } from "node:crypto";

/** RFC 1035 §2.3.4: the longest DNS label. */
export const DNS_LABEL_MAX = 63;

/**
 * The longest part a component appends to the prefix: Mastodon's pre-deployment migration is
 * named after its release (`-mastodon-migrate-<tag>`), and the spec allows tags up to
 * v999.999.999 (stacks/schema.ts). test/components/shared/naming.test.ts checks every name the
 * program declares against it, at the longest co-op and stack names the spec allows.
 */
export const LONGEST_SUFFIX = "-mastodon-migrate-v999.999.999";

/** The longest prefix: with the longest suffix, still one DNS label. */
export const PREFIX_MAX = DNS_LABEL_MAX - LONGEST_SUFFIX.length;

const HASH_LENGTH = 6;

/** A lower-case slug usable in host names and Hetzner labels: "Example Co-op" → "example-co-op". */
export function slug(text: string): string {
  const s = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s.slice(0, 40).replace(/-+$/, "") || "coop";
}

/**
 * The prefix for provider-side names of one stack, e.g. "example-co-op-prod". Longer than
 * PREFIX_MAX, it keeps its beginning and ends in a hash of the whole ("…-3f9a1c"), so the names
 * of co-ops and stacks short enough never change.
 */
export function resourcePrefix(coopName: string, stack: string): string {
  const co = slug(coopName);
  const st = slug(stack);
  const full = st === co ? co : `${co}-${st}`;
  if (full.length <= PREFIX_MAX) return full;
  const hash = createHash("sha256").update(`${coopName}\n${stack}`).digest("hex").slice(0, HASH_LENGTH);
  return `${full.slice(0, PREFIX_MAX - HASH_LENGTH - 1).replace(/-+$/, "")}-${hash}`;
}

/** A provider-side name, refused (a bug, not bad input: the prefix leaves room) if it is not one DNS label. */
export function checkedName(name: string): string {
  if (name.length > DNS_LABEL_MAX || !/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(name)) {
    throw new Error(
      `internal: '${name}' is not a name of at most ${DNS_LABEL_MAX} characters: a component appends more than LONGEST_SUFFIX in components/shared/naming.ts allows for`,
    );
  }
  return name;
}

/** Hetzner label values: at most 63 characters of [a-z0-9-_.], starting and ending alphanumeric. */
export function labelValue(text: string): string {
  return slug(text).slice(0, 63).replace(/-+$/, "") || "coop";
}
