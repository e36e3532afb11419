/**
 * The systemd units that run the backup every night, and the login banner that tells an admin
 * when it failed. Pure renderers.
 *
 * How a failure gets noticed: the script exits non-zero, so the unit is "failed" in
 * `systemctl status coop-backup` and `systemctl --failed`; its error lines are in the journal at
 * priority err (`journalctl -u coop-backup -p err`); and every admin who logs in sees the
 * banner below until a backup succeeds again. A run that never happens (timer stopped, host
 * off) shows up in the banner too, as "no successful backup since …". With alerts on, a failed
 * run also mails the admins (onFailure), and coop-check mails them about a run that never came.
 */
import { renderScript, shq } from "../shared/assets";

export interface BackupUnitsArgs {
  /** The backup script's path on the host. */
  readonly scriptPath: string;
  /** Daily start, "HH:MM" in the host's time zone (UTC on Hetzner images). */
  readonly time: string;
  /** Spreads the start so that many co-ops on one Storage Box host do not all start at once. */
  readonly randomizedDelayMinutes: number;
  /** Mount point of the data volume: the backup must not run before it is mounted. */
  readonly dataDir: string;
  /** Where ssh keeps the Storage Box's host key (it writes there on first contact). */
  readonly sshDir: string;
  readonly stateDir: string;
  readonly cacheDir: string;
  /**
   * A failed run (or weekly check, which runs inside it) also starts this, e.g. the alerts'
   * `OnFailure=coop-alert@%n.service` (components/alerts/units.ts): the admins get a mail.
   */
  readonly onFailure?: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function renderBackupService(a: BackupUnitsArgs): string {
  if (a.onFailure !== undefined && !/^OnFailure=[A-Za-z0-9@%._-]+$/.test(a.onFailure))
    throw new Error(`onFailure must be one OnFailure=<unit> line, got ${JSON.stringify(a.onFailure)}`);
  return `# Rendered by coop-infra. Run by coop-backup.timer; start it by hand with
#   sudo systemctl start coop-backup.service   (then: journalctl -u coop-backup -f)
[Unit]
Description=Back up the co-op's services to the Storage Box (restic)
Wants=network-online.target
After=network-online.target docker.service
RequiresMountsFor=${a.dataDir}
${a.onFailure ? `${a.onFailure}\n` : ""}
[Service]
Type=oneshot
ExecStart=${a.scriptPath}
SyslogIdentifier=coop-backup
# Give way to the services: members keep working while the backup runs.
Nice=10
IOSchedulingClass=best-effort
IOSchedulingPriority=7
# A stalled connection must end as a failure someone sees, not as a run that never ends and
# keeps the next night's run from starting.
TimeoutStartSec=20h
# Leaves time for the script to end maintenance windows after a stop request.
TimeoutStopSec=5min
PrivateTmp=true
ProtectSystem=full
# "-": a missing directory must not keep the unit from starting; restic then says what is wrong.
ReadWritePaths=-${a.sshDir}
StateDirectory=${lastSegment(a.stateDir, "/var/lib/")}
CacheDirectory=${lastSegment(a.cacheDir, "/var/cache/")}
`;
}

export function renderBackupTimer(a: BackupUnitsArgs): string {
  const m = TIME.exec(a.time);
  if (!m) throw new Error(`backup time '${a.time}' is not HH:MM`);
  if (!Number.isInteger(a.randomizedDelayMinutes) || a.randomizedDelayMinutes < 0 || a.randomizedDelayMinutes > 60) {
    throw new Error("randomizedDelayMinutes must be 0 … 60");
  }
  return `# Rendered by coop-infra from backups.time in the stack spec.
[Unit]
Description=Nightly backup of the co-op's services

[Timer]
OnCalendar=*-*-* ${m[1]}:${m[2]}:00
RandomizedDelaySec=${a.randomizedDelayMinutes}min
# A night missed while the host was off is made up for at the next boot.
Persistent=true

[Install]
WantedBy=timers.target
`;
}

export interface BannerArgs {
  readonly stateDir: string;
  /** Hours without a successful backup before the banner warns. */
  readonly staleHours: number;
  /** Days after which the banner reminds the admins to run a restore drill. */
  readonly drillDays: number;
}

/** /etc/update-motd.d/90-coop-backup: shown by Debian's pam_motd at every SSH login. */
export function renderLoginBanner(a: BannerArgs): string {
  for (const [k, v] of Object.entries({ staleHours: a.staleHours, drillDays: a.drillDays })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a whole number ≥ 1`);
  }
  return renderScript("backup/login-banner.sh", [
    `readonly STATE_DIR=${shq(a.stateDir)}`,
    `readonly STALE_HOURS=${a.staleHours}`,
    `readonly DRILL_HOURS=${a.drillDays * 24}`,
  ]);
}

function lastSegment(path: string, base: string): string {
  if (!path.startsWith(base) || path.length === base.length || path.slice(base.length).includes("/")) {
    throw new Error(`${path} must be a directory directly under ${base} (systemd manages it)`);
  }
  return path.slice(base.length);
}
