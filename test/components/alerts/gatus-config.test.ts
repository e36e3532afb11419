/**
 * Gatus's configuration, rendered from the spec: valid YAML that Gatus's own structs (at the
 * pinned release, test/helpers/gatus-schema.ts) accept, checks for everything members reach,
 * alerts to the right people, and no secret in the text.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { z } from "zod";
import { gatusConfigFromSpec } from "../../../components/alerts/alerts-stack";
import { gatusChecks } from "../../../components/alerts/checks";
import { GATUS_ENV, type GatusConfigArgs, renderGatusConfig, WEBHOOK_BODY } from "../../../components/alerts/gatus-config";
import { StackSpecSchema, type StackSpecInput } from "../../../stacks/schema";
import { expandLikeGatus, GatusConfigSchema } from "../../helpers/gatus-schema";
import { bundledSpec } from "../../helpers/program";

const ARGS: GatusConfigArgs = {
  coopName: "River Co-op",
  checks: [
    { kind: "https", name: "mastodon", group: "services", url: "https://social.river.coop/health" },
    { kind: "starttls", name: "mail submission", group: "services", host: "mail.river.coop", port: 587 },
  ],
  certificateDays: 14,
  email: { host: "mail.river.coop", port: 587, from: "alerts@river.coop", to: ["ada@river.coop", "ops@elsewhere.example"] },
  webhook: false,
  statusPage: false,
};

const SECRETS = {
  [GATUS_ENV.smtpPassword]: "smtp-pw",
  [GATUS_ENV.matrixToken]: "syt_token",
  [GATUS_ENV.webhookUrl]: "https://hooks.example/T0/B0/x",
};

/** The file as Gatus reads it: expanded, parsed, and checked against its structs. */
function asGatusReadsIt(text: string): z.infer<typeof GatusConfigSchema> {
  return GatusConfigSchema.parse(parse(expandLikeGatus(text, SECRETS)));
}

describe("the Gatus configuration", () => {
  it("is what Gatus's config structs accept (golden shape)", () => {
    const c = asGatusReadsIt(renderGatusConfig(ARGS));
    expect(c.storage).toEqual({ type: "memory" });
    expect(c.web).toEqual({ port: 8080 });
    expect(c.alerting).toEqual({
      email: {
        from: "alerts@river.coop",
        username: "alerts@river.coop",
        password: "smtp-pw",
        host: "mail.river.coop",
        port: 587,
        to: "ada@river.coop,ops@elsewhere.example",
      },
    });
    expect(c.endpoints).toEqual([
      {
        name: "mastodon",
        group: "services",
        interval: "1m",
        url: "https://social.river.coop/health",
        conditions: ["[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 336h"],
        alerts: [
          {
            type: "email",
            "failure-threshold": 3,
            "success-threshold": 2,
            "minimum-reminder-interval": "12h",
            "send-on-resolved": true,
            description: "River Co-op: services/mastodon is failing",
          },
        ],
      },
      {
        name: "mail submission",
        group: "services",
        interval: "1m",
        url: "starttls://mail.river.coop:587",
        conditions: ["[CONNECTED] == true", "[CERTIFICATE_EXPIRATION] > 336h"],
        alerts: [expect.objectContaining({ type: "email" })],
      },
    ]);
  });

  it("alerts on a certificate within the spec's days of expiry", () => {
    const c = asGatusReadsIt(renderGatusConfig({ ...ARGS, certificateDays: 21 }));
    for (const e of c.endpoints) expect(e.conditions).toContain("[CERTIFICATE_EXPIRATION] > 504h");
  });

  it("sends to Matrix and a webhook too when asked, every secret from the environment", () => {
    const text = renderGatusConfig({
      ...ARGS,
      matrix: { homeserverUrl: "https://matrix.river.coop", roomId: "!abc:river.coop" },
      webhook: true,
    });
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).toContain(`\${${GATUS_ENV.smtpPassword}}`);
    const c = asGatusReadsIt(text);
    expect(c.alerting?.matrix).toEqual({
      "server-url": "https://matrix.river.coop",
      "access-token": "syt_token",
      "internal-room-id": "!abc:river.coop",
    });
    expect(c.alerting?.custom).toEqual({
      url: "https://hooks.example/T0/B0/x",
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: WEBHOOK_BODY,
    });
    expect(JSON.parse(WEBHOOK_BODY).text).toContain("[ALERT_TRIGGERED_OR_RESOLVED]");
    for (const e of c.endpoints) expect(e.alerts?.map((a) => a.type)).toEqual(["email", "matrix", "custom"]);
  });

  it("keeps a $ in the spec's values literal: Gatus would read it as an environment variable", () => {
    const text = renderGatusConfig({ ...ARGS, coopName: "Co-op $HOME ${COOP_SMTP_PASSWORD}" });
    const c = asGatusReadsIt(text);
    expect(c.ui?.title).toBe("Co-op $HOME ${COOP_SMTP_PASSWORD}: status");
    expect(c.endpoints[0].alerts?.[0].description).toBe("Co-op $HOME ${COOP_SMTP_PASSWORD}: services/mastodon is failing");
  });

  it("refuses what Gatus would refuse or misread, before it reaches a server", () => {
    expect(() => renderGatusConfig({ ...ARGS, checks: [] })).toThrow(/without endpoints/);
    expect(() => renderGatusConfig({ ...ARGS, coopName: 'The "Co-op"' })).toThrow(/without " or \\/);
    expect(() => renderGatusConfig({ ...ARGS, email: { ...ARGS.email, to: [] } })).toThrow(/at least one recipient/);
    expect(() => renderGatusConfig({ ...ARGS, checks: [ARGS.checks[0], ARGS.checks[0]] })).toThrow(
      /two checks are named services\/mastodon/,
    );
    expect(() => renderGatusConfig({ ...ARGS, checks: [{ ...ARGS.checks[0], url: "http://x" } as never] })).toThrow(/not an https address/);
  });

  it("the derived schema catches a misspelt key, which Gatus itself would silently ignore", () => {
    const parsed = parse(expandLikeGatus(renderGatusConfig(ARGS), SECRETS));
    parsed.endpoints[0].condition = parsed.endpoints[0].conditions;
    expect(() => GatusConfigSchema.parse(parsed)).toThrow(/condition/);
    const bad = parse(expandLikeGatus(renderGatusConfig(ARGS), SECRETS));
    bad.endpoints[0].conditions = ["[STATUS] = 200"];
    expect(() => GatusConfigSchema.parse(bad)).toThrow(/not a condition/);
  });
});

describe("the checks of the bundled stacks", () => {
  it("cover every name the example serves, and its mail server", () => {
    const spec = bundledSpec("example");
    expect(gatusChecks(spec).map((c) => (c.kind === "https" ? c.url : `starttls://${c.host}:${c.port}`))).toEqual([
      "https://social.example.coop/health",
      "https://cloud.example.coop/status.php",
      "starttls://mail.example.coop:587",
      "https://mta-sts.example.coop/.well-known/mta-sts.txt",
    ]);
    const c = asGatusReadsIt(gatusConfigFromSpec(spec));
    // Alerts go to the admins' own mailboxes (ada and grace are admins with mailboxes).
    expect(c.alerting?.email?.to).toBe("ada@example.coop,grace@example.coop");
  });

  it("watch each other from outside in the split shape: a host cannot report its own death", () => {
    const urls = (stack: string) => gatusChecks(bundledSpec(stack)).filter((c) => c.group === "watched from here");
    expect(urls("split-mail").map((c) => c.kind === "https" && c.url)).toEqual([
      "https://social.example.coop/health",
      "https://cloud.example.coop/status.php",
    ]);
    for (const stack of ["split-social", "split-cloud"]) {
      expect(urls(stack).map((c) => c.kind === "https" && c.url)).toEqual(["https://mta-sts.example.coop/.well-known/mta-sts.txt"]);
      // Their alerts still go by mail through the mail stack's server.
      expect(asGatusReadsIt(gatusConfigFromSpec(bundledSpec(stack))).alerting?.email?.host).toBe("mail.example.coop");
    }
  });

  it("send to the listed recipients, or postmaster when no admin has a mailbox here", () => {
    const base: StackSpecInput = { ...(bundledSpec("split-social") as StackSpecInput) };
    const listed = StackSpecSchema.parse({ ...base, alerts: { recipients: ["ops@elsewhere.example"] } });
    expect(asGatusReadsIt(gatusConfigFromSpec(listed)).alerting?.email?.to).toBe("ops@elsewhere.example");
    const none = StackSpecSchema.parse({ ...base, alerts: {} });
    expect(asGatusReadsIt(gatusConfigFromSpec(none)).alerting?.email?.to).toBe("postmaster@example.coop");
  });
});
