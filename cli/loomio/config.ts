/**
 * Where Loomio is and how coop authenticates: LOOMIO_URL, LOOMIO_API_KEY, LOOMIO_GROUP_ID.
 * The API key goes in an Authorization header only, so it never appears in a URL, and only to
 * the instance LOOMIO_URL names, over HTTPS (plain HTTP only on this machine, for tests).
 */
import { InputError } from "../../kernel/errors";

export interface LoomioConfig {
  /** Origin plus optional path prefix, without a trailing slash. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly groupId?: number;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export function parseBaseUrl(text: string, from: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`${from} is not an address: '${text}'`, "set it to your Loomio instance, e.g. https://loomio.example.coop");
  }
  if (url.username || url.password)
    throw new InputError(`${from} must not contain a user name or password`, "put the API key in LOOMIO_API_KEY instead");
  if (url.search || url.hash)
    throw new InputError(
      `${from} must not contain a query or fragment`,
      "set it to the instance's address only, e.g. https://loomio.example.coop",
    );
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
    throw new InputError(
      `${from} must use https (the API key would travel in clear text)`,
      `use https://${url.host}${url.pathname === "/" ? "" : url.pathname}`,
    );
  }
  return url;
}

export function baseOf(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * The Loomio settings for the co-op's instance, which the bylaws pin (`loomio.url`): polls are
 * fetched only from there and the API key goes only there. LOOMIO_URL may repeat it but never
 * name another instance; `pollOrigin` is the origin of a poll address given on the command line.
 */
export function loomioConfigFromEnv(env: NodeJS.ProcessEnv, pinned: string | null, opts: { pollOrigin?: string } = {}): LoomioConfig {
  if (!pinned) {
    throw new InputError(
      "governance/rules.yaml names no Loomio instance (loomio.url), so no poll can count",
      "set loomio.url and loomio.groupId in governance/rules.yaml (a change to the bylaws: coop propose --bylaws, or coop init --loomio-url)",
    );
  }
  const base = baseOf(parseBaseUrl(pinned, "loomio.url in governance/rules.yaml"));
  const rawUrl = env.LOOMIO_URL?.trim();
  if (rawUrl && baseOf(parseBaseUrl(rawUrl, "LOOMIO_URL")) !== base) {
    throw new InputError(
      `LOOMIO_URL is ${rawUrl}, but the bylaws name the co-op's Loomio instance ${base}: only its polls count, and the API key goes nowhere else`,
      "unset LOOMIO_URL (coop uses the bylaws' instance), or change loomio.url through a bylaws decision",
    );
  }
  if (opts.pollOrigin && new URL(base).origin !== opts.pollOrigin) {
    throw new InputError(
      `the poll is on ${opts.pollOrigin}, but the co-op's Loomio instance is ${new URL(base).origin}`,
      "only polls of the co-op's instance count: pass the poll's key, or check that the poll is on your co-op's instance",
    );
  }
  const apiKey = env.LOOMIO_API_KEY?.trim();
  if (!apiKey)
    throw new InputError(
      "LOOMIO_API_KEY is not set",
      "create a bot in your Loomio group (group settings → integrations / API) and export its key as LOOMIO_API_KEY",
    );
  let groupId: number | undefined;
  const rawGroup = env.LOOMIO_GROUP_ID?.trim();
  if (rawGroup) {
    if (!/^\d+$/.test(rawGroup))
      throw new InputError(
        `LOOMIO_GROUP_ID must be a number, got '${rawGroup}'`,
        "it is the id of the co-op's Loomio group (governance/rules.yaml loomio.groupId)",
      );
    groupId = Number(rawGroup);
  }
  return { baseUrl: base, apiKey, groupId };
}
