/**
 * The few Hetzner Cloud API calls the deploy job's SSH access needs (firewalls, their actions,
 * servers), as documented at docs.hetzner.cloud: JSON bodies, `{"error": {code, message}}` on
 * failure, asynchronous actions polled until they finish, label selectors, pagination, and the
 * rate limit (RateLimit-Limit/-Remaining/-Reset headers; 3600 requests an hour per project by
 * default, one more every second).
 *
 * Every request has a time-out and a size limit; 429, 409 conflict, 423 locked, 502/503/504 and
 * network errors are retried with back-off; everything else becomes a message that says what
 * happened and what to do. The token travels only in the Authorization header and is scrubbed
 * from anything coop prints.
 */
import { z } from "zod";
import { CheckFailed, InputError } from "../../kernel/errors";

export const DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1";

export interface HetznerConfig {
  /** Base address without a trailing slash, e.g. https://api.hetzner.cloud/v1. */
  readonly endpoint: string;
  readonly token: string;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * HCLOUD_TOKEN and HCLOUD_ENDPOINT, the variables the hcloud provider and CLI read too, so the
 * job talks to the same project Pulumi deploys to.
 */
export function hetznerConfigFromEnv(env: NodeJS.ProcessEnv): HetznerConfig {
  const token = env.HCLOUD_TOKEN?.trim();
  if (!token)
    throw new InputError(
      "HCLOUD_TOKEN is not set",
      "export a Read & Write API token of the co-op's Hetzner project (Console → Security → API tokens); in CI it is the `production` environment's secret HCLOUD_TOKEN",
    );
  if (/[^\x21-\x7e]/.test(token)) throw new InputError("HCLOUD_TOKEN contains spaces or control characters", "paste the token alone");
  const raw = env.HCLOUD_ENDPOINT?.trim() || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`HCLOUD_ENDPOINT is not an address: '${raw}'`, `unset it to use ${DEFAULT_ENDPOINT}`);
  }
  if (url.username || url.password || url.search || url.hash)
    throw new InputError("HCLOUD_ENDPOINT must be a plain address (no user, query or fragment)", `unset it to use ${DEFAULT_ENDPOINT}`);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname)))
    throw new InputError("HCLOUD_ENDPOINT must use https (the token would travel in clear text)", `unset it to use ${DEFAULT_ENDPOINT}`);
  return { endpoint: `${url.origin}${url.pathname.replace(/\/+$/, "")}`, token };
}

// ---- documented shapes (only the fields coop reads) ------------------------------------------

const ActionSchema = z.object({
  id: z.number().int(),
  command: z.string(),
  status: z.enum(["running", "success", "error"]),
  error: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
});
export type Action = z.output<typeof ActionSchema>;

const FirewallResourceSchema = z.object({
  type: z.enum(["server", "label_selector"]),
  server: z.object({ id: z.number().int() }).optional(),
  label_selector: z.object({ selector: z.string() }).optional(),
});
export type FirewallResource = z.output<typeof FirewallResourceSchema>;

const FirewallSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
  applied_to: z.array(FirewallResourceSchema).default([]),
  rules: z
    .array(z.object({ direction: z.string(), protocol: z.string(), port: z.string().nullable().optional() }).passthrough())
    .default([]),
});
export type Firewall = z.output<typeof FirewallSchema>;

const ServerSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  public_net: z.object({ firewalls: z.array(z.object({ id: z.number().int(), status: z.string() })).default([]) }),
});
export type Server = z.output<typeof ServerSchema>;

const PaginationSchema = z.object({ meta: z.object({ pagination: z.object({ next_page: z.number().int().nullable() }) }).optional() });

export interface FirewallRule {
  readonly direction: "in";
  readonly protocol: "tcp";
  readonly port: string;
  readonly source_ips: readonly string[];
  readonly description: string;
}

export interface CreateFirewall {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly rules: readonly FirewallRule[];
}

// ---- the client ------------------------------------------------------------------------------

export interface ClientOptions {
  readonly timeoutMs?: number;
  /** Retries after the first attempt. */
  readonly maxRetries?: number;
  /** First back-off delay; doubles on each retry. */
  readonly backoffMs?: number;
  /** Longest single wait before a retry. */
  readonly maxWaitMs?: number;
  /** Interval between polls of a running action (grows to 4× this). */
  readonly pollMs?: number;
  readonly maxBodyBytes?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
  /** Progress notes (retries), for stderr. */
  readonly log?: (message: string) => void;
}

/** Hetzner answered, or could not be reached, in a way that stops the job: exit 1. */
export class HetznerError extends CheckFailed {
  constructor(
    message: string,
    hint: string | undefined,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message, hint);
  }
}

type Method = "GET" | "POST" | "DELETE";

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

interface RequestOptions {
  /** Error codes the caller handles itself: returned instead of thrown. */
  readonly accept?: readonly string[];
  /** A POST that creates something: repeating it after a lost answer may create it twice. */
  readonly creates?: boolean;
}

const RETRY_CODES = new Set(["rate_limit_exceeded", "conflict", "locked", "bad_gateway", "timeout", "unavailable"]);
const RETRY_STATUS = new Set([429, 502, 503, 504]);

export class HetznerClient {
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;
  private readonly maxBodyBytes: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetchFn: typeof fetch;
  private readonly log: (message: string) => void;

  constructor(
    private readonly config: HetznerConfig,
    opts: ClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 20_000;
    this.maxRetries = opts.maxRetries ?? 5;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.maxWaitMs = opts.maxWaitMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 500;
    this.maxBodyBytes = opts.maxBodyBytes ?? 4 * 1024 * 1024;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.fetchFn = opts.fetch ?? fetch;
    this.log = opts.log ?? (() => undefined);
  }

  /** Every firewall matching the label selector, across pages. */
  async listFirewalls(selector: string): Promise<Firewall[]> {
    const out: Firewall[] = [];
    for (let page: number | null = 1; page !== null; ) {
      const q = new URLSearchParams({ label_selector: selector, page: String(page), per_page: "50" });
      const { body } = await this.request("GET", `/firewalls?${q}`);
      const parsed = this.shape(z.object({ firewalls: z.array(FirewallSchema) }).and(PaginationSchema), body, "GET /firewalls");
      out.push(...parsed.firewalls);
      page = parsed.meta?.pagination.next_page ?? null;
    }
    return out;
  }

  /** Every server matching the label selector, across pages. */
  async listServers(selector: string): Promise<Server[]> {
    const out: Server[] = [];
    for (let page: number | null = 1; page !== null; ) {
      const q = new URLSearchParams({ label_selector: selector, page: String(page), per_page: "50" });
      const { body } = await this.request("GET", `/servers?${q}`);
      const parsed = this.shape(z.object({ servers: z.array(ServerSchema) }).and(PaginationSchema), body, "GET /servers");
      out.push(...parsed.servers);
      page = parsed.meta?.pagination.next_page ?? null;
    }
    return out;
  }

  /** Creates a firewall; when the name is taken (e.g. an earlier attempt whose answer was lost), returns that one. */
  async createFirewall(req: CreateFirewall): Promise<{ firewall: Firewall; actions: Action[] }> {
    const a = await this.request("POST", "/firewalls", req, { accept: ["uniqueness_error"], creates: true });
    if (errorCode(a.body) === "uniqueness_error") {
      const same = (await this.listFirewalls(labelSelector(req.labels))).find((f) => f.name === req.name);
      if (same) return { firewall: same, actions: [] };
      throw new HetznerError(
        `Hetzner refused to create firewall ${req.name}: the name is taken by a firewall coop did not create`,
        "rename or delete that firewall in the Hetzner Console (Firewalls); job firewalls are named coop-ci-…",
        a.status,
        "uniqueness_error",
      );
    }
    const parsed = this.shape(
      z.object({ firewall: FirewallSchema, actions: z.array(ActionSchema).default([]) }),
      a.body,
      "POST /firewalls",
    );
    return parsed;
  }

  /** Applies the firewall; already applied counts as done. */
  async applyToResources(id: number, resources: readonly FirewallResource[]): Promise<Action[]> {
    const a = await this.request(
      "POST",
      `/firewalls/${id}/actions/apply_to_resources`,
      { apply_to: resources },
      { accept: ["firewall_already_applied"] },
    );
    if (errorCode(a.body)) return [];
    return this.shape(z.object({ actions: z.array(ActionSchema).default([]) }), a.body, "apply_to_resources").actions;
  }

  /** Removes the firewall from resources; already removed, or a firewall that is gone, counts as done. */
  async removeFromResources(id: number, resources: readonly FirewallResource[]): Promise<Action[]> {
    const a = await this.request(
      "POST",
      `/firewalls/${id}/actions/remove_from_resources`,
      { remove_from: resources },
      {
        accept: ["firewall_already_removed", "not_found", "firewall_resource_not_found"],
      },
    );
    if (errorCode(a.body)) return [];
    return this.shape(z.object({ actions: z.array(ActionSchema).default([]) }), a.body, "remove_from_resources").actions;
  }

  /** Deletes the firewall: "deleted", "gone" (already), or "in-use" (still applied somewhere). */
  async deleteFirewall(id: number): Promise<"deleted" | "gone" | "in-use"> {
    const a = await this.request("DELETE", `/firewalls/${id}`, undefined, { accept: ["not_found", "resource_in_use"] });
    const code = errorCode(a.body);
    if (code === "not_found") return "gone";
    if (code === "resource_in_use") return "in-use";
    return "deleted";
  }

  /** Waits until every action finished; an action that failed, or that runs past the deadline, stops the job. */
  async waitForActions(actions: readonly Action[], what: string, deadlineMs = 120_000): Promise<void> {
    const started = Date.now();
    for (const first of actions) {
      let action = first;
      for (let polls = 0; action.status === "running"; polls++) {
        if (Date.now() - started > deadlineMs)
          throw new HetznerError(
            `Hetzner had not finished ${what} (action ${action.id}, ${action.command}) after ${Math.round(deadlineMs / 1000)} s`,
            "look at the project's recent actions in the Hetzner Console, then re-run the job",
          );
        await this.sleep(Math.min(this.pollMs * 4, this.pollMs * (1 + polls)));
        const { body } = await this.request("GET", `/actions/${action.id}`);
        action = this.shape(z.object({ action: ActionSchema }), body, `GET /actions/${action.id}`).action;
      }
      if (action.status === "error")
        throw new HetznerError(
          `Hetzner could not finish ${what} (action ${action.id}, ${action.command}): ${this.scrub(action.error?.message ?? "no reason given")}${action.error?.code ? ` (${action.error.code})` : ""}`,
          "re-run the job; if it fails again, look at the firewall in the Hetzner Console (Firewalls)",
        );
    }
  }

  scrub(text: string): string {
    return text.split(this.config.token).join("[token]");
  }

  private shape<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    throw new HetznerError(
      `Hetzner's answer to ${what} does not have the documented shape (${r.error.issues[0]?.path.join(".") || "top level"}: ${r.error.issues[0]?.message})`,
      `check HCLOUD_ENDPOINT: it must be the Hetzner Cloud API (${DEFAULT_ENDPOINT})`,
    );
  }

  private async request(method: Method, path: string, body?: unknown, opts: RequestOptions = {}): Promise<Answer> {
    const url = `${this.config.endpoint}${path}`;
    const shown = `${method} ${path.replace(/\?.*$/, "")}`;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.maxRetries;
      let res: Response;
      let text: string;
      try {
        res = await this.fetchFn(url, {
          method,
          headers: {
            Authorization: `Bearer ${this.config.token}`,
            Accept: "application/json",
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
          redirect: "error",
        });
        text = await this.readBody(res, shown);
      } catch (e) {
        if (e instanceof HetznerError) throw e;
        const reason = this.networkReason(e);
        if (!last) {
          await this.wait(this.backoff(attempt), `${shown}: ${reason}`, attempt);
          continue;
        }
        throw new HetznerError(
          `could not reach the Hetzner Cloud API (${shown}): ${reason}${attempt > 0 ? ` (${attempt + 1} attempts)` : ""}`,
          opts.creates
            ? "the firewall may or may not have been created; re-run the job: it removes leftover job firewalls first"
            : `check HCLOUD_ENDPOINT (${this.config.endpoint}) and the network; Hetzner's status page says whether the API is down`,
        );
      }
      let parsed: unknown;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          if (res.status >= 500 && !last) {
            await this.wait(this.backoff(attempt), `${shown}: HTTP ${res.status}`, attempt);
            continue;
          }
          throw new HetznerError(
            `Hetzner's answer to ${shown} (HTTP ${res.status}) is not JSON: ${this.snippet(text)}`,
            `check HCLOUD_ENDPOINT: it must be the Hetzner Cloud API (${DEFAULT_ENDPOINT}), not a proxy or login page`,
            res.status,
          );
        }
      }
      if (res.status >= 200 && res.status < 300) return { status: res.status, body: parsed };
      const code = errorCode(parsed);
      const message = errorMessage(parsed);
      if (code && opts.accept?.includes(code)) return { status: res.status, body: parsed };
      if ((RETRY_STATUS.has(res.status) || (code && RETRY_CODES.has(code))) && !last) {
        await this.wait(this.retryDelay(res, attempt), `${shown}: HTTP ${res.status}${code ? ` ${code}` : ""}`, attempt);
        continue;
      }
      throw this.explain(res, shown, code, message, attempt);
    }
  }

  private explain(res: Response, shown: string, code: string | undefined, message: string | undefined, attempt: number): HetznerError {
    const status = res.status;
    const said = `${shown} answered HTTP ${status}${code ? ` ${code}` : ""}${message ? `: ${this.scrub(message)}` : ""}${attempt > 0 ? ` (after ${attempt + 1} attempts)` : ""}`;
    const where = "Console → Security → API tokens; in CI it is the `production` environment's secret HCLOUD_TOKEN";
    const tokenFix = `set HCLOUD_TOKEN to a Read & Write API token of the co-op's Hetzner project (${where})`;
    if (status === 401) return new HetznerError(`Hetzner rejected the API token: ${said}`, tokenFix, status, code);
    if (status === 403 && code === "token_readonly")
      return new HetznerError(
        `the API token is read-only: ${said}`,
        `HCLOUD_TOKEN must be a Read & Write API token of the project, not the read-only one the previews use (${where})`,
        status,
        code,
      );
    if (status === 403)
      return new HetznerError(
        `Hetzner refused the request: ${said}`,
        `${tokenFix}; a project that is blocked or over its limits says so in the Console`,
        status,
        code,
      );
    if (status === 404)
      return new HetznerError(
        `Hetzner has no such resource: ${said}`,
        "it was removed meanwhile, or HCLOUD_ENDPOINT points elsewhere; re-run the job",
        status,
        code,
      );
    if (status === 429) {
      const reset = Number(res.headers.get("ratelimit-reset"));
      const when = Number.isFinite(reset) && reset > 0 ? ` (full again at ${new Date(reset * 1000).toISOString()})` : "";
      return new HetznerError(
        `Hetzner's rate limit for this project is used up${when}: ${said}`,
        "other tools using the same project share the limit; re-run the job in a few minutes",
        status,
        code,
      );
    }
    if (status === 409)
      return new HetznerError(`the resource kept changing while coop asked Hetzner to change it: ${said}`, "re-run the job", status, code);
    if (status === 422)
      return new HetznerError(
        `Hetzner refused the request: ${said}`,
        "this is not expected of a job firewall; re-run the job, and report it (with this message) if it happens again",
        status,
        code,
      );
    if (status >= 500)
      return new HetznerError(
        `the Hetzner Cloud API had an error: ${said}`,
        "Hetzner's status page says whether the API is down; re-run the job later",
        status,
        code,
      );
    return new HetznerError(
      `unexpected answer from the Hetzner Cloud API: ${said}`,
      `check HCLOUD_ENDPOINT (${this.config.endpoint})`,
      status,
      code,
    );
  }

  private async readBody(res: Response, shown: string): Promise<string> {
    const declared = Number(res.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
      await res.body?.cancel();
      throw new HetznerError(`Hetzner's answer to ${shown} is larger than ${this.maxBodyBytes} bytes`, "check HCLOUD_ENDPOINT");
    }
    if (!res.body) return "";
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > this.maxBodyBytes) {
        await reader.cancel();
        throw new HetznerError(`Hetzner's answer to ${shown} is larger than ${this.maxBodyBytes} bytes`, "check HCLOUD_ENDPOINT");
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  /**
   * On 429, the wait until one request is available again: the limit refills evenly over the hour
   * (RateLimit-Limit requests), so one request frees up every 3600/limit seconds.
   */
  private retryDelay(res: Response, attempt: number): number {
    const backoff = this.backoff(attempt);
    if (res.status !== 429) return backoff;
    const limit = Number(res.headers.get("ratelimit-limit"));
    const oneRequest = Number.isFinite(limit) && limit > 0 ? Math.ceil(3_600_000 / limit) : backoff;
    return Math.min(this.maxWaitMs, Math.max(backoff, oneRequest));
  }

  private backoff(attempt: number): number {
    return Math.min(this.maxWaitMs, this.backoffMs * 2 ** attempt);
  }

  private async wait(ms: number, why: string, attempt: number): Promise<void> {
    this.log(`${why}; retrying in ${(ms / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${this.maxRetries + 1})`);
    await this.sleep(ms);
  }

  private networkReason(e: unknown): string {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err?.name === "TimeoutError" || err?.name === "AbortError") return `no answer within ${this.timeoutMs / 1000} s`;
    const code = err?.cause?.code;
    if (code === "ECONNREFUSED") return "connection refused";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name does not resolve";
    if (code === "ECONNRESET") return "the connection was reset";
    return this.scrub(err?.cause?.message ?? err?.message ?? String(e));
  }

  private snippet(text: string): string {
    const t = this.scrub(text.replace(/\s+/g, " ").trim());
    return t.length > 120 ? `${t.slice(0, 120)}…` : t || "(empty)";
  }
}

function errorCode(body: unknown): string | undefined {
  const e = (body as { error?: { code?: unknown } } | undefined)?.error;
  return typeof e?.code === "string" ? e.code : undefined;
}

function errorMessage(body: unknown): string | undefined {
  const e = (body as { error?: { message?: unknown } } | undefined)?.error;
  return typeof e?.message === "string" ? e.message.slice(0, 300) : undefined;
}

/** A label selector that matches exactly these labels (`k=v,k2=v2`). */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
