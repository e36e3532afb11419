/**
 * Names. Pulumi names of children derive from their component's name; names at the provider
 * (Hetzner, Docker) carry a prefix unique to the co-op and stack, because a Hetzner project or
 * a Docker engine may hold several stacks and providers would otherwise autoname with random
 * suffixes, which makes the governed view unstable.
 */

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

/** The prefix for provider-side names of one stack, e.g. "example-co-op-prod". */
export function resourcePrefix(coopName: string, stack: string): string {
  const co = slug(coopName);
  const st = slug(stack);
  return st === co ? co : `${co}-${st}`;
}

/** Hetzner label values: at most 63 characters of [a-z0-9-_.], starting and ending alphanumeric. */
export function labelValue(text: string): string {
  return slug(text).slice(0, 63).replace(/-+$/, "") || "coop";
}
