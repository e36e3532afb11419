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

/** Reads the Loomio settings; `pollOrigin` is the origin of a poll URL given on the command line. */
export function loomioConfigFromEnv(env: NodeJS.ProcessEnv, opts: { pollOrigin?: string } = {}): LoomioConfig {
  const rawUrl = env.LOOMIO_URL?.trim();
  // The instance is never taken from a poll address: a pasted link to another host would
  // receive the API key, and its answer would be recorded as the members' vote.
  if (!rawUrl)
    throw new InputError(
      "LOOMIO_URL is not set",
      "export LOOMIO_URL=https://<your co-op's Loomio instance> (the API key is sent there and nowhere else)",
    );
  const base = baseOf(parseBaseUrl(rawUrl, "LOOMIO_URL"));
  if (opts.pollOrigin && new URL(base).origin !== opts.pollOrigin) {
    throw new InputError(
      `the poll is on ${opts.pollOrigin}, but LOOMIO_URL is ${new URL(base).origin}`,
      "coop sends the API key only to LOOMIO_URL; pass the poll's key, or check that the poll is on your co-op's instance",
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
        "it is the id of the co-op's Loomio group (rules.yaml electorate.loomioGroupId)",
      );
    groupId = Number(rawGroup);
  }
  return { baseUrl: base, apiKey, groupId };
}
