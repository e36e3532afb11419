/**
 * The host side of the alerts: the scripts' settings and the systemd units that run them. Pure
 * renderers; the scripts themselves are components/alerts/alert.sh and check.sh.
 *
 * - coop-alert@.service: a template; `OnFailure=coop-alert@%n.service` on a unit starts it with
 *   that unit's name when the unit fails (systemd.unit(5), OnFailure=; %n is the unit's full
 *   name), and it mails the admins the unit's state and last journal lines.
 * - coop-check.service and .timer: every 10 minutes, the checks nothing would otherwise notice
 *   (a backup that stopped running, full disks, crashing containers, the mail queue, Nextcloud
 *   left in maintenance mode). The check itself has OnFailure= too: a broken check is an alert.
 */
import { renderScript, shq } from "../shared/assets";

/** Where everything lives on the host. */
export const ALERT_LAYOUT = {
  alertScript: "/usr/local/sbin/coop-alert",
  checkScript: "/usr/local/sbin/coop-check",
  alertService: "/etc/systemd/system/coop-alert@.service",
  checkService: "/etc/systemd/system/coop-check.service",
  checkTimer: "/etc/systemd/system/coop-check.timer",
  /** Root-only: the alerts account's login for curl (--config). */
  configDir: "/etc/coop-alert",
  credentialsFile: "/etc/coop-alert/smtp-login",
  /** Which causes were mailed on which day, the check's clocks and counters. */
  stateDir: "/var/lib/coop-alert",
} as const;

/** The line a unit's [Unit] section gets so that its failure mails the admins. */
export const ON_FAILURE = "OnFailure=coop-alert@%n.service";

export interface AlertScriptArgs {
  /** Shown in every subject: which co-op and stack, e.g. example-coop-prod. */
  readonly hostLabel: string;
  readonly coopName: string;
  readonly mailHost: string;
  readonly mailPort: number;
  /** The alerts account, e.g. alerts@example.coop: sender and SMTP login. */
  readonly from: string;
  readonly recipients: readonly string[];
  readonly stateDir: string;
  readonly credentialsFile: string;
  /** A CA bundle to trust instead of the system's (tests only; "" on the host). */
  readonly caFile?: string;
  readonly sendTimeoutSeconds?: number;
}

const ADDRESS = /^[A-Za-z0-9._%+-]+@[a-z0-9.-]+$/;
const HOST = /^[a-z0-9.-]+$/;

export function renderAlertScript(a: AlertScriptArgs): string {
  if (!HOST.test(a.mailHost)) throw new Error(`'${a.mailHost}' is not a mail host name`);
  if (!Number.isInteger(a.mailPort) || a.mailPort < 1 || a.mailPort > 65535) throw new Error("mailPort must be 1 … 65535");
  if (a.recipients.length === 0) throw new Error("alerts need at least one recipient");
  for (const x of [a.from, ...a.recipients]) if (!ADDRESS.test(x)) throw new Error(`'${x}' is not a mail address`);
  if (/[\r\n]/.test(a.coopName + a.hostLabel)) throw new Error("the co-op's name and the host label must be one line");
  return renderScript("alerts/alert.sh", [
    "# Rendered by coop-infra from the stack spec (alerts).",
    `readonly HOST_LABEL=${shq(a.hostLabel)}`,
    `readonly FROM_NAME=${shq(`${a.coopName} alerts`.replace(/["<>\\]/g, ""))}`,
    `readonly FROM=${shq(a.from)}`,
    `readonly -a RECIPIENTS=(${a.recipients.map(shq).join(" ")})`,
    `readonly MAIL_HOST=${shq(a.mailHost)}`,
    `readonly MAIL_PORT=${a.mailPort}`,
    `readonly STATE_DIR=${shq(a.stateDir)}`,
    `readonly CREDENTIALS_FILE=${shq(a.credentialsFile)}`,
    `readonly CA_FILE=${shq(a.caFile ?? "")}`,
    `readonly SEND_TIMEOUT=${a.sendTimeoutSeconds ?? 60}`,
  ]);
}

export interface CheckScriptArgs {
  readonly hostLabel: string;
  readonly alertScript: string;
  readonly stateDir: string;
  readonly dataDir: string;
  /** Where the backup records its last success; absent without backups. */
  readonly backupStateDir?: string;
  /** Containers of this stack: their names start with it (e.g. "example-coop-prod-"). */
  readonly containerPrefix: string;
  readonly mailContainer?: string;
  readonly nextcloudContainer?: string;
  readonly thresholds: {
    readonly dataVolumePercent: number;
    readonly rootDiskPercent: number;
    readonly backupMaxAgeHours: number;
    readonly mailQueueSize: number;
    readonly nextcloudMaintenanceMinutes: number;
  };
}

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export function renderCheckScript(a: CheckScriptArgs): string {
  for (const [k, v] of Object.entries(a.thresholds))
    if (!Number.isInteger(v) || v < 1) throw new Error(`thresholds.${k} must be a whole number ≥ 1`);
  for (const c of [a.mailContainer, a.nextcloudContainer])
    if (c !== undefined && !DOCKER_NAME.test(c)) throw new Error(`'${c}' is not a container name`);
  if (!/^[a-z0-9][a-z0-9-]*-$/.test(a.containerPrefix)) throw new Error("containerPrefix must be a name prefix ending in '-'");
  const t = a.thresholds;
  return renderScript("alerts/check.sh", [
    "# Rendered by coop-infra from the stack spec (alerts.thresholds).",
    `readonly HOST_LABEL=${shq(a.hostLabel)}`,
    `readonly ALERT=${shq(a.alertScript)}`,
    `readonly STATE_DIR=${shq(a.stateDir)}`,
    `readonly DATA_DIR=${shq(a.dataDir)}`,
    `readonly DATA_PERCENT=${t.dataVolumePercent}`,
    `readonly ROOT_PERCENT=${t.rootDiskPercent}`,
    `readonly BACKUP_STATE_DIR=${shq(a.backupStateDir ?? "")}`,
    `readonly BACKUP_MAX_AGE_HOURS=${t.backupMaxAgeHours}`,
    `readonly CONTAINER_PREFIX=${shq(a.containerPrefix)}`,
    `readonly MAIL_CONTAINER=${shq(a.mailContainer ?? "")}`,
    `readonly MAIL_QUEUE_MAX=${t.mailQueueSize}`,
    `readonly NEXTCLOUD_CONTAINER=${shq(a.nextcloudContainer ?? "")}`,
    `readonly MAINTENANCE_MINUTES=${t.nextcloudMaintenanceMinutes}`,
  ]);
}

export function renderAlertService(alertScript: string): string {
  return `# Rendered by coop-infra. Started by OnFailure=coop-alert@%n.service of a unit that failed;
# by hand: sudo systemctl start coop-alert@coop-backup.service.service
[Unit]
Description=Mail the co-op's admins that %i failed
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=${alertScript} unit-failed %i
SyslogIdentifier=coop-alert
PrivateTmp=true
ProtectSystem=full
StateDirectory=${lastSegment(ALERT_LAYOUT.stateDir, "/var/lib/")}
TimeoutStartSec=5min
`;
}

export function renderCheckService(a: { checkScript: string; dataDir: string }): string {
  return `# Rendered by coop-infra. Run by coop-check.timer; by hand: sudo systemctl start coop-check.service
[Unit]
Description=Look for what is wrong on the co-op's host and mail the admins
After=docker.service network-online.target
Wants=network-online.target
RequiresMountsFor=${a.dataDir}
${ON_FAILURE}

[Service]
Type=oneshot
ExecStart=${a.checkScript}
SyslogIdentifier=coop-check
Nice=10
PrivateTmp=true
ProtectSystem=full
StateDirectory=${lastSegment(ALERT_LAYOUT.stateDir, "/var/lib/")}
TimeoutStartSec=10min
`;
}

export function renderCheckTimer(): string {
  return `# Rendered by coop-infra.
[Unit]
Description=Check the co-op's host every 10 minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec=10min
RandomizedDelaySec=1min

[Install]
WantedBy=timers.target
`;
}

function lastSegment(path: string, base: string): string {
  if (!path.startsWith(base) || path.slice(base.length).includes("/")) throw new Error(`${path} must be directly under ${base}`);
  return path.slice(base.length);
}
