/**
 * The systemd units that run the backup every night, and the login banner that tells an admin
 * when it failed. Pure renderers.
 *
 * How a failure gets noticed: the script exits non-zero, so the unit is "failed" in
 * `systemctl status coop-backup` and `systemctl --failed`; its error lines are in the journal at
 * priority err (`journalctl -u coop-backup -p err`); and every admin who logs in sees the
 * banner below until a backup succeeds again. A run that never happens (timer stopped, host
 * off) shows up in the banner too, as "no successful backup since …".
 */

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
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function renderBackupService(a: BackupUnitsArgs): string {
  return `# Rendered by coop-infra. Run by coop-backup.timer; start it by hand with
#   sudo systemctl start coop-backup.service   (then: journalctl -u coop-backup -f)
[Unit]
Description=Back up the co-op's services to the Storage Box (restic)
Wants=network-online.target
After=network-online.target docker.service
RequiresMountsFor=${a.dataDir}

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
  return `#!/bin/bash
# Rendered by coop-infra: the state of the backups, at every login.
state=${a.stateDir}
now=$(date +%s)

stamp() {
  if [ -s "\${state}/$1" ]; then
    head -n 1 "\${state}/$1"
  fi
}

age_hours() {
  local seconds
  seconds=$(date -d "$1" +%s 2>/dev/null) || { echo 999999; return; }
  echo $(( (now - seconds) / 3600 ))
}

success=$(stamp last-success)
failure=$(stamp last-failure)
drill=$(stamp last-drill)

if [ -n "$failure" ] && [[ "$failure" > "$success" ]]; then
  echo "!!! The last backup FAILED (\${failure}). Read: journalctl -u coop-backup -p err"
fi
if [ -z "$success" ]; then
  echo "!!! No backup has succeeded yet on this host. Start one: sudo systemctl start coop-backup"
elif [ "$(age_hours "$success")" -ge ${a.staleHours} ]; then
  echo "!!! No successful backup since \${success}. Check: systemctl status coop-backup.timer coop-backup"
fi
if [ -z "$drill" ] || [ "$(age_hours "$drill")" -ge ${a.drillDays * 24} ]; then
  echo "Restore drill due (last: \${drill:-never}): sudo coop-restore drill, see docs/runbook/restore-from-backup.md"
fi
exit 0
`;
}

function lastSegment(path: string, base: string): string {
  if (!path.startsWith(base) || path.length === base.length || path.slice(base.length).includes("/")) {
    throw new Error(`${path} must be a directory directly under ${base} (systemd manages it)`);
  }
  return path.slice(base.length);
}
