import { describe, expect, it } from "vitest";
import { caddyCertificatePaths, renderMailEnv } from "../../../components/mail/env";
import { mailserverEnvOracle, mailserverRecommendedOracle } from "../../helpers/oracles";

const asMap = (env: string[]) => new Map(env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

describe("docker-mailserver environment", () => {
  const known = mailserverEnvOracle();
  const recommended = mailserverRecommendedOracle();
  const withRelay = renderMailEnv({
    domain: "example.coop",
    hostname: "mail.example.coop",
    issuer: "acme",
    relay: { host: "smtp.relay.example", port: 587 },
  });
  const direct = renderMailEnv({ domain: "example.coop", hostname: "mail.example.coop", issuer: "acme" });

  it("reads the oracle (sanity: the lists are what they claim)", () => {
    expect(known.defaults.size).toBeGreaterThan(100);
    expect(known.documentedOnly.size).toBe(13);
    expect(recommended.get("ENABLE_RSPAMD")).toBe("1");
  });

  it("uses only names docker-mailserver documents", () => {
    for (const entry of withRelay) {
      const name = entry.slice(0, entry.indexOf("="));
      expect(known.defaults.has(name) || known.documentedOnly.has(name), `${name} is not a docker-mailserver setting`).toBe(true);
    }
  });

  it("applies every recommended override, except the documented deviations", () => {
    const env = asMap(withRelay);
    // Values that depend on the co-op, and the reasons the others differ (see components/mail/env.ts).
    const deviations = new Set([
      "POSTMASTER_ADDRESS",
      "SSL_CERT_PATH",
      "SSL_KEY_PATH",
      "DEFAULT_RELAY_HOST",
      "RELAY_USER",
      "RELAY_PASSWORD",
      "TZ",
      "ENABLE_MANAGESIEVE",
    ]);
    for (const [name, value] of recommended) {
      if (deviations.has(name)) continue;
      expect(env.get(name), name).toBe(value);
    }
    expect(env.get("POSTMASTER_ADDRESS")).toBe("postmaster@example.coop");
    expect(env.get("DEFAULT_RELAY_HOST")).toBe("[smtp.relay.example]:587");
    expect(env.get("TZ")).toMatch(/^[A-Za-z]+\/[A-Za-z_]+$/); // AREA/ZONE form
    expect(env.has("ENABLE_MANAGESIEVE")).toBe(false); // port 4190 is not published
  });

  it("never carries the relay credentials (they go into postfix-sasl-password.cf)", () => {
    const env = asMap(withRelay);
    expect(env.has("RELAY_USER")).toBe(false);
    expect(env.has("RELAY_PASSWORD")).toBe(false);
    expect(withRelay.join("\n")).not.toMatch(/PASSWORD=|example-coop/);
  });

  it("relays only when a relay is configured", () => {
    expect(asMap(direct).has("DEFAULT_RELAY_HOST")).toBe(false);
  });

  it("reads Caddy's certificate for the mail host from Caddy's data volume (read-only mount)", () => {
    const env = asMap(direct);
    expect(env.get("SSL_TYPE")).toBe("manual");
    // The oracle's path, for mail.example.coop with Caddy's /data mounted at /srv/caddy.
    expect(env.get("SSL_CERT_PATH")).toBe(recommended.get("SSL_CERT_PATH"));
    expect(env.get("SSL_KEY_PATH")).toBe(recommended.get("SSL_KEY_PATH"));
    expect(caddyCertificatePaths("mail.example.localhost", "internal").cert).toBe(
      "/srv/caddy/caddy/certificates/local/mail.example.localhost/mail.example.localhost.crt",
    );
  });

  it("is sorted and free of quoting, which DMS does not support", () => {
    expect([...withRelay].sort()).toEqual(withRelay);
    for (const e of withRelay) expect(e).not.toMatch(/["'\s]/);
  });
});
