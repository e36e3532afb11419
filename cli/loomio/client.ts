/**
 * Loomio's bot API (b2): read a poll, create a proposal. Time-outs on every request; bounded
 * retries with back-off on 429 (honouring Retry-After) and on server errors; plain messages
 * for the errors a co-op will meet (wrong key, no access, no such poll, not Loomio at all).
 * The API key travels only in the Authorization header and is scrubbed from anything coop
 * prints, including text echoed from Loomio's error bodies.
 */
import { createHash } from "node:crypto";
import { InputError } from "../../kernel/errors";
import type { LoomioConfig } from "./config";

export interface LoomioResponse {
  readonly status: number;
  readonly body: unknown;
  /** sha256 of the raw body bytes: the evidence a decision keeps. */
  readonly sha256: string;
}

export interface ClientOptions {
  readonly timeoutMs?: number;
  /** Retries after the first attempt. */
  readonly maxRetries?: number;
  /** First back-off delay; doubles on each retry. */
  readonly backoffMs?: number;
  /** Longest Retry-After coop waits for; beyond it the request fails with a clear message. */
  readonly maxRetryAfterMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
  /** Progress notes (retries), for stderr. */
  readonly log?: (message: string) => void;
}

/** Exit 2: Loomio could not be asked, or answered something coop cannot use. */
export class LoomioError extends InputError {}

/** Each request (connecting, the headers and the whole body) must be done within this. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** No poll answer comes near this; a larger one is refused before it fills memory. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

class TooLarge extends Error {}

/** The body, read up to `max` bytes: a larger answer is refused (the request's deadline bounds a slow one). */
async function readCapped(res: Response, max: number): Promise<Buffer> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new TooLarge(`the answer is ${declared} bytes, more than the ${max} coop accepts`);
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new TooLarge(`the answer is larger than the ${max} bytes coop accepts`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

type Method = "GET" | "POST";

export class LoomioClient {
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetchFn: typeof fetch;
  private readonly log: (message: string) => void;

  constructor(
    private readonly config: LoomioConfig,
    opts: ClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = opts.maxRetries ?? 3;
    this.backoffMs = opts.backoffMs ?? 500;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.fetchFn = opts.fetch ?? fetch;
    this.log = opts.log ?? (() => undefined);
  }

  /** LOOMIO_GROUP_ID, when set (it must name the bylaws' group). */
  get groupId(): number | undefined {
    return this.config.groupId;
  }

  pollUrl(key: string): string {
    return `${this.config.baseUrl}/p/${encodeURIComponent(key)}`;
  }

  async getPoll(keyOrId: string): Promise<LoomioResponse> {
    return this.request("GET", `/api/b2/polls/${encodeURIComponent(keyOrId)}`, undefined, `poll '${keyOrId}'`);
  }

  /** POST /api/b2/polls with a flat body (Loomio wraps it under `poll` itself). */
  async createPoll(body: Record<string, unknown>): Promise<LoomioResponse> {
    return this.request("POST", "/api/b2/polls", body, "the new poll");
  }

  /** Removes the API key from text that came from elsewhere (an error body, an exception). */
  scrub(text: string): string {
    const key = this.config.apiKey;
    return key ? text.split(key).join("[api key]") : text;
  }

  private async request(method: Method, path: string, body: Record<string, unknown> | undefined, what: string): Promise<LoomioResponse> {
    const url = `${this.config.baseUrl}${path}`;
    const shown = `${method} ${url}`;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.maxRetries;
      let res: Response;
      let bytes: Buffer;
      try {
        res = await this.fetchFn(url, {
          method,
          headers: {
            Authorization: `Bearer ${this.config.apiKey}`,
            Accept: "application/json",
            ...(body ? { "Content-Type": "application/json" } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(this.timeoutMs),
          redirect: "error",
        });
        bytes = await readCapped(res, MAX_ANSWER_BYTES);
      } catch (e) {
        if (e instanceof TooLarge)
          throw new LoomioError(
            `Loomio's answer to ${shown} was refused: ${e.message}`,
            "check LOOMIO_URL: it must be the co-op's Loomio instance",
          );
        const reason = this.networkReason(e);
        // A POST that timed out may have created the poll; repeating it could create two.
        const safeToRepeat = method === "GET" || reason.refused;
        if (!last && safeToRepeat) {
          await this.wait(this.backoff(attempt), `${reason.text}`, attempt);
          continue;
        }
        throw new LoomioError(
          `could not reach Loomio (${shown}): ${reason.text}`,
          method === "POST" && !reason.refused
            ? "the poll may or may not have been created: check the group in Loomio before trying again"
            : "check LOOMIO_URL and the network, then try again",
        );
      }
      const status = res.status;
      if (status === 429 || status >= 500) {
        const retryable = method === "GET" || status === 429 || status === 503;
        if (!last && retryable) {
          const delay = status === 429 ? this.retryAfter(res.headers.get("retry-after"), attempt) : this.backoff(attempt);
          await this.wait(delay, `Loomio answered HTTP ${status}`, attempt);
          continue;
        }
        throw new LoomioError(
          `Loomio answered HTTP ${status} to ${shown}${attempt > 0 ? ` after ${attempt + 1} attempts` : ""}${this.snippet(bytes)}`,
          status === 429
            ? "Loomio is limiting requests; wait a few minutes and try again"
            : method === "POST"
              ? "Loomio had an internal error; check the group in Loomio (the poll may exist) before trying again"
              : "Loomio had an internal error; try again later",
        );
      }
      if (status === 401)
        throw new LoomioError(
          `Loomio rejected the API key (HTTP 401 for ${shown})`,
          "check LOOMIO_API_KEY: it must be the key of a bot that belongs to the co-op's group",
        );
      if (status === 403)
        throw new LoomioError(
          `Loomio refused access (HTTP 403 for ${shown})`,
          "the API key is wrong, or its bot may not see or create polls in this group: check LOOMIO_API_KEY and the bot's group membership",
        );
      if (status === 404)
        throw new LoomioError(
          `Loomio has no ${what} (HTTP 404 for ${shown})`,
          method === "GET"
            ? "check the poll's key or address, and that LOOMIO_URL is the right instance"
            : "check LOOMIO_URL: it must be the address of a Loomio instance with the b2 API",
        );
      if (status === 422)
        throw new LoomioError(
          `Loomio refused ${what} (HTTP 422)${this.validationErrors(bytes)}`,
          "check LOOMIO_GROUP_ID and the proposal text",
        );
      if (status < 200 || status >= 300)
        throw new LoomioError(`Loomio answered HTTP ${status} to ${shown}${this.snippet(bytes)}`, "check LOOMIO_URL");
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString("utf8"));
      } catch {
        throw new LoomioError(
          `Loomio's answer to ${shown} is not JSON${this.snippet(bytes)}`,
          "check LOOMIO_URL: it must be the Loomio instance itself, not a login page or proxy",
        );
      }
      return { status, body: parsed, sha256: createHash("sha256").update(bytes).digest("hex") };
    }
  }

  private backoff(attempt: number): number {
    return this.backoffMs * 2 ** attempt;
  }

  private retryAfter(header: string | null, attempt: number): number {
    if (header) {
      const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - Date.now();
      if (Number.isFinite(seconds)) {
        if (seconds > this.maxRetryAfterMs)
          throw new LoomioError(`Loomio asks to wait ${Math.ceil(seconds / 1000)} s before the next request (HTTP 429)`, "try again later");
        return Math.max(0, seconds);
      }
    }
    return this.backoff(attempt);
  }

  private async wait(ms: number, why: string, attempt: number): Promise<void> {
    this.log(`${why}; retrying in ${(ms / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${this.maxRetries + 1})`);
    await this.sleep(ms);
  }

  private networkReason(e: unknown): { text: string; refused: boolean } {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err?.name === "TimeoutError" || err?.name === "AbortError")
      return { text: `no answer within ${this.timeoutMs / 1000} s`, refused: false };
    const code = err?.cause?.code;
    if (code === "ECONNREFUSED") return { text: "connection refused", refused: true };
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { text: "the host name does not resolve", refused: true };
    return { text: this.scrub(err?.cause?.message ?? err?.message ?? String(e)), refused: false };
  }

  private snippet(bytes: Buffer): string {
    const text = bytes.toString("utf8").replace(/\s+/g, " ").trim();
    if (!text) return "";
    return `: ${this.scrub(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`;
  }

  private validationErrors(bytes: Buffer): string {
    try {
      const body = JSON.parse(bytes.toString("utf8")) as { errors?: Record<string, string[]> };
      if (body.errors && typeof body.errors === "object") {
        return `: ${this.scrub(
          Object.entries(body.errors)
            .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(", ") : String(v)}`)
            .join("; "),
        )}`;
      }
    } catch {
      // fall through to the raw text
    }
    return this.snippet(bytes);
  }
}
