#!/bin/bash
# coop-check: looks for what goes wrong quietly on this host, and mails the admins through
# coop-alert (at most once per cause per day). Run every 10 minutes by coop-check.timer.
# Installed by coop-infra: components/alerts/check.sh, with the settings below rendered from the
# stack spec. Changes made here are overwritten by the next `pulumi up`: change the spec instead.
#
# What it checks (thresholds from alerts.thresholds in the spec):
# - the last successful backup is older than BACKUP_MAX_AGE_HOURS (a timer that stopped, a
#   host that was off: nothing fails, so OnFailure= alone would never tell);
# - the data volume or the root disk is fuller than its threshold;
# - a container of the stack is unhealthy, restarting, or restarted since the last run;
# - more than MAIL_QUEUE_MAX messages wait in the mail server's queue;
# - Nextcloud has been in maintenance mode for MAINTENANCE_MINUTES outside the nightly backup.
# Exit 0: every check ran (whatever it found). 1: a check could not run; coop-check.service
# then fails, and its OnFailure= says so.
set -euo pipefail
umask 077
export LC_ALL=C

# @coop-infra-settings

problems=0
broken=0

# alert CAUSE SUBJECT BODY: hands one finding to coop-alert.
alert() {
  problems=$((problems + 1))
  printf '%s\n\nFound by coop-check on %s at %s (UTC). This mail is sent at most once a day per cause.\n' \
    "$3" "$HOST_LABEL" "$(date -u '+%F %H:%M')" | "$ALERT" check "$1" "$2" || broken=$((broken + 1))
}

now() {
  date -u +%s
}

# used_percent PATH: how full the file system holding PATH is, in percent.
used_percent() {
  df --output=pcent -- "$1" | tail -n 1 | tr -dc '0-9'
}

check_disk() {
  local label=$1 path=$2 limit=$3 used
  if ! used=$(used_percent "$path") || [ -z "$used" ]; then
    printf 'cannot read the usage of %s\n' "$path" >&2
    return 1
  fi
  if [ "$used" -gt "$limit" ]; then
    alert "disk-${label}" "the ${label} is ${used}% full" \
      "The ${label} (${path}) is ${used}% full; the alert threshold is ${limit}%.
Find what grew: sudo du -xh --max-depth=2 ${path} | sort -h | tail.
For the data volume, grow host.volumeSizeGb in the stack spec (a proposal)."
  fi
}

check_backup() {
  local last since age limit=$((BACKUP_MAX_AGE_HOURS * 3600))
  [ -n "$BACKUP_STATE_DIR" ] || return 0
  # The first run on a new host starts the clock: no alert before a backup could have run.
  [ -f "${STATE_DIR}/installed" ] || now >"${STATE_DIR}/installed"
  if [ -s "${BACKUP_STATE_DIR}/last-success" ]; then
    last=$(date -u -d "$(cat "${BACKUP_STATE_DIR}/last-success")" +%s) || return 1
    age=$(($(now) - last))
    if [ "$age" -gt "$limit" ]; then
      alert backup-stale "no successful backup for $((age / 3600)) hours" \
        "The last successful backup finished at $(cat "${BACKUP_STATE_DIR}/last-success"), $((age / 3600)) hours ago (threshold: ${BACKUP_MAX_AGE_HOURS} hours).
Look at: systemctl status coop-backup.timer coop-backup.service; journalctl -u coop-backup -p err.
Start one by hand: sudo systemctl start coop-backup.service"
    fi
  else
    since=$(cat "${STATE_DIR}/installed")
    if [ $(($(now) - since)) -gt "$limit" ]; then
      alert backup-stale "no backup has succeeded yet" \
        "No backup has succeeded on this host in the ${BACKUP_MAX_AGE_HOURS} hours since the checks started.
Look at: systemctl status coop-backup.timer coop-backup.service; journalctl -u coop-backup -p err."
    fi
  fi
}

check_containers() {
  local name status health restarts before
  local -a names
  mapfile -t names < <(docker ps --all --filter "name=^${CONTAINER_PREFIX}" --format '{{.Names}}') || return 1
  [ ${#names[@]} -gt 0 ] || return 0
  mkdir -p "${STATE_DIR}/restarts"
  while IFS='|' read -r name status health restarts; do
    name=${name#/}
    if [ "$health" = "unhealthy" ]; then
      alert "container-unhealthy-${name}" "container ${name} is unhealthy" \
        "Docker reports the container ${name} as unhealthy: its health check fails.
Look at: docker inspect --format '{{json .State.Health}}' ${name}; docker logs --tail 100 ${name}"
    fi
    before=$(cat "${STATE_DIR}/restarts/${name}" 2>/dev/null || printf '%s' "$restarts")
    if [ "$status" = "restarting" ] || [ "$restarts" -gt "$before" ]; then
      alert "container-restarting-${name}" "container ${name} is restarting" \
        "The container ${name} is ${status} and has restarted ${restarts} times (${before} at the previous check): it keeps crashing.
Look at: docker logs --tail 100 ${name}"
    fi
    printf '%s\n' "$restarts" >"${STATE_DIR}/restarts/${name}"
  done < <(docker inspect --format '{{.Name}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.RestartCount}}' "${names[@]}")
}

check_mail_queue() {
  local out size
  [ -n "$MAIL_CONTAINER" ] || return 0
  out=$(docker exec "$MAIL_CONTAINER" postqueue -p) || return 1
  # postqueue -p ends with "-- N Kbytes in M Requests." or says "Mail queue is empty".
  size=$(printf '%s\n' "$out" | sed -n 's/^-- .* in \([0-9][0-9]*\) Requests\{0,1\}\.$/\1/p' | tail -n 1)
  size=${size:-0}
  if [ "$size" -gt "$MAIL_QUEUE_MAX" ]; then
    alert mail-queue "${size} messages wait in the mail queue" \
      "${size} messages wait in the mail server's queue (threshold: ${MAIL_QUEUE_MAX}): mail is not leaving.
Look at: docker exec ${MAIL_CONTAINER} postqueue -p; docker logs --tail 200 ${MAIL_CONTAINER}
Common causes: the relay refuses the login, or the destination blocks the co-op (docs/runbook/mail-deliverability.md)."
  fi
}

check_nextcloud() {
  local out since minutes
  [ -n "$NEXTCLOUD_CONTAINER" ] || return 0
  out=$(docker exec --user www-data "$NEXTCLOUD_CONTAINER" php occ status --output=json) || return 1
  # The nightly backup turns maintenance mode on while it copies Nextcloud: that is expected.
  # A oneshot unit is "activating" while it runs, which `systemctl is-active` does not count.
  if ! printf '%s' "$out" | grep -q '"maintenance":true' || [ "$(systemctl show -P ActiveState coop-backup.service)" = activating ]; then
    rm -f "${STATE_DIR}/maintenance-since"
    return 0
  fi
  [ -s "${STATE_DIR}/maintenance-since" ] || now >"${STATE_DIR}/maintenance-since"
  since=$(cat "${STATE_DIR}/maintenance-since")
  minutes=$((($(now) - since) / 60))
  if [ "$minutes" -ge "$MAINTENANCE_MINUTES" ]; then
    alert nextcloud-maintenance "Nextcloud has been in maintenance mode for ${minutes} minutes" \
      "Nextcloud has been in maintenance mode for ${minutes} minutes, outside the nightly backup: members cannot use it.
If no upgrade or restore is under way: docker exec --user www-data ${NEXTCLOUD_CONTAINER} php occ maintenance:mode --off"
  fi
}

main() {
  mkdir -p "$STATE_DIR"
  check_disk "data volume" "$DATA_DIR" "$DATA_PERCENT" || broken=$((broken + 1))
  check_disk "root disk" / "$ROOT_PERCENT" || broken=$((broken + 1))
  check_backup || broken=$((broken + 1))
  check_containers || broken=$((broken + 1))
  check_mail_queue || broken=$((broken + 1))
  check_nextcloud || broken=$((broken + 1))
  printf 'coop-check: %d problem(s) found, %d check(s) or alert(s) could not run\n' "$problems" "$broken"
  [ "$broken" -eq 0 ]
}

main "$@"
