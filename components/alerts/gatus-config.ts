/**
 * Gatus's configuration (config.yaml), rendered from the stack spec: which endpoints it checks
 * (HTTP status, TLS and certificate expiry, the mail server's STARTTLS), where it sends alerts
 * (mail through the co-op's own mail server; optionally Matrix and a webhook) and whether it
 * serves the status page. Pure: the same arguments render the same text, and the text is in the
 * governed view (the container's upload), so every check and every recipient is approved.
 *
 * Secrets are never in the text: Gatus expands `${NAME}` from its environment when it reads the
 * file (config/config.go, parseAndValidateConfigBytes, os.ExpandEnv), so the file names the
 * variables and the container's environment carries the values, each a Pulumi secret. Because
 * Gatus expands every `$`, a literal one is written `$$` (Gatus turns it back into `$`).
 *
 * Keys follow Gatus's config structs at the release the image pins (components/shared/images.ts
 * GATUS_IMAGE); test/oracles/gatus-config.ts mirrors them and validates every rendering.
 */
import { stringify } from "yaml";

/** Where the container reads the file (GATUS_CONFIG_PATH). */
export const GATUS_CONFIG_PATH = "/config/config.yaml";
/** Gatus's web server port (config/web/web.go DefaultPort). */
export const GATUS_PORT = 8080;

/** The environment variables the file refers to; the container sets them from secrets. */
export const GATUS_ENV = {
  smtpPassword: "COOP_SMTP_PASSWORD",
  matrixToken: "COOP_MATRIX_TOKEN",
  webhookUrl: "COOP_WEBHOOK_URL",
} as const;

export type GatusCheck =
  | {
      /** An HTTPS address: status 200 and a certificate valid for longer than the threshold. */
      readonly kind: "https";
      readonly name: string;
      readonly group: string;
      readonly url: string;
    }
  | {
      /** A mail server's submission port: STARTTLS works and its certificate is not about to expire. */
      readonly kind: "starttls";
      readonly name: string;
      readonly group: string;
      readonly host: string;
      readonly port: number;
    };

export interface GatusConfigArgs {
  /** Shown on the status page and in alert descriptions. */
  readonly coopName: string;
  readonly checks: readonly GatusCheck[];
  /** Alert when a certificate expires within this many days. */
  readonly certificateDays: number;
  readonly email: {
    readonly host: string;
    readonly port: number;
    /** The alerts account: sender and SMTP login. */
    readonly from: string;
    readonly to: readonly string[];
  };
  readonly matrix?: { readonly homeserverUrl: string; readonly roomId: string };
  readonly webhook: boolean;
  /** Serve the status page (through the proxy); otherwise the web server still answers on the container's network only. */
  readonly statusPage: boolean;
}

/** Checks run every minute; an alert needs 3 failures in a row, a resolution 2 successes (Gatus's defaults, written out). */
export const CHECK_INTERVAL = "1m";
export const FAILURE_THRESHOLD = 3;
export const SUCCESS_THRESHOLD = 2;
/** A still-failing check reminds the admins twice a day, not every minute. */
export const REMINDER_INTERVAL = "12h";

/** Name and group: Gatus refuses `"` and `\` (config/endpoint/common.go); we also keep them on one line. */
const LABEL = /^[^"\\\r\n]{1,100}$/;
const HOST = /^[a-z0-9.-]+$/;
const ADDRESS = /^[A-Za-z0-9._%+-]+@[a-z0-9.-]+$/;

/** The webhook's JSON body: Gatus replaces the bracketed placeholders (alerting/provider/custom/custom.go). */
export const WEBHOOK_BODY = JSON.stringify({
  text: "[ALERT_TRIGGERED_OR_RESOLVED]: [ENDPOINT_GROUP]/[ENDPOINT_NAME] ([ENDPOINT_URL]): [ALERT_DESCRIPTION] [RESULT_ERRORS]",
});

export function renderGatusConfig(a: GatusConfigArgs): string {
  validate(a);
  const alertTypes = ["email", ...(a.matrix ? ["matrix"] : []), ...(a.webhook ? ["custom"] : [])];
  const hours = a.certificateDays * 24;
  const names = new Set<string>();
  const endpoints = a.checks.map((c) => {
    const key = `${c.group}/${c.name}`;
    if (names.has(key)) throw new Error(`renderGatusConfig: two checks are named ${key}`);
    names.add(key);
    const description = `${a.coopName}: ${c.group}/${c.name} is failing`;
    const common = {
      name: c.name,
      group: c.group,
      interval: CHECK_INTERVAL,
      alerts: alertTypes.map((type) => ({
        type,
        "failure-threshold": FAILURE_THRESHOLD,
        "success-threshold": SUCCESS_THRESHOLD,
        "minimum-reminder-interval": REMINDER_INTERVAL,
        "send-on-resolved": true,
        description,
      })),
    };
    return c.kind === "https"
      ? { ...common, url: c.url, conditions: ["[STATUS] == 200", `[CERTIFICATE_EXPIRATION] > ${hours}h`] }
      : { ...common, url: `starttls://${c.host}:${c.port}`, conditions: ["[CONNECTED] == true", `[CERTIFICATE_EXPIRATION] > ${hours}h`] };
  });

  const alerting: Record<string, unknown> = {
    email: {
      from: a.email.from,
      username: a.email.from,
      password: env(GATUS_ENV.smtpPassword),
      host: a.email.host,
      port: a.email.port,
      to: a.email.to.join(","),
    },
  };
  if (a.matrix) {
    alerting.matrix = {
      "server-url": a.matrix.homeserverUrl,
      "access-token": env(GATUS_ENV.matrixToken),
      "internal-room-id": a.matrix.roomId,
    };
  }
  if (a.webhook) {
    alerting.custom = {
      url: env(GATUS_ENV.webhookUrl),
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: WEBHOOK_BODY,
    };
  }

  const config = {
    // Results are kept in memory: a restart forgets the history, never an alert's cause.
    storage: { type: "memory" },
    web: { port: GATUS_PORT },
    ui: {
      title: `${a.coopName}: status`,
      header: `${a.coopName}: status of its services`,
      description: a.statusPage ? `Whether ${a.coopName}'s services answer, checked every minute.` : "Internal checks.",
    },
    alerting,
    endpoints,
  };
  return `# Rendered by coop-infra from the stack spec (alerts); changes made here are overwritten.\n${stringify(escapeDollars(config), { lineWidth: 0 })}`;
}

/** A reference to an environment variable, expanded by Gatus; never escaped. */
class EnvRef {
  constructor(readonly name: string) {}
}
function env(name: string): EnvRef {
  return new EnvRef(name);
}

function escapeDollars(v: unknown): unknown {
  if (v instanceof EnvRef) return `\${${v.name}}`;
  if (typeof v === "string") return v.replace(/\$/g, "$$$$");
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}

function validate(a: GatusConfigArgs): void {
  if (a.checks.length === 0) throw new Error("renderGatusConfig: Gatus refuses a configuration without endpoints");
  if (!Number.isInteger(a.certificateDays) || a.certificateDays < 1) throw new Error("renderGatusConfig: certificateDays must be ≥ 1");
  if (!LABEL.test(a.coopName)) throw new Error("renderGatusConfig: the co-op's name must be one line without \" or \\");
  if (!HOST.test(a.email.host) || !Number.isInteger(a.email.port) || a.email.port < 1 || a.email.port > 65535)
    throw new Error("renderGatusConfig: the mail server needs a host name and a port 1 … 65535");
  for (const x of [a.email.from, ...a.email.to]) if (!ADDRESS.test(x)) throw new Error(`renderGatusConfig: '${x}' is not a mail address`);
  if (a.email.to.length === 0) throw new Error("renderGatusConfig: alerts need at least one recipient");
  for (const c of a.checks) {
    if (!LABEL.test(c.name) || !LABEL.test(c.group))
      throw new Error(`renderGatusConfig: check '${c.name}': name and group must be one line without " or \\`);
    if (c.kind === "https" && !/^https:\/\/\S+$/.test(c.url))
      throw new Error(`renderGatusConfig: check '${c.name}': '${c.url}' is not an https address`);
    if (c.kind === "starttls" && !HOST.test(c.host))
      throw new Error(`renderGatusConfig: check '${c.name}': '${c.host}' is not a host name`);
  }
}
