#!/bin/bash
# coop-backup: saves the co-op's services to the restic repository on the Storage Box.
# Installed by coop-infra: components/backup/backup.sh, with the settings below rendered from
# the stack spec and the services' backup sources. Changes made here are overwritten by the
# next `pulumi up`: change the spec instead.
#
# Runs every night from coop-backup.timer. Exit status 0: everything was saved. 1: something
# was not; the journal says what (journalctl -u coop-backup).
#
# Why it is shaped the way it is:
# - Postgres dumps are streamed into restic (no copy on the data volume). restic stores whatever
#   it reads, so a dump that died half-way would be saved as if it were whole: every exit status
#   of the pipe is checked, and that pg_dump's closing line went by, and the snapshot restic made
#   of a cut-off stream is forgotten.
# - Each Postgres container's roles (pg_dumpall --globals-only, with password hashes) are saved
#   beside its databases: the dumps name owners they do not create (Nextcloud's installer makes
#   its own role). This works with every restic since 0.14; `--stdin-from-command` (0.17+) would
#   only replace the exit-status half of it.
# - One service's failure does not stop the others, and the run still exits non-zero. Retention
#   is skipped after a failure, so old snapshots are not thinned out while new ones are missing.
# - A service's "after" commands (e.g. Nextcloud maintenance mode off) run exactly once, whether
#   its copy worked, failed, or the script was stopped (systemd timeout, shutdown).
set -euo pipefail
umask 077
export LC_ALL=C

# @coop-infra-settings

RUN_TAG="run:$(date -u +%Y%m%dT%H%M%SZ)"
readonly RUN_TAG
failures=0
# The "after" function of the service whose copy is under way, if any (see finish_service).
pending_after=""

fail() {
  err "$*"
  failures=$((failures + 1))
}

# Ends the current service's consistency window (its "after" commands), exactly once.
finish_service() {
  local after=$pending_after
  pending_after=""
  if [ -z "$after" ]; then
    return 0
  fi
  "$after"
}

# Also runs when systemd stops the script (timeout, shutdown): a service must never be left
# in maintenance mode because its backup was interrupted.
on_exit() {
  local status=$?
  if [ -n "$pending_after" ]; then
    if ! finish_service; then
      err "the commands after an interrupted copy failed: check the service now"
      status=1
    fi
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# The functions below are called as `f … || fail …`, where bash suspends `set -e` inside
# them; so every step checks its own result.

# require_complete_dump TRAILER: passes a dump through and fails unless its closing line
# (pg_dump's or pg_dumpall's) came at the very end.
require_complete_dump() {
  awk -v trailer="$1" '{ print } $0 == trailer { at = NR } END { exit (at > 0 && NR - at <= 8) ? 0 : 1 }'
}

# save_stream SERVICE NAME WHAT TRAILER PROGRAM COMMAND…: streams what COMMAND prints into the
# repository as /NAME, and keeps it only if every stage exited 0 and TRAILER came at the end.
# PROGRAM names the dumping program in messages.
save_stream() {
  local service=$1 name=$2 what=$3 trailer=$4 program=$5
  shift 5
  local summary id
  local -a status
  summary=$(mktemp) || return 1
  "$@" \
    | require_complete_dump "$trailer" \
    | rst backup --stdin --stdin-filename "$name" --host "$BACKUP_HOST" \
        --tag coop --tag "service:${service}" --tag "$RUN_TAG" --json --quiet >"$summary"
  status=("${PIPESTATUS[@]}")
  id=$(sed -n 's/.*"snapshot_id":"\([0-9a-f]*\)".*/\1/p' "$summary" | tail -n 1)
  rm -f "$summary"
  if [ "${status[*]}" = "0 0 0" ] && [ -n "$id" ]; then
    log "${service}: ${what} saved (snapshot ${id})"
    return 0
  fi
  err "${service}: ${what} was not saved (${program} exit ${status[0]}, complete dump check ${status[1]}, restic exit ${status[2]})"
  if [ -n "$id" ]; then
    if rst forget "$id" >/dev/null; then
      log "${service}: removed snapshot ${id}, which holds the incomplete dump"
    else
      err "${service}: could not remove snapshot ${id}, which holds an incomplete dump; remove it with: sudo coop-restore restic forget ${id}"
    fi
  fi
  return 1
}

# dump_globals SERVICE CONTAINER USER: streams the Postgres cluster's roles (with their password
# hashes) into the repository. A database dump names its tables' owners but does not create
# them: Nextcloud's installer creates its own role (oc_<admin>, whose password is in config.php),
# so without this a dump would not load and a rebuilt host could not log in to its database.
dump_globals() {
  local service=$1 container=$2 user=$3
  save_stream "$service" "$(globals_name "$service" "$container")" "the roles of ${container}" "$CLUSTER_TRAILER" pg_dumpall \
    docker exec "$container" pg_dumpall --username="$user" --no-password --globals-only
}

# dump_database SERVICE CONTAINER DATABASE USER: streams one database into the repository.
dump_database() {
  local service=$1 container=$2 database=$3 user=$4
  save_stream "$service" "$(dump_name "$service" "$database")" "database ${database}" "$DUMP_TRAILER" pg_dump \
    docker exec "$container" pg_dump --username="$user" --no-password --clean --if-exists "$database"
}

# save_volumes SERVICE VOLUME…: copies a service's Docker volumes into one snapshot.
save_volumes() {
  local service=$1
  shift
  local volume dir
  local -a dirs=()
  for volume in "$@"; do
    dir=$(volume_dir "$volume")
    if [ ! -d "$dir" ]; then
      err "${service}: volume ${volume} does not exist (no ${dir})"
      return 1
    fi
    dirs+=("$dir")
  done
  if ! rst backup --host "$BACKUP_HOST" --tag coop --tag "service:${service}" --tag "$RUN_TAG" \
      --one-file-system --quiet "${dirs[@]}"; then
    err "${service}: restic could not save every file of its volumes (exit 3 means some files were unreadable; the snapshot is kept)"
    return 1
  fi
  log "${service}: volumes saved: $*"
}

# backup_service SERVICE: its roles, databases and volumes, inside its consistency window.
backup_service() {
  local service=$1 line container database user
  local -a window clusters databases volumes
  mapfile -t window < <(window_of "$service")
  mapfile -t clusters < <(clusters_of "$service")
  mapfile -t databases < <(databases_of "$service")
  mapfile -t volumes < <(volumes_of "$service")
  log "${service}: starting"
  if [ ${#window[@]} -eq 2 ]; then
    pending_after=${window[1]}
    if ! "${window[0]}"; then
      fail "${service}: the commands before the copy failed, so its data was not saved tonight"
      finish_service || fail "${service}: the commands after the copy failed too: check the service now"
      return 0
    fi
  fi
  for line in "${clusters[@]}"; do
    read -r container user <<<"$line"
    dump_globals "$service" "$container" "$user" || fail "${service}: the roles of ${container} not saved (/$(globals_name "$service" "$container"))"
  done
  for line in "${databases[@]}"; do
    read -r container database user <<<"$line"
    dump_database "$service" "$container" "$database" "$user" || fail "${service}: database ${database} not saved (/$(dump_name "$service" "$database"))"
  done
  if [ ${#volumes[@]} -gt 0 ]; then
    save_volumes "$service" "${volumes[@]}" || fail "${service}: volumes not saved"
  fi
  if [ ${#window[@]} -eq 2 ]; then
    finish_service || fail "${service}: the commands after the copy failed: check the service now (e.g. maintenance mode)"
  fi
}

open_repository() {
  if ! rst cat config >/dev/null 2>&1; then
    # init refuses to overwrite an existing repository, so a network error cannot destroy one.
    log "no restic repository at ${RESTIC_REPOSITORY} yet: creating it"
    rst init || return 1
  fi
  # Removes only locks left by runs that no longer exist (a crash, a reboot).
  rst unlock || err "could not remove stale locks; continuing"
}

apply_retention() {
  rst forget --host "$BACKUP_HOST" --tag coop --group-by host,paths --compact \
    --keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" --prune
}

check_repository() {
  local week part
  week=$(date +%V)
  part=$(( 10#$week % CHECK_DATA_PARTS + 1 ))
  log "weekly check of the repository, reading stored data part ${part}/${CHECK_DATA_PARTS}"
  rst check --read-data-subset="${part}/${CHECK_DATA_PARTS}"
}

record_status() {
  mkdir -p "$STATE_DIR"
  date -u +%Y-%m-%dT%H:%M:%SZ >"${STATE_DIR}/last-$1"
}

main() {
  local service
  log "backup of ${BACKUP_HOST} to ${RESTIC_REPOSITORY} starting (${RUN_TAG})"
  if ! open_repository; then
    fail "the restic repository cannot be opened: nothing was saved"
    record_status failure
    exit 1
  fi
  for service in "${SERVICES[@]}"; do
    backup_service "$service"
  done
  if [ "$failures" -eq 0 ]; then
    apply_retention || fail "retention (restic forget --prune) failed"
  else
    err "retention skipped: old snapshots are kept until a backup succeeds again"
  fi
  if [ "$(date +%u)" = "$CHECK_WEEKDAY" ]; then
    check_repository || fail "the weekly repository check found problems: run 'sudo coop-restore restic check' and read docs/runbook/restore-from-backup.md"
  fi
  if [ "$failures" -gt 0 ]; then
    record_status failure
    err "backup finished with ${failures} problem(s): see the messages above"
    exit 1
  fi
  record_status success
  log "backup finished: everything was saved"
}

main "$@"
