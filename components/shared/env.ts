/**
 * Container environments as lists of `NAME=value` entries, built entry by entry.
 *
 * The renderers (mastodon-env.ts, nextcloud-env.ts) are pure and generic in the value type, so
 * tests give them plain strings (known fake secrets) and the components give them Pulumi
 * outputs. Each entry becomes its own list element: a plain entry stays a plain string (and is
 * governed verbatim in the plan), a secret one is wrapped as a secret on its own, so one
 * generated password never turns the whole list into a single unknown value.
 */
import * as pulumi from "@pulumi/pulumi";

export interface EnvEntry<V> {
  readonly name: string;
  readonly value: string | V;
  /** A credential: wrapped as a Pulumi secret, never printed. */
  readonly secret?: boolean;
}

const NAME = /^[A-Z][A-Z0-9_]*$/;

/** Rejects malformed or repeated names: Docker would silently keep the last of two entries. */
export function checkEnv<V>(entries: readonly EnvEntry<V>[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (!NAME.test(e.name)) throw new Error(`'${e.name}' is not an environment variable name`);
    if (seen.has(e.name)) throw new Error(`environment variable ${e.name} is set twice`);
    seen.add(e.name);
    if (typeof e.value === "string" && /[\r\n\0]/.test(e.value)) throw new Error(`${e.name} contains a line break or NUL`);
  }
}

/** The entries as Docker's `envs` list. */
export function dockerEnvs(entries: readonly EnvEntry<pulumi.Input<string>>[]): pulumi.Input<string>[] {
  checkEnv(entries);
  return entries.map((e) => {
    if (e.secret) return pulumi.secret(pulumi.concat(e.name, "=", e.value));
    return typeof e.value === "string" ? `${e.name}=${e.value}` : pulumi.concat(e.name, "=", e.value);
  });
}

/** Names only, in order (for tests and documentation). */
export function envNames<V>(entries: readonly EnvEntry<V>[]): string[] {
  return entries.map((e) => e.name);
}
