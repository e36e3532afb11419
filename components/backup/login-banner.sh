#!/bin/bash
# The state of the backups, shown by Debian's pam_motd at every SSH login
# (/etc/update-motd.d/90-coop-backup). Installed by coop-infra: components/backup/login-banner.sh,
# with the settings below rendered from the stack spec.

# @coop-infra-settings

now=$(date +%s)

stamp() {
  if [ -s "${STATE_DIR}/$1" ]; then
    head -n 1 "${STATE_DIR}/$1"
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
  echo "!!! The last backup FAILED (${failure}). Read: journalctl -u coop-backup -p err"
fi
if [ -z "$success" ]; then
  echo "!!! No backup has succeeded yet on this host. Start one: sudo systemctl start coop-backup"
elif [ "$(age_hours "$success")" -ge "$STALE_HOURS" ]; then
  echo "!!! No successful backup since ${success}. Check: systemctl status coop-backup.timer coop-backup"
fi
if [ -z "$drill" ] || [ "$(age_hours "$drill")" -ge "$DRILL_HOURS" ]; then
  echo "Restore drill due (last: ${drill:-never}): sudo coop-restore drill, see docs/runbook/restore-from-backup.md"
fi
exit 0
