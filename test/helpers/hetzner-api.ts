/**
 * A loopback stand-in for the Hetzner Cloud API (node:http on 127.0.0.1, port 0), built from the
 * documented shapes (docs.hetzner.cloud, Cloud API reference: Firewalls, Firewall Actions,
 * Actions, Servers; "Errors", "Rate Limiting", "Label Selector", "Pagination"):
 *
 * - errors are `{"error": {"code", "message", "details"}}` with the documented HTTP status
 *   (401 unauthorized, 403 forbidden / token_readonly, 404 not_found, 409 conflict /
 *   uniqueness_error, 422 for operation errors such as resource_in_use, 429 rate_limit_exceeded);
 * - every answer carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (Unix time);
 * - POST /firewalls answers 201 `{firewall, actions}`; apply_to_resources and
 *   remove_from_resources answer 201 `{actions}`; an action is `running` until polled, then
 *   `success`; DELETE /firewalls/{id} answers 204, or 422 resource_in_use while applied;
 * - a firewall applied by label selector reaches matching servers asynchronously: a server lists
 *   it as `pending` first, then `applied` (server.public_net.firewalls).
 *
 * Tests script faults per route and inspect the requests. Test-only routes under /__test let a
 * child process (the fake `pulumi` of the workflow tests) create servers and read the state.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FwRule {
  direction: string;
  protocol: string;
  port: string | null;
  source_ips: string[];
  destination_ips: string[];
  description: string | null;
}

export interface FwApplied {
  type: "server" | "label_selector";
  server?: { id: number };
  label_selector?: { selector: string };
}

export interface Fw {
  id: number;
  name: string;
  labels: Record<string, string>;
  rules: FwRule[];
  applied_to: FwApplied[];
  created: string;
}

export interface Srv {
  id: number;
  name: string;
  labels: Record<string, string>;
  /** Firewalls applied directly (firewall_ids at creation). */
  direct: number[];
  /** Firewall ids that reached this server through a label selector, with how often they were seen pending. */
  seen: Map<number, number>;
}

export interface Fault {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  /** JSON body; defaults to the documented error shape for `code`. */
  readonly body?: unknown;
  readonly code?: string;
  /** A raw (e.g. malformed) body instead of JSON. */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
  /** Carry the request out as usual, and only then answer with the fault (an answer lost after the work was done). */
  readonly processed?: boolean;
  /** How many matching requests it answers (default 1). */
  times?: number;
}

export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization?: string;
}

export interface FakeHetzner {
  readonly url: string;
  readonly token: string;
  readonly requests: Seen[];
  readonly faults: Fault[];
  readonly firewalls: Map<number, Fw>;
  readonly servers: Map<number, Srv>;
  /** Polls of an action before it reports success (0: finished when created). */
  actionPolls: number;
  /** Reads of a server that still show a label-selected firewall as pending. */
  pendingReads: number;
  /** DELETE answers resource_in_use this many times after a label selector was removed (it lets go asynchronously). */
  detachLag: number;
  /** Actions with this command end in `error` (action_failed). */
  failCommand?: string;
  addFirewall(fw: Partial<Fw> & { name: string }): Fw;
  addServer(name: string, labels: Record<string, string>, direct?: number[]): Srv;
  /** What server.public_net.firewalls says now. */
  firewallsOf(server: Srv): Array<{ id: number; status: "applied" | "pending" }>;
  close(): Promise<void>;
}

const error = (code: string, message: string) => ({ error: { code, message, details: {} } });

const MESSAGES: Record<string, string> = {
  unauthorized: "unable to authenticate",
  forbidden: "insufficient permissions for this request",
  token_readonly: "the token is only allowed to perform GET requests",
  not_found: "resource not found",
  conflict: "the resource has changed during the request, please retry",
  rate_limit_exceeded: "limit of 3600 requests per hour reached",
  server_error: "internal server error",
  unavailable: "service unavailable",
  invalid_input: "invalid input in field 'rules'",
};

/** Label selector matching for `k=v`, `k!=v`, `k` and `!k`, comma-separated (all must hold). */
export function matches(selector: string, labels: Record<string, string>): boolean {
  return selector
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .every((term) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(term);
      if (ne) return labels[ne[1]] !== ne[2];
      const eq = /^([^=]+)==?(.*)$/.exec(term);
      if (eq) return labels[eq[1]] === eq[2];
      if (term.startsWith("!")) return !(term.slice(1) in labels);
      return term in labels;
    });
}

export async function startHetzner(opts: { token?: string } = {}): Promise<FakeHetzner> {
  const token = opts.token ?? "hz-test-token-0123456789abcdef";
  let nextId = 100;
  const actions = new Map<number, { id: number; command: string; polls: number; resources: Array<{ id: number; type: string }> }>();
  const detaching = new Map<number, number>();

  const fake: FakeHetzner = {
    url: "",
    token,
    requests: [],
    faults: [],
    firewalls: new Map(),
    servers: new Map(),
    actionPolls: 1,
    pendingReads: 1,
    detachLag: 0,
    addFirewall(fw) {
      const full: Fw = { id: nextId++, labels: {}, rules: [], applied_to: [], created: new Date().toISOString(), ...fw };
      fake.firewalls.set(full.id, full);
      return full;
    },
    addServer(name, labels, direct = []) {
      const s: Srv = { id: nextId++, name, labels, direct: [...direct], seen: new Map() };
      fake.servers.set(s.id, s);
      for (const id of direct) fake.firewalls.get(id)?.applied_to.push({ type: "server", server: { id: s.id } });
      return s;
    },
    firewallsOf(server) {
      const out: Array<{ id: number; status: "applied" | "pending" }> = server.direct.map((id) => ({ id, status: "applied" }));
      for (const fw of fake.firewalls.values()) {
        if (server.direct.includes(fw.id)) continue;
        const bySelector = fw.applied_to.some(
          (a) => a.type === "label_selector" && matches(a.label_selector?.selector ?? "", server.labels),
        );
        if (!bySelector) continue;
        const seen = server.seen.get(fw.id) ?? 0;
        out.push({ id: fw.id, status: seen < fake.pendingReads ? "pending" : "applied" });
      }
      return out;
    },
    close: async () => undefined,
  };

  const newAction = (command: string, resources: Array<{ id: number; type: string }>) => {
    const a = { id: nextId++, command, polls: 0, resources };
    actions.set(a.id, a);
    return actionJson(a);
  };
  const actionJson = (a: { id: number; command: string; polls: number; resources: Array<{ id: number; type: string }> }) => {
    const done = a.polls >= fake.actionPolls;
    const failed = done && fake.failCommand === a.command;
    return {
      id: a.id,
      command: a.command,
      status: failed ? "error" : done ? "success" : "running",
      progress: done ? 100 : 0,
      started: new Date().toISOString(),
      finished: done ? new Date().toISOString() : null,
      resources: a.resources,
      error: failed ? { code: "action_failed", message: "Action failed" } : null,
    };
  };
  const serverJson = (s: Srv, markSeen: boolean) => {
    const fws = fake.firewallsOf(s);
    if (markSeen) for (const f of fws) if (!s.direct.includes(f.id)) s.seen.set(f.id, (s.seen.get(f.id) ?? 0) + 1);
    return {
      id: s.id,
      name: s.name,
      labels: s.labels,
      status: "running",
      public_net: { ipv4: { ip: "20.0.0.10" }, ipv6: { ip: "2a01:4f8::/64" }, firewalls: fws },
    };
  };
  const firewallJson = (fw: Fw) => ({
    ...fw,
    applied_to: fw.applied_to.map((a) =>
      a.type === "label_selector"
        ? {
            ...a,
            applied_to_resources: [...fake.servers.values()]
              .filter((s) => matches(a.label_selector?.selector ?? "", s.labels))
              .map((s) => ({ type: "server", server: { id: s.id } })),
          }
        : a,
    ),
  });
  const page = <T>(items: T[], q: URLSearchParams) => {
    const per = Math.min(50, Number(q.get("per_page") ?? 25));
    const p = Number(q.get("page") ?? 1);
    const slice = items.slice((p - 1) * per, p * per);
    const last = Math.max(1, Math.ceil(items.length / per));
    return {
      slice,
      meta: {
        pagination: {
          page: p,
          per_page: per,
          previous_page: p > 1 ? p - 1 : null,
          next_page: p < last ? p + 1 : null,
          last_page: last,
          total_entries: items.length,
        },
      },
    };
  };

  type Reply = { status: number; body?: unknown; raw?: string; headers?: Record<string, string>; delayMs?: number };

  const route = (method: string, path: string, q: URLSearchParams, body: unknown): Reply => {
    let m: RegExpExecArray | null = null;
    const at = (re: RegExp) => {
      m = re.exec(path);
      return m !== null;
    };
    if (method === "GET" && path === "/v1/firewalls") {
      const sel = q.get("label_selector");
      const name = q.get("name");
      const all = [...fake.firewalls.values()].filter((f) => (!sel || matches(sel, f.labels)) && (!name || f.name === name));
      const { slice, meta } = page(all, q);
      return { status: 200, body: { firewalls: slice.map(firewallJson), meta } };
    }
    if (method === "POST" && path === "/v1/firewalls") {
      const b = body as { name?: string; labels?: Record<string, string>; rules?: Array<Partial<FwRule>>; apply_to?: FwApplied[] };
      if (!b?.name) return { status: 400, body: error("invalid_input", "name is required") };
      if ([...fake.firewalls.values()].some((f) => f.name === b.name))
        return { status: 409, body: error("uniqueness_error", "name is already used") };
      const fw = fake.addFirewall({
        name: b.name,
        labels: b.labels ?? {},
        rules: (b.rules ?? []).map((r) => ({
          direction: r.direction ?? "in",
          protocol: r.protocol ?? "tcp",
          port: r.port ?? null,
          source_ips: r.source_ips ?? [],
          destination_ips: r.destination_ips ?? [],
          description: r.description ?? null,
        })),
      });
      return {
        status: 201,
        body: { firewall: firewallJson(fw), actions: [newAction("set_firewall_rules", [{ id: fw.id, type: "firewall" }])] },
      };
    }
    if (at(/^\/v1\/firewalls\/(\d+)$/) && m) {
      const fw = fake.firewalls.get(Number(m[1]));
      if (!fw) return { status: 404, body: error("not_found", "firewall not found") };
      if (method === "GET") return { status: 200, body: { firewall: firewallJson(fw) } };
      if (method === "DELETE") {
        const lag = detaching.get(fw.id) ?? 0;
        if (fw.applied_to.length > 0 || lag > 0) {
          if (lag > 0) detaching.set(fw.id, lag - 1);
          return { status: 422, body: error("resource_in_use", "firewall is still in use") };
        }
        fake.firewalls.delete(fw.id);
        return { status: 204 };
      }
    }
    if (method === "POST" && at(/^\/v1\/firewalls\/(\d+)\/actions\/(apply_to_resources|remove_from_resources)$/) && m) {
      const fw = fake.firewalls.get(Number(m[1]));
      if (!fw) return { status: 404, body: error("not_found", "firewall not found") };
      const apply = m[2] === "apply_to_resources";
      const list = ((body as Record<string, unknown>)?.[apply ? "apply_to" : "remove_from"] ?? []) as FwApplied[];
      const same = (a: FwApplied, b: FwApplied) =>
        a.type === b.type &&
        (a.type === "server" ? a.server?.id === b.server?.id : a.label_selector?.selector === b.label_selector?.selector);
      const out = [];
      for (const r of list) {
        if (r.type === "server" && !fake.servers.has(r.server?.id ?? -1))
          return { status: 404, body: error("firewall_resource_not_found", "the resource was not found") };
        const present = fw.applied_to.some((a) => same(a, r));
        if (apply && present) return { status: 422, body: error("firewall_already_applied", "firewall is already applied") };
        if (!apply && !present) return { status: 422, body: error("firewall_already_removed", "firewall is already removed") };
        if (apply) fw.applied_to.push(r);
        else {
          fw.applied_to = fw.applied_to.filter((a) => !same(a, r));
          if (r.type === "label_selector" && fake.detachLag > 0) detaching.set(fw.id, fake.detachLag);
          for (const s of fake.servers.values()) s.seen.delete(fw.id);
        }
        out.push(newAction(apply ? "apply_firewall" : "remove_firewall", [{ id: fw.id, type: "firewall" }]));
      }
      return { status: 201, body: { actions: out } };
    }
    if (method === "GET" && at(/^\/v1\/actions\/(\d+)$/) && m) {
      const a = actions.get(Number(m[1]));
      if (!a) return { status: 404, body: error("not_found", "action not found") };
      a.polls++;
      return { status: 200, body: { action: actionJson(a) } };
    }
    if (method === "GET" && path === "/v1/servers") {
      const sel = q.get("label_selector");
      const all = [...fake.servers.values()].filter((s) => !sel || matches(sel, s.labels));
      const { slice, meta } = page(all, q);
      return { status: 200, body: { servers: slice.map((s) => serverJson(s, true)), meta } };
    }
    if (method === "GET" && at(/^\/v1\/servers\/(\d+)$/) && m) {
      const s = fake.servers.get(Number(m[1]));
      if (!s) return { status: 404, body: error("not_found", "server not found") };
      return { status: 200, body: { server: serverJson(s, true) } };
    }
    // Test-only: the fake `pulumi` creates the server it deploys, as the hcloud provider would.
    if (method === "POST" && path === "/__test/servers") {
      const b = body as { name: string; labels: Record<string, string>; firewallIds?: number[] };
      const existing = [...fake.servers.values()].find((s) => s.name === b.name);
      const s = existing ?? fake.addServer(b.name, b.labels, b.firewallIds ?? []);
      return { status: 201, body: { server: serverJson(s, false) } };
    }
    if (method === "GET" && path === "/__test/state") {
      return {
        status: 200,
        body: {
          firewalls: [...fake.firewalls.values()].map(firewallJson),
          servers: [...fake.servers.values()].map((s) => serverJson(s, false)),
        },
      };
    }
    return { status: 404, body: error("not_found", `no route ${method} ${path}`) };
  };

  const server: HttpServer = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => {
      text += c.toString("utf8");
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const method = req.method ?? "GET";
      const test = url.pathname.startsWith("/__test/");
      if (!test) fake.requests.push({ method, path: url.pathname + url.search, body, authorization: req.headers.authorization });
      let reply: Reply;
      const fault = test ? undefined : fake.faults.find((f) => f.method === method && f.path.test(url.pathname) && (f.times ?? 1) > 0);
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.processed) route(method, url.pathname, url.searchParams, body);
        reply = {
          status: fault.status,
          body:
            fault.raw === undefined
              ? (fault.body ?? error(fault.code ?? "server_error", MESSAGES[fault.code ?? "server_error"] ?? "error"))
              : undefined,
          raw: fault.raw,
          headers: fault.headers,
          delayMs: fault.delayMs,
        };
      } else if (!test && req.headers.authorization !== `Bearer ${token}`) {
        reply = { status: 401, body: error("unauthorized", MESSAGES.unauthorized) };
      } else {
        reply = route(method, url.pathname, url.searchParams, body);
      }
      const send = () => {
        if (res.destroyed) return;
        const headers: Record<string, string> = {
          "RateLimit-Limit": "3600",
          "RateLimit-Remaining": "3599",
          "RateLimit-Reset": String(Math.floor(Date.now() / 1000) + 1),
          ...(reply.status === 204 ? {} : { "Content-Type": "application/json" }),
          ...(reply.headers ?? {}),
        };
        res.writeHead(reply.status, headers);
        res.end(reply.status === 204 ? undefined : (reply.raw ?? JSON.stringify(reply.body)));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  (fake as { url: string }).url = `http://127.0.0.1:${port}/v1`;
  fake.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}

/** The documented error body for `code`, for scripting faults. */
export function hetznerError(code: string, message = MESSAGES[code] ?? code): unknown {
  return error(code, message);
}
