/**
 * Mastodon as `pulumi up` sees it after the generated values exist: known fake secrets, a mail
 * server, and migrations that succeed or fail.
 */
import { createECDH, generateKeyPairSync } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { envNames } from "../../../components/shared/env";
import type { SmtpSender } from "../../../components/shared/interfaces";
import { Mastodon } from "../../../components/mastodon/mastodon";
import { MASTODON_SECRET_NAMES, mastodonEnv } from "../../../components/mastodon/env";
import { type FakeState, envOf, messageOf, named, runComponents } from "../../helpers/components";
import { mastodonDocumented, mastodonRequired } from "../../helpers/web-oracles";

const PEM = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "pem", type: "sec1" }).toString();

/** What the providers would return: distinct fake values, a real P-256 key, migration exit codes. */
function fakes(exitCodes: Record<string, number> = {}): FakeState {
  return (type, name, inputs) => {
    if (type === "random:index/randomPassword:RandomPassword")
      return { result: `pw${name.replace(/[^a-z0-9]/g, "")}`.padEnd(32, "x").slice(0, 32) };
    if (type === "random:index/randomBytes:RandomBytes") return { hex: Buffer.from(name.padEnd(64, "#")).toString("hex") };
    if (type === "tls:index/privateKey:PrivateKey") return { privateKeyPem: PEM };
    if (type === "docker:index/container:Container" && inputs.attach) return { exitCode: exitCodes[name] ?? 0 };
    return {};
  };
}

const SMTP: SmtpSender = {
  host: "mail.example.coop",
  port: 587,
  security: "starttls",
  username: "mastodon@example.coop",
  password: "smtp-password-fake",
  fromAddress: "mastodon@example.coop",
  network: "co-test-mail",
};

describe("Mastodon's environment (renderer, with known fake secrets)", () => {
  const fake = (n: string) => `fake-${n}`;
  const entries = mastodonEnv<string>({
    localDomain: "social.example.coop",
    db: { host: "db", port: 5432, name: "mastodon_production", user: "mastodon", password: fake("db") },
    redis: { host: "redis", port: 6379 },
    cacheRedis: { host: "redis-cache", port: 6379 },
    concurrency: { webProcesses: 2, webThreads: 5, sidekiqThreads: 5 },
    trustedProxies: ["10.213.0.2", "fd3e:c0a1:213::2"],
    secrets: {
      secretKeyBase: fake("skb"),
      otpSecret: fake("otp"),
      vapidPrivateKey: fake("vpriv"),
      vapidPublicKey: fake("vpub"),
      activeRecordPrimaryKey: fake("arp"),
      activeRecordDeterministicKey: fake("ard"),
      activeRecordKeyDerivationSalt: fake("ars"),
    },
    smtp: {
      server: "mail.example.coop",
      port: 465,
      security: "tls",
      login: "m@example.coop",
      password: fake("smtp"),
      fromAddress: "m@example.coop",
      verifyCertificate: true,
    },
  });
  const names = envNames(entries);

  it("contains every name the official sources mark required, except the two the images set", () => {
    const required = [...mastodonRequired().keys()];
    expect(required).toHaveLength(22);
    for (const n of required.filter((x) => x !== "RAILS_ENV" && x !== "NODE_ENV")) expect(names, n).toContain(n);
    expect(names).not.toContain("RAILS_ENV");
    expect(names).not.toContain("NODE_ENV");
  });

  it("uses only names the admin documentation documents (not removed or deprecated ones)", () => {
    const documented = mastodonDocumented();
    for (const n of names) expect(documented.get(n), n).toBe("documented");
  });

  it("marks exactly the credentials as secret", () => {
    const secret = entries.filter((e) => e.secret).map((e) => e.name);
    expect(secret.sort()).toEqual([...MASTODON_SECRET_NAMES, "DB_PASS", "SMTP_PASSWORD"].sort());
    const required = mastodonRequired();
    for (const [n, group] of required) if (group === "secret") expect(secret, n).toContain(n);
  });

  it("uses implicit TLS on 465 and required STARTTLS on 587, verifying the certificate", () => {
    const env = new Map(entries.map((e) => [e.name, e.value]));
    expect(env.get("SMTP_TLS")).toBe("true");
    expect(env.get("SMTP_ENABLE_STARTTLS")).toBe("never");
    expect(env.get("SMTP_OPENSSL_VERIFY_MODE")).toBe("peer");
    const starttls = mastodonEnv<string>({
      ...entriesInput(),
      smtp: { server: "m", port: 587, security: "starttls", login: "l", password: "p", fromAddress: "f@x.y", verifyCertificate: false },
    });
    const e2 = new Map(starttls.map((e) => [e.name, e.value]));
    expect(e2.get("SMTP_ENABLE_STARTTLS")).toBe("always");
    expect(e2.has("SMTP_TLS")).toBe(false);
    expect(e2.get("SMTP_OPENSSL_VERIFY_MODE")).toBe("none");
  });

  function entriesInput() {
    return {
      localDomain: "s.example.coop",
      db: { host: "db", port: 5432, name: "n", user: "u", password: "p" },
      redis: { host: "r", port: 6379 },
      cacheRedis: { host: "rc", port: 6379 },
      concurrency: { webProcesses: 2, webThreads: 5, sidekiqThreads: 5 },
      trustedProxies: ["10.213.0.2"],
      secrets: {
        secretKeyBase: "a",
        otpSecret: "b",
        vapidPrivateKey: "c",
        vapidPublicKey: "d",
        activeRecordPrimaryKey: "e",
        activeRecordDeterministicKey: "f",
        activeRecordKeyDerivationSalt: "g",
      },
    };
  }
});

describe("Mastodon with a mail server, after the first deploy", async () => {
  let mastodon: Mastodon | undefined;
  const run = await runComponents(
    (host) => {
      mastodon = new Mastodon("mastodon", {
        host,
        version: "v4.6.3",
        hostname: "social.example.coop",
        postgresMajor: 18,
        proxyNetwork: "co-test-proxy-network",
        proxyAddresses: ["10.213.0.2"],
        smtp: SMTP,
      });
    },
    { preview: false, state: fakes() },
  );
  const web = envOf(named(run, "mastodon-web"));

  it("deploys without errors", () => {
    expect(run.failures.map(messageOf)).toEqual([]);
  });

  it("has every required name and only documented ones in the running containers", () => {
    const required = [...mastodonRequired().keys()].filter((x) => x !== "RAILS_ENV" && x !== "NODE_ENV");
    const documented = mastodonDocumented();
    for (const part of ["web", "streaming", "sidekiq", "migrate", "post-migrate"]) {
      const env = envOf(named(run, `mastodon-${part}`));
      for (const n of required) expect(env.has(n), `${part}: ${n}`).toBe(true);
      for (const n of env.keys()) expect(documented.get(n), `${part}: ${n}`).toBe("documented");
    }
    expect(web.get("SMTP_SERVER")).toBe("mail.example.coop");
    expect(web.get("SMTP_PASSWORD")).toBe("smtp-password-fake");
  });

  it("fills in the generated values in the form Mastodon expects", () => {
    expect(web.get("SECRET_KEY_BASE")).toMatch(/^[0-9a-f]{128}$/);
    expect(web.get("OTP_SECRET")).toMatch(/^[0-9a-f]{128}$/);
    expect(web.get("SECRET_KEY_BASE")).not.toBe(web.get("OTP_SECRET"));
    for (const n of [
      "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
      "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
      "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
    ]) {
      expect(web.get(n), n).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    expect(new Set(MASTODON_SECRET_NAMES.map((n) => web.get(n))).size).toBe(MASTODON_SECRET_NAMES.length);
  });

  it("passes a valid P-256 VAPID pair derived from the generated key", () => {
    const pub = Buffer.from(web.get("VAPID_PUBLIC_KEY") ?? "", "base64url");
    const priv = Buffer.from(web.get("VAPID_PRIVATE_KEY") ?? "", "base64url");
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(priv);
    expect(ecdh.getPublicKey().equals(pub)).toBe(true);
  });

  it("wraps every credential entry as a Pulumi secret", () => {
    const list = named(run, "mastodon-web").inputs.envs as unknown[];
    const secretNames = [...MASTODON_SECRET_NAMES, "DB_PASS", "SMTP_PASSWORD"];
    const wrapped = (e: unknown) => typeof e === "object" && e !== null;
    for (const e of list) {
      const text = String(wrapped(e) ? (e as { value: unknown }).value : e);
      const name = text.split("=")[0];
      if (secretNames.includes(name)) expect(wrapped(e) || wrapped(named(run, "mastodon-web").inputs.envs), name).toBe(true);
    }
  });

  it("lets the new containers start only after the migration succeeded", () => {
    for (const p of ["web", "streaming", "sidekiq"]) {
      expect(named(run, `mastodon-${p}`).inputs.labels, p).toEqual([{ label: "coop-infra.migrated", value: "v4.6.3" }]);
    }
  });

  it("joins the mail server's network from the containers that send mail", () => {
    const nets = (p: string) => (named(run, `mastodon-${p}`).inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name);
    expect(nets("web")).toContain("co-test-mail");
    expect(nets("sidekiq")).toContain("co-test-mail");
    expect(nets("streaming")).not.toContain("co-test-mail");
  });

  it("tells the backup what to save: the database and the media and Redis volumes", () => {
    expect(mastodon?.backup.service).toBe("mastodon");
    expect(mastodon?.backup.postgres).toEqual([{ container: "co-test-mastodon-db", database: "mastodon_production", user: "mastodon" }]);
    expect(mastodon?.backup.volumes).toHaveLength(2);
    expect(mastodon?.sendsMail).toBe(true);
  });
});

describe("a failed migration stops the deploy before the release starts", async () => {
  const run = await runComponents(
    (host) => {
      new Mastodon("mastodon", {
        host,
        version: "v4.6.4",
        hostname: "social.example.coop",
        postgresMajor: 18,
        proxyNetwork: "net",
        proxyAddresses: ["10.213.0.2"],
      });
    },
    { preview: false, state: fakes({ "mastodon-migrate": 1 }) },
  );

  it("reports the container, how to see why and how to retry", () => {
    const messages = run.failures.map(messageOf).join("\n");
    expect(messages).toContain("database migration (container co-test-mastodon-migrate-v4.6.4) exited with code 1");
    expect(messages).toContain("docker logs co-test-mastodon-migrate-v4.6.4");
    expect(messages).toContain("pulumi up --replace");
  });

  it("never registers web, streaming, sidekiq or the post-deployment migration", () => {
    const names = run.registrations.map((r) => r.name);
    expect(names).toContain("mastodon-migrate");
    for (const p of ["web", "streaming", "sidekiq", "post-migrate"]) expect(names, p).not.toContain(`mastodon-${p}`);
  });
});

describe("a failed post-deployment migration fails the deploy", async () => {
  const run = await runComponents(
    (host) => {
      const m = new Mastodon("mastodon", {
        host,
        version: "v4.6.4",
        hostname: "social.example.coop",
        postgresMajor: 18,
        proxyNetwork: "net",
        proxyAddresses: ["10.213.0.2"],
      });
      // The stack exports it; a failed output fails the update.
      m.migrated.apply(() => undefined);
    },
    { preview: false, state: fakes({ "mastodon-post-migrate": 3 }) },
  );

  it("says which step failed", () => {
    expect(run.failures.map(messageOf).join("\n")).toContain(
      "post-deployment migration (container co-test-mastodon-post-migrate) exited with code 3",
    );
  });
});

describe("Mastodon without a mail server", async () => {
  let mastodon: Mastodon | undefined;
  // Without an engine (offline, `coop plan`) Pulumi's warnings go to stderr through console.warn.
  const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  const run = await runComponents(
    (host) => {
      mastodon = new Mastodon("mastodon", {
        host,
        version: "v4.6.3",
        hostname: "social.example.coop",
        postgresMajor: 18,
        proxyNetwork: "net",
        proxyAddresses: ["10.213.0.2"],
      });
    },
    { preview: true },
  );

  it("still deploys, sets no SMTP variables and says it sends no mail", () => {
    expect(run.failures).toEqual([]);
    const names = [...envOf(named(run, "mastodon-web")).keys()];
    expect(names.filter((n) => n.startsWith("SMTP_"))).toEqual([]);
    expect(mastodon?.sendsMail).toBe(false);
  });

  it("warns in the plan that it cannot send mail", () => {
    const warnings = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    expect(warnings.some((w) => w.includes("Mastodon at social.example.coop has no mail server"))).toBe(true);
  });
});
