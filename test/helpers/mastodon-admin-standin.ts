/**
 * A loopback stand-in for Mastodon's admin API for domain blocks and allows, built from the
 * documented shapes and the controller's behaviour (test/oracles/mastodon-admin-domain-blocks.md):
 * Admin::DomainBlock / Admin::DomainAllow entities with string ids, lists newest first paginated
 * by `max_id` with a `Link` header (rel="next" while a page is full), 422 with
 * `existing_domain_block` when a block of the domain or a parent domain exists
 * (DomainBlock.rule_for), 404 `{"error":"Record not found"}`, 401 without the token, 429 with
 * Retry-After when a test asks for it, and GET /health.
 *
 * Tests act "by hand" (as a moderator in the admin screens) with editByHand/liftByHand.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface BlockEntity {
  id: string;
  domain: string;
  digest: string;
  created_at: string;
  severity: "silence" | "suspend" | "noop";
  reject_media: boolean;
  reject_reports: boolean;
  private_comment: string | null;
  public_comment: string | null;
  obfuscate: boolean;
}

export interface AllowEntity {
  id: string;
  domain: string;
  created_at: string;
}

export interface StandIn {
  readonly url: string;
  readonly token: string;
  readonly blocks: Map<string, BlockEntity>;
  readonly allows: Map<string, AllowEntity>;
  /** Every request: method, path with query, and whether it carried the right token. */
  readonly log: Array<{ method: string; path: string; authorized: boolean; status: number }>;
  /** Page size of lists when the client sends no limit (Mastodon: 100). */
  pageSize: number;
  /** The next `n` API requests answer 429 with this Retry-After. */
  throttle(n: number, retryAfter: string): void;
  /** /health answers 503 this many more times. */
  unhealthyFor: number;
  /** The Link header's host, to test that the client never follows another origin. */
  linkOrigin?: string;
  editByHand(domain: string, fields: Partial<BlockEntity>): void;
  liftByHand(domain: string): void;
  blockByHand(domain: string, fields?: Partial<BlockEntity>): BlockEntity;
  close(): Promise<void>;
}

const SCOPES_READ = "/api/v1/admin/";
const PERMITTED = ["severity", "reject_media", "reject_reports", "private_comment", "public_comment", "obfuscate"] as const;

export async function startMastodonAdmin(token = "test-admin-token-3f9c"): Promise<StandIn> {
  let nextId = 100;
  let throttled = 0;
  let retryAfter = "1";
  const blocks = new Map<string, BlockEntity>();
  const allows = new Map<string, AllowEntity>();
  const log: StandIn["log"] = [];

  const newBlock = (domain: string, fields: Partial<BlockEntity> = {}): BlockEntity => {
    const b: BlockEntity = {
      id: String(++nextId),
      domain,
      digest: createHash("sha256").update(domain).digest("hex"),
      created_at: new Date().toISOString(),
      severity: "silence",
      reject_media: false,
      reject_reports: false,
      private_comment: null,
      public_comment: null,
      obfuscate: false,
      ...fields,
    };
    blocks.set(b.id, b);
    return b;
  };
  const byDomain = (domain: string) => [...blocks.values()].find((b) => b.domain === domain);
  // DomainBlock.rule_for: the block of the domain or of the closest parent domain.
  const ruleFor = (domain: string) => {
    const labels = domain.split(".");
    for (let i = 0; i < labels.length - 1; i++) {
      const hit = byDomain(labels.slice(i).join("."));
      if (hit) return hit;
    }
    return undefined;
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://stand-in");
    const authorized = req.headers.authorization === `Bearer ${token}`;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.push({ method: req.method ?? "", path: url.pathname + url.search, authorized, status });
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    if (url.pathname === "/health") {
      if (fake.unhealthyFor > 0) {
        fake.unhealthyFor--;
        return send(503, { error: "starting" });
      }
      log.push({ method: req.method ?? "", path: "/health", authorized, status: 200 });
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end("OK");
    }
    if (!url.pathname.startsWith(SCOPES_READ)) return send(404, { error: "Record not found" });
    if (throttled > 0) {
      throttled--;
      return send(429, { error: "Too many requests" }, { "retry-after": retryAfter, "x-ratelimit-remaining": "0" });
    }
    if (!authorized) return send(401, { error: "The access token is invalid" });
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>) : {};
    } catch {
      return send(400, { error: "malformed JSON" });
    }
    const m = /^\/api\/v1\/admin\/(domain_blocks|domain_allows)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return send(404, { error: "Record not found" });
    const [, collection, id] = m;
    const store: Map<string, BlockEntity | AllowEntity> = collection === "domain_blocks" ? blocks : allows;

    if (req.method === "GET" && !id) {
      const limit = Math.min(200, Number(url.searchParams.get("limit") ?? fake.pageSize));
      const maxId = url.searchParams.get("max_id");
      const all = [...store.values()].sort((a, b) => Number(b.id) - Number(a.id));
      const page = all.filter((x) => maxId === null || Number(x.id) < Number(maxId)).slice(0, limit);
      const base = `${fake.linkOrigin ?? fake.url}/api/v1/admin/${collection}`;
      const links: string[] = [];
      if (page.length === limit) links.push(`<${base}?limit=${limit}&max_id=${page[page.length - 1].id}>; rel="next"`);
      if (page.length > 0) links.push(`<${base}?limit=${limit}&min_id=${page[0].id}>; rel="prev"`);
      return send(200, page, links.length ? { link: links.join(", ") } : {});
    }
    if (req.method === "GET") {
      const x = store.get(id);
      return x ? send(200, x) : send(404, { error: "Record not found" });
    }
    if (req.method === "POST" && !id) {
      const domain = String(body.domain ?? "");
      if (!domain) return send(422, { error: "Validation failed: Domain can't be blank" });
      if (collection === "domain_allows") {
        const existing = [...allows.values()].find((a) => a.domain === domain);
        if (existing) return send(200, existing);
        const a: AllowEntity = { id: String(++nextId), domain, created_at: new Date().toISOString() };
        allows.set(a.id, a);
        return send(200, a);
      }
      const existing = ruleFor(domain);
      if (existing) return send(422, { error: `A block for ${existing.domain} already exists`, existing_domain_block: existing });
      const fields: Partial<BlockEntity> = {};
      for (const k of PERMITTED) if (k in body) (fields as Record<string, unknown>)[k] = body[k];
      return send(200, newBlock(domain, fields));
    }
    if (req.method === "PUT" && id && collection === "domain_blocks") {
      const b = blocks.get(id);
      if (!b) return send(404, { error: "Record not found" });
      for (const k of PERMITTED) if (k in body) (b as unknown as Record<string, unknown>)[k] = body[k];
      return send(200, b);
    }
    if (req.method === "DELETE" && id) {
      if (!store.delete(id)) return send(404, { error: "Record not found" });
      return send(200, {});
    }
    return send(404, { error: "Record not found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;

  const fake: StandIn = {
    url: `http://127.0.0.1:${port}`,
    token,
    blocks,
    allows,
    log,
    pageSize: 100,
    unhealthyFor: 0,
    throttle(n, after) {
      throttled = n;
      retryAfter = after;
    },
    editByHand(domain, fields) {
      const b = byDomain(domain);
      if (!b) throw new Error(`no block of ${domain}`);
      Object.assign(b, fields);
    },
    liftByHand(domain) {
      const b = byDomain(domain);
      if (b) blocks.delete(b.id);
    },
    blockByHand: (domain, fields) => newBlock(domain, fields),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return fake;
}
