/**
 * A small client of Mastodon's admin API for domain blocks and allows
 * (test/oracles/mastodon-admin-domain-blocks.md): one request with bounded retries, the list
 * that follows the `Link` header, and a wait until Mastodon answers at all.
 *
 * It runs inside a Pulumi dynamic provider, which Pulumi serializes into text and runs in its
 * own process: so it uses only Node's globals (fetch, AbortSignal, URL, setTimeout) and
 * functions of this module, never an import, a class instance or state from the program. The
 * decisions (how long to wait, which page comes next, what an answer means) are pure
 * functions; `request` is the only place that talks to the network.
 *
 * The token goes only to the Mastodon origin it was configured for (a `Link` to another
 * origin is refused), only in the Authorization header, and never into an error message.
 */

export interface AdminApi {
  /** Mastodon's address, e.g. https://social.example.coop (no path). */
  readonly url: string;
  readonly token: string;
  /** Retries after 429 or 502/503/504 (default 4). */
  readonly maxRetries?: number;
  /** The longest single wait a Retry-After may ask for, in ms (default 310 s); longer → give up. */
  readonly maxWaitMs?: number;
  /** Per request, in ms (default 30 s). */
  readonly timeoutMs?: number;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: { get(name: string): string | null };
}

/** An answer coop does not act on: what Mastodon said, never the token. */
export interface AdminApiError extends Error {
  readonly status: number;
  readonly body: unknown;
}

export function adminApiError(method: string, path: string, status: number, body: unknown): AdminApiError {
  const said =
    body && typeof body === "object" && typeof (body as { error?: unknown }).error === "string"
      ? `: ${String((body as { error: string }).error).slice(0, 300)}`
      : "";
  const why =
    status === 401
      ? " (the admin token is missing, wrong or revoked: set it again with pulumi config set --secret coop-infra:mastodonAdminToken)"
      : status === 403
        ? ` (the token lacks the ${path.includes("domain_allows") ? "admin:read:domain_allows / admin:write:domain_allows" : "admin:read:domain_blocks / admin:write:domain_blocks"} scopes, or its user's role lacks Manage Federation)`
        : "";
  return Object.assign(new Error(`Mastodon answered ${method} ${path} with ${status}${said}${why}`), { status, body });
}

export function isAdminApiError(e: unknown): e is AdminApiError {
  return e instanceof Error && typeof (e as { status?: unknown }).status === "number";
}

const RETRIED = [429, 502, 503, 504];

/**
 * How long to wait before retry `attempt` (1-based) after `status`, or undefined to give up:
 * Retry-After (seconds or an HTTP date), else Mastodon's X-RateLimit-Reset (a time), else a
 * doubling back-off; never past `maxWaitMs` (a longer wait is a failure to report, not to sit out).
 */
export function retryWaitMs(
  status: number,
  headers: { get(name: string): string | null },
  attempt: number,
  opts: { maxRetries?: number; maxWaitMs?: number; now?: number } = {},
): number | undefined {
  const maxRetries = opts.maxRetries ?? 4;
  // Mastodon allows 300 calls per token in 5 minutes and names the window's end: a long block
  // list (an imported shared one) must sit that out rather than fail half applied.
  const maxWait = opts.maxWaitMs ?? 310_000;
  const now = opts.now ?? Date.now();
  if (!RETRIED.includes(status) || attempt > maxRetries) return undefined;
  const at = (text: string | null): number | undefined => {
    if (text === null || text.trim() === "") return undefined;
    const t = text.trim();
    if (/^\d+$/.test(t)) return Number(t) * 1000;
    const when = Date.parse(t);
    return Number.isNaN(when) ? undefined : Math.max(0, when - now);
  };
  const asked = at(headers.get("retry-after")) ?? (status === 429 ? at(headers.get("x-ratelimit-reset")) : undefined);
  const wait = asked ?? Math.min(maxWait, 1000 * 2 ** (attempt - 1));
  return wait > maxWait ? undefined : wait;
}

/** The `rel="next"` target of a Link header (RFC 8288), or undefined. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*((?:;[^;]*)*)$/.exec(part);
    if (m && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2])) return m[1];
  }
  return undefined;
}

/** One call, retried as retryWaitMs says; answers with any status (the caller decides what each means). */
export async function request(api: AdminApi, method: string, path: string, body?: unknown): Promise<Answer> {
  const target = new URL(path, api.url);
  if (target.origin !== new URL(api.url).origin) throw new Error(`refusing to send the admin token to ${target.origin}`);
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(target, {
        method,
        headers: {
          authorization: `Bearer ${api.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: "error",
        signal: AbortSignal.timeout(api.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new Error(`Mastodon at ${target.origin} did not answer ${method} ${target.pathname}: ${(e as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): kept as text for the message.
    }
    const wait = retryWaitMs(res.status, res.headers, attempt, api);
    if (wait === undefined) return { status: res.status, body: parsed, headers: res.headers };
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** A call that must succeed (2xx): its body. */
export async function call(api: AdminApi, method: string, path: string, body?: unknown): Promise<unknown> {
  const a = await request(api, method, path, body);
  if (a.status < 200 || a.status > 299) throw adminApiError(method, path, a.status, a.body);
  return a.body;
}

/** Every item of a paginated list, page after page as the Link header says (at most `maxPages`). */
export async function listAll(api: AdminApi, path: string, maxPages = 100): Promise<unknown[]> {
  const out: unknown[] = [];
  let next: string | undefined = path;
  for (let page = 0; next !== undefined; page++) {
    if (page === maxPages) throw new Error(`Mastodon's list ${path} has more than ${maxPages} pages`);
    const a = await request(api, "GET", next);
    if (a.status !== 200 || !Array.isArray(a.body)) throw adminApiError("GET", new URL(next, api.url).pathname, a.status, a.body);
    out.push(...a.body);
    next = nextLink(a.headers.get("link"));
  }
  return out;
}

/**
 * Waits until Mastodon answers its health check (GET /health → 200), so blocks are applied only
 * once the server they configure runs; gives up after `timeoutMs` with what to do.
 */
export async function awaitMastodon(api: AdminApi, timeoutMs = 600_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "";
  for (let attempt = 0; ; attempt++) {
    // Quick at first (a running Mastodon answers at once), then every 5 s.
    const everyMs = Math.min(5_000, 250 * 2 ** attempt);
    try {
      const res = await fetch(new URL("/health", api.url), { redirect: "error", signal: AbortSignal.timeout(10_000) });
      await res.text();
      if (res.status === 200) return;
      last = `answered ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() + everyMs > until)
      throw new Error(
        `Mastodon at ${api.url} did not answer within ${Math.round(timeoutMs / 1000)} s (${last}); its federation settings wait for it. ` +
          "On a first deploy, point DNS at the server and get the certificates first (docs/runbook/first-deploy.md), then run pulumi up again.",
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
