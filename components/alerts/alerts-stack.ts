/**
 * How the alerts fit into a stack: Gatus's configuration and the host's scripts and units, from
 * the spec (pure), and the Alerts component declared from them with the stack's alerts account.
 */
import type { StackSecrets } from "../../stacks/config";
import { alertRecipients, serviceFqdn, type StackSpec } from "../../stacks/schema";
import type { HostFile } from "../backup/install";
import { BACKUP_LAYOUT } from "../backup/backup";
import { DATA_DIR } from "../host/cloud-init";
import { mailContainerName, SUBMISSION_PORT } from "../mail/mail";
import { dockerName } from "../shared/datastores";
import type { DockerHostRef, SmtpSender, WebRoute } from "../shared/interfaces";
import { Alerts, type AlertsArgs, gatusUpstream } from "./alerts";
import { gatusChecks, statusPageFqdn } from "./checks";
import { renderGatusConfig } from "./gatus-config";
import { ALERT_LAYOUT, renderAlertScript, renderAlertService, renderCheckScript, renderCheckService, renderCheckTimer } from "./units";

/** The alerts account on the co-op's mail server: sender and SMTP login. */
export function alertsAddress(spec: Pick<StackSpec, "domain">): string {
  return `alerts@${spec.domain}`;
}

export function gatusConfigFromSpec(spec: StackSpec): string {
  const a = spec.alerts;
  return renderGatusConfig({
    coopName: spec.coop.name.replace(/["\\\r\n]/g, ""),
    checks: gatusChecks(spec),
    certificateDays: a.thresholds.certificateDays,
    email: { host: serviceFqdn(spec, "mail"), port: SUBMISSION_PORT, from: alertsAddress(spec), to: alertRecipients(spec) },
    matrix: a.matrix ?? undefined,
    webhook: a.webhook,
    statusPage: a.statusPage.enabled,
  });
}

/** Every file the alerts put on the host, rendered. */
export function alertHostFiles(spec: StackSpec, host: Pick<DockerHostRef, "namePrefix">): HostFile[] {
  const L = ALERT_LAYOUT;
  const t = spec.alerts.thresholds;
  return [
    {
      path: L.alertScript,
      mode: "0755",
      content: renderAlertScript({
        hostLabel: host.namePrefix,
        coopName: spec.coop.name,
        mailHost: serviceFqdn(spec, "mail"),
        mailPort: SUBMISSION_PORT,
        from: alertsAddress(spec),
        recipients: alertRecipients(spec),
        stateDir: L.stateDir,
        credentialsFile: L.credentialsFile,
      }),
    },
    {
      path: L.checkScript,
      mode: "0755",
      content: renderCheckScript({
        hostLabel: host.namePrefix,
        alertScript: L.alertScript,
        stateDir: L.stateDir,
        dataDir: DATA_DIR,
        backupStateDir: spec.backups.enabled ? BACKUP_LAYOUT.paths.stateDir : undefined,
        containerPrefix: `${host.namePrefix}-`,
        mailContainer: spec.services.mail.enabled ? mailContainerName(host) : undefined,
        nextcloudContainer: spec.services.nextcloud.enabled ? dockerName(host, "nextcloud", "app") : undefined,
        thresholds: {
          dataVolumePercent: t.dataVolumePercent,
          rootDiskPercent: t.rootDiskPercent,
          backupMaxAgeHours: t.backupMaxAgeHours,
          mailQueueSize: t.mailQueueSize,
          nextcloudMaintenanceMinutes: t.nextcloudMaintenanceMinutes,
        },
      }),
    },
    { path: L.alertService, mode: "0644", content: renderAlertService(L.alertScript) },
    { path: L.checkService, mode: "0644", content: renderCheckService({ checkScript: L.checkScript, dataDir: DATA_DIR }) },
    { path: L.checkTimer, mode: "0644", content: renderCheckTimer() },
  ];
}

/** The status page's route through the proxy, when the spec asks for one. */
export function statusPageRoute(spec: StackSpec, host: Pick<DockerHostRef, "namePrefix">): WebRoute | undefined {
  const hostname = statusPageFqdn(spec);
  if (!hostname) return undefined;
  // The container name is fixed, so the route is plain data like the services' routes.
  return { kind: "proxy", hostname, upstream: gatusUpstream(host) };
}

export interface AlertsSection {
  readonly host: DockerHostRef;
  readonly ssh: AlertsArgs["ssh"];
  readonly serverId: AlertsArgs["serverId"];
  readonly proxyNetwork: AlertsArgs["proxyNetwork"];
  /** The alerts account (this stack's mail server, or the mail stack's). */
  readonly smtp: SmtpSender | undefined;
  readonly secrets: StackSecrets;
}

export function declareAlerts(spec: StackSpec, s: AlertsSection): Alerts | undefined {
  if (!spec.alerts.enabled) return undefined;
  if (!s.smtp) throw new Error("internal: alerts are enabled but the mail section made no alerts account");
  return new Alerts("alerts", {
    host: s.host,
    ssh: s.ssh,
    serverId: s.serverId,
    gatusConfig: gatusConfigFromSpec(spec),
    hostFiles: alertHostFiles(spec, s.host),
    smtp: s.smtp,
    proxyNetwork: s.proxyNetwork,
    matrixToken: spec.alerts.matrix ? required(s.secrets.alertsMatrixToken, "alertsMatrixToken") : undefined,
    webhookUrl: spec.alerts.webhook ? required(s.secrets.alertsWebhookUrl, "alertsWebhookUrl") : undefined,
  });
}

function required<T>(v: T | undefined, key: string): T {
  // readStackSecrets already failed with a config hint if the key is missing.
  if (v === undefined) throw new Error(`internal: the secret ${key} was not read from the stack's config`);
  return v;
}
