/**
 * The Caddyfile of the proxy, rendered from the routes the services declare. Pure: the same
 * routes always give the same text (sites sorted by host name), so the governed view is stable.
 *
 * Every site gets automatic HTTPS (Let's Encrypt on a public host, Caddy's own authority on
 * the local target), HSTS, and a few security headers that fill in only what the application
 * did not set itself: Mastodon and Nextcloud send stricter values of their own, and Mastodon
 * leaves X-Frame-Options off its embeddable pages on purpose, so the proxy never overrides them.
 * WebSockets (Mastodon's streaming API) need nothing special: Caddy's reverse_proxy upgrades
 * connections by itself and flushes server-sent events as they come.
 */
import type { WebRoute } from "../shared/interfaces";

export interface CaddyfileOptions {
  readonly routes: readonly WebRoute[];
  /** Use Caddy's internal certificate authority instead of Let's Encrypt (the local target). */
  readonly internalCa: boolean;
  /** Ports Caddy listens on when they are not 80/443 (local target), so its redirects name them. */
  readonly httpPort?: number;
  readonly httpsPort?: number;
}

/** One year; long enough for browsers to remember, short enough to recover from a domain move. */
export const HSTS = "max-age=31536000; includeSubDomains";

const HOSTNAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const UPSTREAM = /^[a-z0-9](?:[a-z0-9._-]{0,253})?:\d{1,5}$/;
const PATH = /^\/[A-Za-z0-9._~/-]*$/;
const REDIRECT_TARGET = /^(?:https:\/\/[a-z0-9.-]+)?\/[A-Za-z0-9._~/-]*$/;
const CONTENT_TYPE = /^[a-z0-9.+-]+\/[a-z0-9.+-]+(?:; ?[a-z0-9-]+=[A-Za-z0-9.-]+)?$/;

export class RouteError extends Error {}

interface Site {
  readonly hostname: string;
  proxy?: Extract<WebRoute, { kind: "proxy" }>;
  bucket?: Extract<WebRoute, { kind: "bucket" }>;
  readonly statics: Array<Extract<WebRoute, { kind: "static" }>>;
}

export function renderCaddyfile(opts: CaddyfileOptions): string {
  const sites = groupByHost(opts.routes);
  const out: string[] = [
    "# Written by coop-infra from the stack spec; changes here are overwritten on the next deploy.",
    "",
    ...globalOptions(opts),
    "(common) {",
    "\theader {",
    `\t\tStrict-Transport-Security "${HSTS}"`,
    '\t\t?X-Content-Type-Options "nosniff"',
    '\t\t?Referrer-Policy "strict-origin-when-cross-origin"',
    "\t\t-Server",
    "\t\tdefer",
    "\t}",
    "}",
  ];
  for (const site of sites) out.push("", ...renderSite(site));
  return `${out.join("\n")}\n`;
}

function globalOptions(opts: CaddyfileOptions): string[] {
  // HTTP/1.1 and 2 only: 443/udp is not published (components/proxy/proxy.ts publishedPorts), so
  // Caddy must not advertise HTTP/3 (Alt-Svc) to clients that could not reach it.
  const lines: string[] = ["\tservers {", "\t\tprotocols h1 h2", "\t}"];
  if (opts.internalCa) {
    lines.push("\t# Certificates from Caddy's own authority: *.localhost names cannot get public ones.");
    lines.push("\tlocal_certs");
    // The container's trust store is not the admin's browser's; installing there helps nobody.
    lines.push("\tskip_install_trust");
  }
  for (const [key, port, standard] of [
    ["http_port", opts.httpPort, 80],
    ["https_port", opts.httpsPort, 443],
  ] as const) {
    if (port === undefined || port === standard) continue;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RouteError(`${key} ${port} is not a TCP port`);
    lines.push(`\t${key} ${port}`);
  }
  return lines.length ? ["{", ...lines, "}", ""] : [];
}

function groupByHost(routes: readonly WebRoute[]): Site[] {
  const sites = new Map<string, Site>();
  for (const r of routes) {
    if (!HOSTNAME.test(r.hostname)) throw new RouteError(`'${r.hostname}' is not a lower-case host name`);
    let site = sites.get(r.hostname);
    if (!site) {
      site = { hostname: r.hostname, statics: [] };
      sites.set(r.hostname, site);
    }
    if (r.kind === "proxy") {
      if (site.proxy || site.bucket) throw new RouteError(`two services want to serve ${r.hostname}`);
      checkProxy(r);
      site.proxy = r;
    } else if (r.kind === "bucket") {
      if (site.proxy || site.bucket) throw new RouteError(`two services want to serve ${r.hostname}`);
      checkBucket(r);
      site.bucket = r;
    } else if (r.kind === "static") {
      checkStatic(r);
      if (site.statics.some((s) => s.path === r.path)) throw new RouteError(`${r.hostname}${r.path} is declared twice`);
      site.statics.push(r);
    }
    // A certificate route needs nothing beyond the site block itself.
  }
  return [...sites.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
}

function checkProxy(r: Extract<WebRoute, { kind: "proxy" }>): void {
  const where = r.hostname;
  if (!UPSTREAM.test(r.upstream)) throw new RouteError(`${where}: upstream '${r.upstream}' is not 'container:port'`);
  for (const p of r.paths ?? []) {
    if (!PATH.test(p.path) || p.path === "/") throw new RouteError(`${where}: path '${p.path}' must be an absolute path below /`);
    if (!UPSTREAM.test(p.upstream)) throw new RouteError(`${where}${p.path}: upstream '${p.upstream}' is not 'container:port'`);
  }
  for (const d of r.redirects ?? []) {
    if (!PATH.test(d.path)) throw new RouteError(`${where}: redirect from '${d.path}' is not an absolute path`);
    if (!REDIRECT_TARGET.test(d.to)) throw new RouteError(`${where}: redirect target '${d.to}' is not a path or https URL`);
  }
  if (r.maxBodyMb !== undefined && (!Number.isInteger(r.maxBodyMb) || r.maxBodyMb < 1)) {
    throw new RouteError(`${where}: maxBodyMb must be a positive whole number of MB`);
  }
}

const ORIGIN = /^https:\/\/[a-z0-9.-]+(?::\d{1,5})?$/;

function checkBucket(r: Extract<WebRoute, { kind: "bucket" }>): void {
  if (!HOSTNAME.test(r.bucketHost)) throw new RouteError(`${r.hostname}: bucket host '${r.bucketHost}' is not a host name`);
  if (!ORIGIN.test(r.corsOrigin)) throw new RouteError(`${r.hostname}: CORS origin '${r.corsOrigin}' is not an https origin`);
  if (!Number.isInteger(r.maxAgeSeconds) || r.maxAgeSeconds < 0)
    throw new RouteError(`${r.hostname}: maxAgeSeconds must be a whole number`);
}

/**
 * A bucket behind the co-op's name, as Mastodon's object-storage proxy guide does it with nginx:
 * GET and HEAD only, the bucket's own name as Host (the S3 endpoint finds the bucket by it), no
 * client credentials or cookies passed on, the storage's own headers dropped, and the CORS and
 * cache headers set here. The files never change under their name, so they may be cached long.
 */
function renderBucket(b: Extract<WebRoute, { kind: "bucket" }>): string[] {
  // One handle block: inside it Caddy orders respond before reverse_proxy, so refusals come first.
  return [
    "\thandle {",
    "\t\t@write not method GET HEAD",
    '\t\trespond @write "read-only" 405',
    "\t\t# The bucket's index lists nothing (listing is not public).",
    "\t\trespond / 404",
    `\t\treverse_proxy https://${b.bucketHost} {`,
    "\t\t\theader_up Host {upstream_hostport}",
    "\t\t\theader_up -Authorization",
    "\t\t\theader_up -Cookie",
    "\t\t\theader_down -Set-Cookie",
    "\t\t\theader_down -X-Amz-Request-Id",
    "\t\t\theader_down -X-Amz-Id-2",
    "\t\t\theader_down -Access-Control-Allow-Origin",
    "\t\t\theader_down -Access-Control-Allow-Methods",
    "\t\t\theader_down -Access-Control-Allow-Headers",
    "\t\t}",
    "\t\theader {",
    `\t\t\tAccess-Control-Allow-Origin "${b.corsOrigin}"`,
    '\t\t\tAccess-Control-Allow-Methods "GET, HEAD"',
    '\t\t\tVary "Origin"',
    `\t\t\tCache-Control "public, max-age=${b.maxAgeSeconds}, immutable"`,
    "\t\t\tdefer",
    "\t\t}",
    "\t}",
  ];
}

function checkStatic(r: Extract<WebRoute, { kind: "static" }>): void {
  if (!PATH.test(r.path) || r.path === "/") throw new RouteError(`${r.hostname}: static path '${r.path}' must be an absolute path below /`);
  if (!CONTENT_TYPE.test(r.contentType)) throw new RouteError(`${r.hostname}${r.path}: '${r.contentType}' is not a media type`);
  // The body is written between backticks, Caddyfile's raw quotes, which cannot be escaped.
  if (r.body.includes("`")) throw new RouteError(`${r.hostname}${r.path}: the body must not contain a backtick`);
}

function renderSite(site: Site): string[] {
  const lines = [`${site.hostname} {`, "\timport common"];
  const proxy = site.proxy;
  // MiB, as nginx's "99m" in Mastodon's example and PHP's "1G" count.
  if (proxy?.maxBodyMb !== undefined) lines.push("\trequest_body {", `\t\tmax_size ${proxy.maxBodyMb}MiB`, "\t}");
  for (const d of proxy?.redirects ?? []) lines.push(`\tredir ${d.path} ${d.to} ${d.status ?? 301}`);
  for (const s of [...site.statics].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    lines.push(`\thandle ${s.path} {`, `\t\theader Content-Type "${s.contentType}"`, `\t\trespond \`${s.body}\` 200`, "\t}");
  }
  if (site.bucket) {
    lines.push(...renderBucket(site.bucket));
  } else if (proxy) {
    (proxy.paths ?? []).forEach((p, i) => {
      // The path itself and everything below it, as nginx's `location /api/v1/streaming` does.
      lines.push(`\t@path${i} path ${p.path} ${p.path.replace(/\/$/, "")}/*`);
      lines.push(`\thandle @path${i} {`, `\t\treverse_proxy ${p.upstream}`, "\t}");
    });
    // Compression only here: on the path-specific upstreams (Mastodon's streaming API) it would
    // hold back server-sent events (caddyserver/caddy#6293).
    lines.push("\thandle {", "\t\tencode zstd gzip", `\t\treverse_proxy ${proxy.upstream}`, "\t}");
  } else {
    // Static documents or only a certificate: anything else is not here.
    lines.push("\thandle {", "\t\trespond 404", "\t}");
  }
  lines.push("}");
  return lines;
}
