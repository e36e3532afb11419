import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { declareCoop, type CoopStack } from "../../../components/coop";
import { MAIL_PORTS } from "../../../components/mail/mail";
import { MAIL_OUTPUTS } from "../../../components/mail/contract";
import { renderMailEnv } from "../../../components/mail/env";
import { publicPorts } from "../../../components/shared/ports";
import { runProgramOffline } from "../../../cli/offline/run-program";
import { buildView } from "../../../plan/view";
import { coop } from "../../helpers/cli";
import { imageVolumesOracle, mailserverEnvOracle } from "../../helpers/oracles";
import { PROJECT, byName, bundledSpec, governed, ofType, planSpec } from "../../helpers/program";

const DMS_IMAGE = "ghcr.io/docker-mailserver/docker-mailserver";

type Inputs = Record<string, unknown>;
type Upload = { file: string; content: string; permissions: string };

describe("Mail in the example stack (under mocks)", async () => {
  const spec = bundledSpec("example");
  const { run, view } = await planSpec(spec, "example");
  const mailUrn = byName(run.resources, "mail").urn;
  const children = run.resources.filter((r) => r.parent === mailUrn);
  const server = governed(view, "mail-server").inputs as Inputs;
  const uploads = server.uploads as Upload[];

  it("is a coop:mail:Mail component with exactly these children", () => {
    expect(byName(run.resources, "mail").type).toBe("coop:mail:Mail");
    expect(children.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "docker:index/container:Container mail-server",
        "docker:index/network:Network mail-network",
        ...["data", "state", "logs", "config"].map((v) => `docker:index/volume:Volume mail-${v}`),
        "tls:index/privateKey:PrivateKey mail-dkim",
        ...["mailbox-ada", "mailbox-grace", "sender-alerts", "sender-mastodon", "sender-nextcloud"].flatMap((a) => [
          `random:index/randomPassword:RandomPassword mail-${a}-password`,
          `random:index/randomString:RandomString mail-${a}-salt`,
        ]),
      ].sort(),
    );
  });

  it("runs the pinned docker-mailserver release, named after the stack", () => {
    expect(server.image).toBe(`${DMS_IMAGE}:15.1.0`);
    expect(server.name).toBe("example-co-op-example-mail");
    expect(server.hostname).toBe("mail.example.coop");
    for (const r of children.filter((c) => c.type.startsWith("docker:"))) {
      expect(String(r.inputs.name), r.name).toMatch(/^example-co-op-example-mail/);
    }
  });

  it("has the recommended environment, with only documented names and no secret", () => {
    const env = server.envs as string[];
    expect(env).toEqual(
      renderMailEnv({
        domain: "example.coop",
        hostname: "mail.example.coop",
        issuer: "acme",
        relay: { host: "smtp.relay.example", port: 587 },
      }),
    );
    const known = mailserverEnvOracle();
    for (const e of env) {
      const name = e.slice(0, e.indexOf("="));
      expect(known.defaults.has(name) || known.documentedOnly.has(name), name).toBe(true);
    }
    expect(env.some((e) => /PASSWORD|<secret>|<computed>/.test(e))).toBe(false);
  });

  it("publishes 25, 465, 587 and 993 on the host, the ports the firewall opens for mail", () => {
    const ports = server.ports as Array<{ internal: number; external: number; protocol: string; ip: string }>;
    expect(ports.map((p) => `${p.external}:${p.internal}/${p.protocol}@${p.ip}`)).toEqual(MAIL_PORTS.map((p) => `${p}:${p}/tcp@0.0.0.0`));
    const firewallMail = publicPorts(["mail"]).filter(
      (p) => !publicPorts(["mastodon"]).some((q) => q.port === p.port && q.protocol === p.protocol),
    );
    expect(firewallMail.map((p) => p.port).sort((a, b) => a - b)).toEqual([...MAIL_PORTS]);
  });

  it("keeps every path docker-mailserver declares in a named volume, mail and state protected", () => {
    const mounts = server.volumes as Array<{ containerPath: string; volumeName: string; readOnly?: boolean }>;
    const dmsPaths = imageVolumesOracle()
      .filter((v) => v.image.startsWith(DMS_IMAGE))
      .map((v) => v.path);
    expect(dmsPaths.length).toBe(4);
    for (const path of dmsPaths) {
      const m = mounts.find((x) => x.containerPath === path);
      expect(m, path).toBeDefined();
      const volume = ofType(run.resources, "docker:index/volume:Volume").find((v) => v.inputs.name === m!.volumeName);
      expect(volume, `${path} is not on a named docker.Volume of this stack`).toBeDefined();
      expect(m!.readOnly).toBeUndefined();
    }
    expect(server.removeVolumes).toBe(false);
    for (const v of ["mail-data", "mail-state"]) expect(byName(run.resources, v).options.protect, v).toBe(true);
  });

  it("reads the mail host's certificate from Caddy's data volume, read-only", () => {
    const mounts = server.volumes as Array<{ containerPath: string; volumeName: string; readOnly?: boolean }>;
    const caddy = mounts.find((m) => m.containerPath === "/srv/caddy");
    expect(caddy).toMatchObject({ readOnly: true });
    const proxyVolumes = ofType(run.resources, "docker:index/volume:Volume").filter((v) => v.name.startsWith("proxy-"));
    expect(proxyVolumes.map((v) => v.inputs.name)).toContain(caddy!.volumeName);
    // Caddy keeps certificates under /data/caddy/certificates: the same directory, seen from /srv/caddy.
    expect((server.envs as string[]).find((e) => e.startsWith("SSL_CERT_PATH="))).toBe(
      "SSL_CERT_PATH=/srv/caddy/caddy/certificates/acme-v02.api.letsencrypt.org-directory/mail.example.coop/mail.example.coop.crt",
    );
  });

  it("asks the proxy for the mail host's certificate and serves the MTA-STS policy", () => {
    const caddyfile = (governed(view, "proxy-caddy").inputs.uploads as Upload[])[0].content;
    expect(caddyfile).toMatch(/^mail\.example\.coop \{$/m);
    expect(caddyfile).toMatch(/^mta-sts\.example\.coop \{$/m);
    expect(caddyfile).toContain("handle /.well-known/mta-sts.txt {");
    expect(caddyfile).toContain("version: STSv1\r\nmode: testing\r\nmx: mail.example.coop\r\nmax_age: 604800\r\n");
  });

  it("waits for the certificate, then runs the image's own entrypoint and command", () => {
    const [sh, dashC, script, name] = server.entrypoints as string[];
    expect([sh, dashC, name]).toEqual(["/bin/sh", "-c", "coop-mail"]);
    expect(script).toContain('exec /usr/bin/dumb-init -- "$@"');
    expect(script).toContain('[ ! -s "$SSL_CERT_PATH" ]');
    expect(server.command).toEqual(["supervisord", "-c", "/etc/supervisor/supervisord.conf"]);
  });

  it("can ban (NET_ADMIN for fail2ban), restarts, has a health check, and lets postdrop work", () => {
    expect(server.capabilities).toEqual({ adds: ["NET_ADMIN"] });
    expect(server.restart).toBe("always");
    expect((server.healthcheck as { tests: string[] }).tests).toEqual([
      "CMD-SHELL",
      "ss --listening --ipv4 --tcp | grep --silent ':smtp' || exit 1",
    ]);
    expect(server.securityOpts).toEqual(["no-new-privileges=false"]);
    expect(server.stopTimeout).toBe(60);
  });

  it("answers under its own name on the mail network, for the services that send through it", () => {
    expect(server.networksAdvanced).toEqual([{ name: "example-co-op-example-mail", aliases: ["mail.example.coop"] }]);
  });

  it("uploads accounts, aliases, relay credentials and DKIM, secrets masked", () => {
    const byFile = new Map(uploads.map((u) => [u.file, u]));
    expect([...byFile.keys()].sort()).toEqual(
      [
        "/tmp/docker-mailserver/postfix-accounts.cf",
        "/tmp/docker-mailserver/postfix-sasl-password.cf",
        "/tmp/docker-mailserver/postfix-virtual.cf",
        "/tmp/docker-mailserver/rspamd/dkim/rsa-2048-mail-example.coop.private.txt",
        "/tmp/docker-mailserver/rspamd/override.d/dkim_signing.conf",
      ].sort(),
    );
    // Generated (hashes of random passwords and salts, the private key): only the secret parts
    // are masked, so every account line stays governed.
    const accounts = byFile.get("/tmp/docker-mailserver/postfix-accounts.cf")!;
    expect(accounts).toMatchObject({ permissions: "0600" });
    const lines = String(accounts.content)
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^[^|@\s]+@example\.coop\|\{SHA512-CRYPT\}\$6\$<generated-secret>\$<generated-secret>$/);
    expect(byFile.get("/tmp/docker-mailserver/rspamd/dkim/rsa-2048-mail-example.coop.private.txt")).toMatchObject({
      content: "<generated-secret>",
      permissions: "0600",
    });
    // From the config secret: only the password is masked, the relay and the user stay governed.
    expect(byFile.get("/tmp/docker-mailserver/postfix-sasl-password.cf")).toMatchObject({
      content: expect.stringMatching(/\n\[smtp\.relay\.example\]:587 example-coop:<secret>\n$/),
      permissions: "0600",
    });
    const virtual = byFile.get("/tmp/docker-mailserver/postfix-virtual.cf")!.content;
    expect(virtual.split("\n").filter((l) => l && !l.startsWith("#"))).toEqual([
      "abuse@example.coop ada@example.coop",
      "dmarc.report@example.coop ada@example.coop",
      "hello@example.coop grace@example.coop",
      "postmaster@example.coop ada@example.coop",
      "tlsrpt@example.coop ada@example.coop",
    ]);
  });

  it("generates strong passwords and crypt salts, and a 2048-bit RSA DKIM key", () => {
    for (const r of ofType(run.resources, "random:index/randomPassword:RandomPassword").filter((x) => x.parent === mailUrn)) {
      expect(r.inputs).toMatchObject({ length: 32, special: false });
    }
    for (const r of ofType(run.resources, "random:index/randomString:RandomString").filter((x) => x.parent === mailUrn)) {
      expect(r.inputs).toMatchObject({ length: 16, special: false }); // [A-Za-z0-9] ⊂ the crypt alphabet
    }
    expect(governed(view, "mail-dkim").inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
    expect(byName(run.resources, "mail-dkim").options.protect).toBe(true);
    // Members come and go: removing a mailbox must not be blocked by a protected password.
    expect(byName(run.resources, "mail-mailbox-ada-password").options.protect).toBe(false);
  });

  it("gives Mastodon and Nextcloud their own SMTP account on 587 with STARTTLS", () => {
    const envOf = (name: string) => governed(view, name).inputs.envs as string[];
    const mastodon = envOf("mastodon-web");
    expect(mastodon).toEqual(
      expect.arrayContaining([
        "SMTP_SERVER=mail.example.coop",
        "SMTP_PORT=587",
        "SMTP_LOGIN=mastodon@example.coop",
        "SMTP_FROM_ADDRESS=mastodon@example.coop",
      ]),
    );
    const nextcloudApp = view.resources.find(
      (r) => r.name.startsWith("nextcloud-") && (r.inputs.envs as string[] | undefined)?.some((e) => e.startsWith("SMTP_HOST=")),
    );
    expect(nextcloudApp, "a Nextcloud container with SMTP settings").toBeDefined();
    expect(nextcloudApp!.inputs.envs).toEqual(
      expect.arrayContaining(["SMTP_HOST=mail.example.coop", "SMTP_PORT=587", "SMTP_NAME=nextcloud@example.coop"]),
    );
  });

  it("lets the containers that send mail reach the mail server under its certificate's name", () => {
    // Mastodon sends from Sidekiq (and web), Nextcloud from the app and cron containers.
    for (const name of ["mastodon-sidekiq", "nextcloud-app", "nextcloud-cron"]) {
      const networks = (governed(view, name).inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name);
      expect(networks, name).toContain("example-co-op-example-mail");
    }
  });
});

describe("Mail's stack outputs", async () => {
  let outputs: CoopStack["outputs"] = {};
  const spec = bundledSpec("example");
  await runProgramOffline({ project: PROJECT, stack: "example", spec, declare: (args) => (outputs = declareCoop(args).outputs) });

  const isSecret = (v: unknown) => pulumi.isSecret(v as pulumi.Output<unknown>);

  it("exports every generated password as a secret", async () => {
    for (const name of [MAIL_OUTPUTS.mailboxPasswords, MAIL_OUTPUTS.password("mastodon"), MAIL_OUTPUTS.password("nextcloud")]) {
      expect(pulumi.Output.isInstance(outputs[name]), name).toBe(true);
      expect(await isSecret(outputs[name]), name).toBe(true);
    }
  });

  it("exports what other stacks and `coop dns` read, in the clear", () => {
    expect(outputs[MAIL_OUTPUTS.host]).toBe("mail.example.coop");
    expect(outputs[MAIL_OUTPUTS.port]).toBe(587);
    expect(outputs[MAIL_OUTPUTS.username("mastodon")]).toBe("mastodon@example.coop");
    expect(pulumi.Output.isInstance(outputs[MAIL_OUTPUTS.dkimRecord])).toBe(true);
  });
});

describe("Mail on the local target", async () => {
  const { view } = await planSpec(bundledSpec("local"), "local");
  const server = governed(view, "mail-server").inputs as Inputs;

  it("listens on loopback only and uses the certificate of Caddy's local authority", () => {
    for (const p of server.ports as Array<{ ip: string }>) expect(p.ip).toBe("127.0.0.1");
    expect(server.envs).toContain("SSL_CERT_PATH=/srv/caddy/caddy/certificates/local/mail.example.localhost/mail.example.localhost.crt");
    expect((server.envs as string[]).some((e) => e.startsWith("DEFAULT_RELAY_HOST="))).toBe(false);
  });

  it("has no relay password file content and no DNS", () => {
    const relay = (server.uploads as Upload[]).find((u) => u.file.endsWith("postfix-sasl-password.cf"))!;
    expect(relay.content.split("\n").filter((l) => l && !l.startsWith("#"))).toEqual([]);
    expect(view.resources.some((r) => r.type.startsWith("hcloud:"))).toBe(false);
  });
});

describe("no secret in `coop plan`", () => {
  it("prints neither the relay password's placeholder nor any generated secret, in text or JSON", async () => {
    for (const args of [
      ["plan", "--stack", "example"],
      ["plan", "--stack", "example", "--json"],
      ["plan", "--stack", "split-mail", "--json"],
    ]) {
      const r = await coop(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain("coop-config-secret:");
      expect(r.stdout).not.toMatch(/BEGIN RSA PRIVATE KEY|BEGIN PRIVATE KEY|\$6\$[./0-9A-Za-z]{1,16}\$/);
    }
    const json = JSON.parse((await coop(["plan", "--stack", "example", "--json"])).stdout);
    const server = json.resources.find((r: { name: string }) => r.name === "mail-server");
    const relay = server.inputs.uploads.find((u: Upload) => u.file.endsWith("postfix-sasl-password.cf"));
    expect(relay.content).toMatch(/:587 example-coop:<secret>\n$/);
  });

  it("keeps the relay password (a known config value in the run) out of the governed view", async () => {
    // Offline, the config value is a recognisable placeholder; the view masks it by provenance.
    const spec = bundledSpec("example");
    const run = await runProgramOffline({ project: PROJECT, stack: "example", spec });
    const v = buildView(PROJECT, "example", run.resources, run.secretPlaceholders);
    const text = JSON.stringify(v);
    for (const p of run.secretPlaceholders) expect(text).not.toContain(p);
    expect(run.secretPlaceholders.length).toBe(1);
  });
});
