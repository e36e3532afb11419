import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HSTS, RouteError, renderCaddyfile } from "../../../components/proxy/caddyfile";
import type { WebRoute } from "../../../components/shared/interfaces";
import { mastodonRoute } from "../../../components/mastodon/mastodon";
import { nextcloudRoute } from "../../../components/nextcloud/nextcloud";
import { withTool } from "../../helpers/tools";

const host = { namePrefix: "example-co-op-example" };
const MTA_STS: WebRoute = {
  kind: "static",
  hostname: "mta-sts.example.coop",
  path: "/.well-known/mta-sts.txt",
  // RFC 8461 lines end in CRLF, as the mail component writes them.
  body: "version: STSv1\r\nmode: enforce\r\nmx: mail.example.coop\r\nmax_age: 604800\r\n",
  contentType: "text/plain; charset=utf-8",
};
const ALL: WebRoute[] = [
  mastodonRoute(host, "social.example.coop"),
  nextcloudRoute(host, "cloud.example.coop"),
  MTA_STS,
  { kind: "certificate", hostname: "mail.example.coop" },
];

/** The site block of one host name, without the lines of the others. */
function site(text: string, hostname: string): string {
  const start = text.indexOf(`\n${hostname} {\n`);
  if (start < 0) throw new Error(`no site ${hostname} in:\n${text}`);
  return text.slice(start + 1, text.indexOf("\n}\n", start) + 2);
}

describe("renderCaddyfile", () => {
  const text = renderCaddyfile({ routes: ALL, internalCa: false });

  it("serves every host name of the routes, each in its own site (automatic HTTPS)", () => {
    const sites = [...text.matchAll(/^([a-z0-9.-]+) \{$/gm)].map((m) => m[1]);
    expect(sites).toEqual(["cloud.example.coop", "mail.example.coop", "mta-sts.example.coop", "social.example.coop"]);
    // No site address names a scheme or port: Caddy then gets a certificate and redirects HTTP.
    expect(text).not.toMatch(/^https?:\/\//m);
  });

  it("sends HSTS and default security headers on every site, without overriding the applications' own", () => {
    expect(text).toContain(`Strict-Transport-Security "${HSTS}"`);
    expect(HSTS).toMatch(/^max-age=(\d+); includeSubDomains$/);
    expect(Number(/max-age=(\d+)/.exec(HSTS)?.[1])).toBeGreaterThanOrEqual(15552000); // Nextcloud's minimum (180 days)
    expect(text).toContain('?X-Content-Type-Options "nosniff"');
    expect(text).toContain('?Referrer-Policy "strict-origin-when-cross-origin"');
    // Mastodon's embeddable pages must stay embeddable.
    expect(text).not.toContain("X-Frame-Options");
    for (const h of ["cloud.example.coop", "mail.example.coop", "mta-sts.example.coop", "social.example.coop"]) {
      expect(site(text, h)).toContain("\timport common\n");
    }
  });

  it("sends Mastodon's streaming API (WebSockets) to the streaming server and the rest to web", () => {
    const s = site(text, "social.example.coop");
    expect(s).toContain("@path0 path /api/v1/streaming /api/v1/streaming/*");
    expect(s).toMatch(/handle @path0 \{\n\t\treverse_proxy example-co-op-example-mastodon-streaming:4000\n\t\}/);
    expect(s).toMatch(/handle \{\n\t\tencode zstd gzip\n\t\treverse_proxy example-co-op-example-mastodon-web:3000\n\t\}/);
    // No compression on the streaming API: it would hold back server-sent events.
    expect(/handle @path0 \{[^}]*\}/.exec(s)?.[0]).not.toContain("encode");
    expect(s.indexOf("handle @path0")).toBeLessThan(s.indexOf("handle {"));
    expect(s).toContain("max_size 100MiB");
  });

  it("redirects Nextcloud's CalDAV/CardDAV discovery and allows large uploads", () => {
    const s = site(text, "cloud.example.coop");
    expect(s).toContain("redir /.well-known/carddav /remote.php/dav/ 301");
    expect(s).toContain("redir /.well-known/caldav /remote.php/dav/ 301");
    expect(s).toContain("reverse_proxy example-co-op-example-nextcloud-app:80");
    expect(s).toContain("max_size 1024MiB");
  });

  it("serves a static document verbatim and nothing else on that host", () => {
    const s = site(text, "mta-sts.example.coop");
    expect(s).toContain('header Content-Type "text/plain; charset=utf-8"');
    expect(s).toContain(`respond \`${MTA_STS.kind === "static" ? MTA_STS.body : ""}\` 200`);
    expect(s).toMatch(/handle \{\n\t\trespond 404\n\t\}/);
  });

  it("keeps a certificate for a certificate-only name and answers 404 there", () => {
    expect(site(text, "mail.example.coop")).toMatch(/handle \{\n\t\trespond 404\n\t\}/);
  });

  it("uses Let's Encrypt on a server and Caddy's own authority on the local target", () => {
    expect(text).not.toContain("local_certs");
    const local = renderCaddyfile({ routes: ALL, internalCa: true, httpPort: 8080, httpsPort: 8443 });
    expect(local).toMatch(/^\{\n(\t.*\n)*\tlocal_certs\n(\t.*\n)*\}/m);
    expect(local).toContain("\tskip_install_trust\n");
    expect(local).toContain("\thttp_port 8080\n");
    expect(local).toContain("\thttps_port 8443\n");
    // Standard ports need no option.
    expect(renderCaddyfile({ routes: ALL, internalCa: true, httpPort: 80, httpsPort: 443 })).not.toMatch(/https?_port/);
  });

  it("is deterministic: the order of the routes does not matter", () => {
    expect(renderCaddyfile({ routes: [...ALL].reverse(), internalCa: false })).toBe(text);
  });

  it("refuses routes that would write a broken or ambiguous Caddyfile", () => {
    const bad: Array<[WebRoute[], RegExp]> = [
      [[{ kind: "certificate", hostname: "Mail.Example.coop" }], /host name/],
      [[{ kind: "certificate", hostname: "mail.example.coop {" }], /host name/],
      [[{ kind: "proxy", hostname: "a.example.coop", upstream: "web" }], /container:port/],
      [[{ kind: "proxy", hostname: "a.example.coop", upstream: "web:80 {\n}" }], /container:port/],
      [[{ kind: "proxy", hostname: "a.example.coop", upstream: "web:80", paths: [{ path: "api", upstream: "x:1" }] }], /absolute path/],
      [[{ kind: "proxy", hostname: "a.example.coop", upstream: "web:80", maxBodyMb: 0 }], /maxBodyMb/],
      [
        [{ kind: "proxy", hostname: "a.example.coop", upstream: "web:80", redirects: [{ path: "/x", to: "http://evil.example/" }] }],
        /redirect target/,
      ],
      [[{ ...MTA_STS, body: "a ` b" } as WebRoute], /backtick/],
      [[{ ...MTA_STS, contentType: 'text/plain"' } as WebRoute], /media type/],
      [[MTA_STS, MTA_STS], /declared twice/],
      [[mastodonRoute(host, "x.example.coop"), nextcloudRoute(host, "x.example.coop")], /two services/],
    ];
    for (const [routes, message] of bad) expect(() => renderCaddyfile({ routes, internalCa: false }), message.source).toThrow(RouteError);
    for (const [routes, message] of bad) expect(() => renderCaddyfile({ routes, internalCa: false })).toThrow(message);
  });
});

describe("the rendered Caddyfiles pass `caddy validate`", () => {
  const itCaddy = withTool("caddy", "caddy");
  const dir = mkdtempSync(join(tmpdir(), "coop-caddy-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const validate = (name: string, text: string) => {
    const file = join(dir, `${name}.Caddyfile`);
    writeFileSync(file, text);
    // Caddy provisions its storage while validating: keep it in the temporary directory.
    const env = { ...process.env, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config"), HOME: dir };
    return execFileSync("caddy", ["validate", "--adapter", "caddyfile", "--config", file], {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  };

  itCaddy("for a server (Let's Encrypt) with every kind of route", () => {
    expect(validate("server", renderCaddyfile({ routes: ALL, internalCa: false }))).toContain("Valid configuration");
  });

  itCaddy("for the local target (internal authority, other ports)", () => {
    const routes = ALL.map((r) => ({ ...r, hostname: r.hostname.replace(/\.coop$/, ".localhost") }));
    expect(validate("local", renderCaddyfile({ routes, internalCa: true, httpPort: 8080, httpsPort: 8443 }))).toContain(
      "Valid configuration",
    );
  });

  itCaddy("and `caddy validate` really rejects a broken file (the check can fail)", () => {
    expect(() => validate("broken", "social.example.coop {\n\tno_such_directive on\n}\n")).toThrow();
  });
});
