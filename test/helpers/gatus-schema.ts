/**
 * Gatus's configuration file as its Go structs read it, for validating what
 * components/alerts/gatus-config.ts renders — there is no Gatus binary here to ask.
 *
 * Derived from TwiN/gatus at tag v5.36.0 (commit ed1107b41a30e22047eecfb6dbc3be5e39829d5a), the
 * release components/shared/images.ts pins:
 * - config/config.go `Config` (top-level keys), parseAndValidateConfigBytes (`$$` → `$`, then
 *   os.ExpandEnv; no endpoints → error);
 * - storage/config.go (`type`: memory | sqlite | postgres; `path` only with a database);
 * - config/web/web.go (`address`, `port`, `read-buffer-size`, `tls`);
 * - config/ui/ui.go (`title`, `description`, `header`, … `login-subtitle`);
 * - alerting/config.go (provider keys), alerting/provider/email/email.go (`from`, `username`,
 *   `password`, `host`, `port`, `to`, `client`; Validate: from and to set, port 1–65535, host set),
 *   alerting/provider/matrix/matrix.go (`server-url`, `access-token`, `internal-room-id`; token and
 *   room required), alerting/provider/custom/custom.go (`url` required, `method`, `body`,
 *   `headers`, `placeholders`, `client`); each with `default-alert` and `overrides`;
 * - alerting/alert/alert.go `Alert` (`type`, `enabled`, `failure-threshold`, `success-threshold`,
 *   `minimum-reminder-interval` ≥ 5m, `description` without `"` or `\`, `send-on-resolved`,
 *   `provider-override`), alerting/alert/type.go (type names);
 * - config/endpoint/endpoint.go `Endpoint` (keys; url and conditions required; interval a Go
 *   duration), config/endpoint/common.go (name required; name and group without `"` or `\`),
 *   config/endpoint/condition.go and placeholder.go (operators and placeholders).
 *
 * Stricter than Gatus on purpose: Gatus's YAML reader ignores unknown keys, so a misspelt key
 * would silently switch a check or an alert off; here it is an error.
 */
import { z } from "zod";

/** Go's time.ParseDuration, as yaml.v3 reads a time.Duration from a string. */
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const duration = z.string().regex(DURATION, { message: "not a Go duration such as 1m or 336h" });
const noQuote = z.string().regex(/^[^"\\]*$/, { message: 'must not contain " or \\' });

/** The placeholders config/endpoint/placeholder.go and condition.go know. */
export const PLACEHOLDERS = [
  "[STATUS]",
  "[IP]",
  "[DNS_RCODE]",
  "[RESPONSE_TIME]",
  "[BODY]",
  "[CONNECTED]",
  "[CERTIFICATE_EXPIRATION]",
  "[DOMAIN_EXPIRATION]",
  "[CONTEXT]",
] as const;
const CONDITION = new RegExp(`^(${PLACEHOLDERS.map((p) => p.replace(/[[\]]/g, "\\$&")).join("|")})(\\.[^ ]+)? (==|!=|<=|>=|<|>) \\S.*$`);

/** alerting/config.go, the `yaml` tags of every provider. */
export const ALERTING_PROVIDERS = [
  "aws-ses",
  "clickup",
  "custom",
  "datadog",
  "discord",
  "email",
  "github",
  "gitlab",
  "gitea",
  "googlechat",
  "gotify",
  "homeassistant",
  "ifttt",
  "ilert",
  "incident-io",
  "line",
  "matrix",
  "mattermost",
  "messagebird",
  "newrelic",
  "n8n",
  "ntfy",
  "opsgenie",
  "pagerduty",
  "plivo",
  "pushover",
  "rocketchat",
  "sendgrid",
  "signal",
  "signl4",
  "slack",
  "splunk",
  "squadcast",
  "teams",
  "teams-workflows",
  "telegram",
  "twilio",
  "vonage",
  "webex",
  "zapier",
  "zulip",
] as const;

const client = z
  .object({
    "proxy-url": z.string().optional(),
    insecure: z.boolean().optional(),
    "ignore-redirect": z.boolean().optional(),
    timeout: duration.optional(),
    "dns-resolver": z.string().optional(),
    network: z.string().optional(),
  })
  .strict();

const alert = z
  .object({
    type: z.enum(ALERTING_PROVIDERS),
    enabled: z.boolean().optional(),
    "failure-threshold": z.number().int().optional(),
    "success-threshold": z.number().int().optional(),
    "minimum-reminder-interval": duration
      .refine((d) => goDurationMs(d) >= 5 * 60_000, { message: "minimum-reminder-interval must be at least 5m" })
      .optional(),
    description: noQuote.optional(),
    "send-on-resolved": z.boolean().optional(),
    "provider-override": z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const provider = <T extends z.ZodRawShape>(shape: T) =>
  z
    .object({ ...shape, "default-alert": alert.partial().optional(), overrides: z.array(z.record(z.string(), z.unknown())).optional() })
    .strict();

const email = provider({
  from: z.string().min(1),
  username: z.string().optional(),
  password: z.string().optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  to: z.string().min(1),
  client: client.optional(),
});
const matrix = provider({
  "server-url": z.string().optional(),
  "access-token": z.string().min(1),
  "internal-room-id": z.string().min(1),
});
const custom = provider({
  url: z.string().min(1),
  method: z.string().optional(),
  body: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  placeholders: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  client: client.optional(),
});

const endpoint = z
  .object({
    enabled: z.boolean().optional(),
    name: noQuote.min(1),
    group: noQuote.optional(),
    url: z.string().min(1),
    method: z.string().optional(),
    body: z.string().optional(),
    graphql: z.boolean().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    "extra-labels": z.record(z.string(), z.string()).optional(),
    interval: duration.optional(),
    conditions: z.array(z.string().regex(CONDITION, { message: "not a condition: [PLACEHOLDER] operator value" })).min(1),
    alerts: z.array(alert).optional(),
    "maintenance-windows": z.array(z.unknown()).optional(),
    dns: z.unknown().optional(),
    ssh: z.unknown().optional(),
    client: client.optional(),
    ui: z.unknown().optional(),
    store: z.record(z.string(), z.string()).optional(),
    "always-run": z.boolean().optional(),
  })
  .strict();

export const GatusConfigSchema = z
  .object({
    debug: z.boolean().optional(),
    metrics: z.boolean().optional(),
    "skip-invalid-config-update": z.boolean().optional(),
    "disable-monitoring-lock": z.boolean().optional(),
    concurrency: z.number().int().optional(),
    security: z.unknown().optional(),
    alerting: z
      .object({ email: email.optional(), matrix: matrix.optional(), custom: custom.optional() })
      .catchall(z.unknown())
      .superRefine((a, ctx) => {
        for (const k of Object.keys(a))
          if (!(ALERTING_PROVIDERS as readonly string[]).includes(k))
            ctx.addIssue({ code: "custom", message: `unknown alerting provider ${k}` });
      })
      .optional(),
    endpoints: z.array(endpoint).min(1, { message: "Gatus refuses a configuration without endpoints" }),
    "external-endpoints": z.array(z.unknown()).optional(),
    suites: z.array(z.unknown()).optional(),
    storage: z
      .object({
        path: z.string().optional(),
        type: z.enum(["memory", "sqlite", "postgres"]),
        caching: z.boolean().optional(),
        "maximum-number-of-results": z.number().int().optional(),
        "maximum-number-of-events": z.number().int().optional(),
      })
      .strict()
      .refine((s) => (s.type === "memory" ? s.path === undefined : !!s.path), { message: "path goes with sqlite/postgres only" })
      .optional(),
    web: z
      .object({
        address: z.string().optional(),
        port: z.number().int().min(1).max(65535).optional(),
        "read-buffer-size": z.number().int().optional(),
        tls: z.unknown().optional(),
      })
      .strict()
      .optional(),
    ui: z
      .object({
        title: z.string().optional(),
        description: z.string().optional(),
        "dashboard-heading": z.string().optional(),
        "dashboard-subheading": z.string().optional(),
        header: z.string().optional(),
        logo: z.string().optional(),
        link: z.string().optional(),
        favicon: z.unknown().optional(),
        buttons: z.array(z.object({ name: z.string().optional(), link: z.string().optional() }).strict()).optional(),
        "custom-css": z.string().optional(),
        "dark-mode": z.boolean().optional(),
        "default-sort-by": z.string().optional(),
        "default-filter-by": z.string().optional(),
        "login-subtitle": z.string().optional(),
      })
      .strict()
      .optional(),
    maintenance: z.unknown().optional(),
    remote: z.unknown().optional(),
    connectivity: z.unknown().optional(),
    tunneling: z.unknown().optional(),
    announcements: z.array(z.unknown()).optional(),
  })
  .strict();

/** What Gatus does to the file's text before parsing it: `$$` stays a literal `$`, `${NAME}` is the environment's. */
export function expandLikeGatus(text: string, env: Readonly<Record<string, string>>): string {
  const MARK = "__GATUS_LITERAL_DOLLAR_SIGN__";
  return text
    .replaceAll("$$", MARK)
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => env[a ?? b] ?? "")
    .replaceAll(MARK, "$");
}

function goDurationMs(d: string): number {
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * unit[m[2]];
  return ms;
}
