/**
 * The Alerts component in the bundled stacks, run under Pulumi's mock runtime: what it
 * declares, that it is governed (in the lock) with every secret masked, and how it is wired to
 * the mail server, the proxy (status page), DNS and the backup.
 */
import { describe, expect, it } from "vitest";
import { GATUS_CONFIG_PATH, GATUS_ENV } from "../../../components/alerts/gatus-config";
import { ALERT_LAYOUT, ON_FAILURE } from "../../../components/alerts/units";
import { BACKUP_LAYOUT } from "../../../components/backup/backup";
import { GATUS_IMAGE } from "../../../components/shared/images";
import { canonicalJson } from "../../../kernel/json";
import { COMPUTED, GENERATED } from "../../../plan/view";
import { mailSenders, StackSpecSchema, type StackSpecInput } from "../../../stacks/schema";
import { SECRET_CONFIG_KEYS } from "../../../stacks/secret-keys";
import { isSecretOrUnknown } from "../../helpers/components";
import { byName, bundledSpec, governed, planSpec } from "../../helpers/program";

function installedFiles(create: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of create.matchAll(/^put (0\d{3}) '([^']+)' <<'(COOP_EOF_[0-9a-f]+)'\n([\s\S]*?)^\3$/gm)) out.set(m[2], m[4]);
  return out;
}

describe("Alerts in the example stack (under mocks)", async () => {
  const { run, view } = await planSpec(bundledSpec("example"), "example");
  const alertsUrn = byName(run.resources, "alerts").urn;
  const children = run.resources.filter((r) => r.parent === alertsUrn);

  it("declares an Alerts component with exactly its resources, children of it", () => {
    expect(byName(run.resources, "alerts").type).toBe("coop:alerts:Alerts");
    expect(children.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "command:remote:Command alerts-files",
      "command:remote:Command alerts-smtp-login",
      "docker:index/container:Container alerts-gatus",
    ]);
  });

  it("runs Gatus by its exact release with the rendered config, the SMTP password a masked secret", () => {
    const g = governed(view, "alerts-gatus").inputs;
    expect(g.image).toBe(GATUS_IMAGE);
    expect(g.name).toBe("example-co-op-example-alerts-gatus");
    expect(g.envs).toEqual([`GATUS_CONFIG_PATH=${GATUS_CONFIG_PATH}`, `${GATUS_ENV.smtpPassword}=${GENERATED}`]);
    const uploads = g.uploads as Array<{ file: string; content: string }>;
    expect(uploads.map((u) => u.file)).toEqual([GATUS_CONFIG_PATH]);
    expect(uploads[0].content).toContain("to: ada@example.coop,grace@example.coop");
    expect(uploads[0].content).toContain(`password: \${${GATUS_ENV.smtpPassword}}`);
    expect(Number(g.memory)).toBeGreaterThan(0);
    // Reaches the mail server under its own name on its network, and the internet through the proxy's.
    expect((g.networksAdvanced as Array<{ name: string }>).map((n) => n.name)).toEqual([
      "example-co-op-example-proxy-network",
      "example-co-op-example-mail",
    ]);
  });

  it("gets its own account on the co-op's mail server, with a generated password", () => {
    expect(byName(run.resources, "mail-sender-alerts-password").type).toBe("random:index/randomPassword:RandomPassword");
    const accounts = (governed(view, "mail-server").inputs.uploads as Array<{ file: string; content: string }>)[0].content;
    expect(accounts).toMatch(/^alerts@example\.coop\|\{SHA512-CRYPT\}/m);
  });

  it("installs the scripts and units over SSH, the login on stdin only (unknown at preview)", () => {
    const files = installedFiles(String(governed(view, "alerts-files").inputs.create));
    expect([...files.keys()].sort()).toEqual(
      [
        ALERT_LAYOUT.alertScript,
        ALERT_LAYOUT.checkScript,
        ALERT_LAYOUT.alertService,
        ALERT_LAYOUT.checkService,
        ALERT_LAYOUT.checkTimer,
      ].sort(),
    );
    expect(String(governed(view, "alerts-files").inputs.create)).toContain("sudo systemctl restart 'coop-check.timer'");
    const login = governed(view, "alerts-smtp-login").inputs;
    // The password is masked (generated); offline the username is known.
    expect(login.stdin).toBe(`user = "alerts@example.coop:${GENERATED}"\n`);
    expect(String(login.create)).not.toMatch(/user = /);
    for (const name of ["alerts-files", "alerts-smtp-login"]) {
      const r = byName(run.resources, name);
      expect(isSecretOrUnknown(r.inputs.connection), name).toBe(true);
      expect(r.options.dependencies, name).toContain(byName(run.resources, "host-ready").urn);
      expect(governed(view, name).inputs.triggers, name).toEqual([COMPUTED]);
    }
    expect(byName(run.resources, "alerts-files").options.dependencies).toContain(byName(run.resources, "alerts-smtp-login").urn);
    const text = canonicalJson(view.resources.filter((r) => r.name.startsWith("alerts")));
    for (const p of run.secretPlaceholders) expect(text).not.toContain(p);
  });

  it("mails the admins when the nightly backup fails", () => {
    const backup = installedFiles(String(governed(view, "backup-files").inputs.create)).get(BACKUP_LAYOUT.service);
    expect(backup).toContain(`\n${ON_FAILURE}\n`);
  });

  it("serves the status page through the proxy, with its DNS records", () => {
    const caddyfile = (governed(view, "proxy-caddy").inputs.uploads as Array<{ content: string }>)[0].content;
    expect(caddyfile).toMatch(/status\.example\.coop \{[\s\S]*?reverse_proxy example-co-op-example-alerts-gatus:8080/);
    expect(governed(view, "dns-a-status").inputs).toMatchObject({ name: "status", type: "A" });
    expect(governed(view, "dns-aaaa-status").inputs).toMatchObject({ name: "status", type: "AAAA" });
  });
});

describe("Alerts in other shapes", () => {
  const example = bundledSpec("example") as StackSpecInput;

  it("declares nothing, and leaves the backup unit as it was, when alerts are off", async () => {
    const { run, view } = await planSpec({ ...example, alerts: { enabled: false } }, "example");
    expect(run.resources.filter((r) => r.name.startsWith("alerts"))).toEqual([]);
    expect(run.resources.find((r) => r.name === "mail-sender-alerts-password")).toBeUndefined();
    expect(String(governed(view, "backup-files").inputs.create)).not.toContain("OnFailure");
    expect(view.resources.find((r) => r.name === "dns-a-status")).toBeUndefined();
  });

  it("sends to Matrix and a webhook with the config secrets, masked in the lock", async () => {
    const spec = StackSpecSchema.parse({
      ...example,
      alerts: { matrix: { homeserverUrl: "https://matrix.example.coop", roomId: "!room:example.coop" }, webhook: true },
    });
    expect(
      SECRET_CONFIG_KEYS.filter((k) => k.neededBy(spec))
        .map((k) => k.key)
        .sort(),
    ).toEqual(["alertsMatrixToken", "alertsWebhookUrl", "mailRelayPassword"]);
    const { run, view } = await planSpec(spec, "example");
    const envs = governed(view, "alerts-gatus").inputs.envs as string[];
    expect(envs.slice(2).map((e) => e.split("=")[0])).toEqual([GATUS_ENV.matrixToken, GATUS_ENV.webhookUrl]);
    const text = canonicalJson(governed(view, "alerts-gatus"));
    for (const p of run.secretPlaceholders) expect(text).not.toContain(p);
  });

  it("in the split shape, sends through the mail stack's alerts account, found by the StackReference", async () => {
    const { run, view } = await planSpec(bundledSpec("split-social"), "split-social");
    const g = governed(view, "alerts-gatus").inputs;
    // The password comes from the mail stack; no network of its own to join.
    expect((g.networksAdvanced as Array<{ name: string }>).map((n) => n.name)).toEqual(["example-co-op-split-social-proxy-network"]);
    expect((g.envs as string[])[1]).toBe(COMPUTED);
    expect(run.resources.find((r) => r.name === "mail-sender-alerts-password")).toBeUndefined();
    const mailStack = await planSpec(bundledSpec("split-mail"), "split-mail");
    expect(mailStack.run.resources.find((r) => r.name === "mail-sender-alerts-password")).toBeDefined();
    expect(mailSenders(mailStack.spec)).toContain("alerts");
  });
});
