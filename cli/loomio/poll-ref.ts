/**
 * A poll named on the command line: its key (or numeric id), or its address as Loomio shows it
 * (https://loomio.example/p/AbC123xy/some-title).
 */
import { InputError } from "../../kernel/errors";

export interface PollRef {
  readonly key: string;
  /** The origin when the poll was given as an address. */
  readonly origin?: string;
}

const KEY_RE = /^[A-Za-z0-9_-]{1,64}$/;

export function parsePollRef(arg: string): PollRef {
  const text = arg.trim();
  if (KEY_RE.test(text)) return { key: text };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`'${arg}' is neither a poll key nor a poll address`, "pass the poll's address (https://…/p/<key>/…) or its key");
  }
  // A query or user info may carry a secret (?api_key=…); coop neither sends nor records it.
  if (url.username || url.password)
    throw new InputError(
      "the poll address must not contain a user name or password",
      "pass the poll's key, or its plain address (https://…/p/<key>); the API key belongs in LOOMIO_API_KEY",
    );
  if (url.search || text.split("#")[0].includes("?"))
    throw new InputError(
      `the poll address must not contain a query ('?…'): ${url.origin}${url.pathname}?…`,
      "pass the poll's key, or its plain address (https://…/p/<key>); the API key belongs in LOOMIO_API_KEY",
    );
  const parts = url.pathname.split("/").filter(Boolean);
  const at = parts.indexOf("p");
  const b2 = parts.indexOf("polls");
  const key = at >= 0 ? parts[at + 1] : b2 >= 0 ? parts[b2 + 1] : undefined;
  if (!key || !KEY_RE.test(key))
    throw new InputError(
      `cannot find a poll key in '${url.origin}${url.pathname}'`,
      "poll addresses look like https://loomio.example/p/AbC123xy/title",
    );
  return { key, origin: url.origin };
}
