/**
 * The Mastodon and Nextcloud facts from the oracle files (test/oracles/), parsed for the
 * web services' tests.
 */
import { readOracle } from "./oracles";

function rows(name: string): string[][] {
  return readOracle(name)
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => l.split("\t"));
}

/** Mastodon: the names marked required, with their group (secret, postgres, smtp, runtime, …). */
export function mastodonRequired(): Map<string, string> {
  return new Map(rows("mastodon-env-required.txt").map(([name, group]) => [name, group]));
}

/** Mastodon: every documented name with its status (documented, removed, deprecated). */
export function mastodonDocumented(): Map<string, string> {
  return new Map(rows("mastodon-env-documented.txt").map(([name, status]) => [name, status]));
}

/** Nextcloud image: every name of the README with its use for our stack (REQUIRED-AUTOINSTALL, …). */
export function nextcloudNames(): Map<string, string> {
  return new Map(rows("nextcloud-env.txt").map(([name, use]) => [name, use]));
}

/** Host-published ports: "80/tcp" → container role. */
export function publishedPorts(): Array<{ port: string; container: string }> {
  return rows("ports.txt").map(([port, container]) => ({ port, container }));
}
