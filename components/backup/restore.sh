#!/bin/bash
# coop-restore: gets the co-op's data back from the restic repository on the Storage Box: lists
# snapshots, restores a service's volumes or a database dump to a scratch location, runs the
# restore drill, and restores a service in place. Read docs/runbook/restore-from-backup.md first.
# Installed by coop-infra: components/backup/restore.sh, with the settings below rendered from
# the stack spec and the services' backup sources (the same as the backup script's), so it
# knows every service's volumes, databases and maintenance commands without anyone looking them
# up in the middle of an incident. Changes made here are overwritten by the next `pulumi up`.
#
# The in-place restore is ordered so that nothing live changes until everything needed has
# been fetched: first the snapshots are found, then the service is quiesced and stopped, the
# volumes are restored into a staging directory on the same file system, each Postgres
# container's roles and then its databases are loaded (each in one transaction), and only then
# are the volume directories swapped. The old data is kept beside the new, named
# *.before-restore-<time>, until an admin removes it.
set -euo pipefail
umask 077
export LC_ALL=C

# @coop-infra-settings

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
readonly STAMP

usage() {
  cat <<'USAGE'
usage: sudo coop-restore COMMAND …

  snapshots [SERVICE]                     list the snapshots (all, or one service's)
  files SERVICE DIR [--run RUN]           restore a service's volumes under DIR (nothing live changes)
  dump SERVICE DATABASE FILE [--run RUN]  write a database dump to FILE (nothing live changes)
  drill [SERVICE…]                        the restore drill: restore into scratch space, load each
                                          dump into a throw-away Postgres, compare with the live data
  service SERVICE [--run RUN] --yes       restore a service in place: stop it, restore its volumes and
                                          databases, start it again (the old data is kept beside)
  restic ARGS…                            run restic on the repository, e.g. restic check

RUN picks the night to restore, e.g. 20250301T033012Z (the run:… tag in `snapshots`);
without it, the latest snapshot is used.
USAGE
}

die() {
  err "$*"
  exit 1
}

require_service() {
  known "$1" || die "unknown service '$1'; the backup knows: $(services | tr '\n' ' ')"
}

require_access() {
  [ -r "$RESTIC_PASSWORD_FILE" ] || die "cannot read ${RESTIC_PASSWORD_FILE}: run this with sudo"
}

# The restic filter for a service's snapshots, optionally of one night's run.
filter_of() {
  local run=$2 tags="coop,service:$1"
  if [ -n "$run" ]; then
    tags="${tags},run:${run}"
  fi
  printf '%s\n' --host "$BACKUP_HOST" --tag "$tags"
}

# has_snapshot FILTER…: whether restic finds at least one snapshot for the filter.
has_snapshot() {
  local found
  found=$(rst snapshots --json --latest 1 "$@") || return 1
  [ "$found" != "[]" ]
}

cmd_snapshots() {
  local tags=coop
  if [ $# -gt 0 ]; then
    require_service "$1"
    tags="coop,service:$1"
  fi
  rst snapshots --host "$BACKUP_HOST" --tag "$tags"
}

# restore_volumes SERVICE TARGET RUN: the service's volumes, under TARGET + their host path.
restore_volumes() {
  local service=$1 target=$2 run=$3 volume
  local -a args
  mapfile -t args < <(filter_of "$service" "$run")
  while read -r volume; do
    args+=(--path "$(volume_dir "$volume")")
  done < <(volumes_of "$service")
  mkdir -p "$target"
  rst restore latest "${args[@]}" --target "$target"
}

# write_stdin_snapshot SERVICE FILE RUN: a file saved from stdin (a dump), on stdout.
write_stdin_snapshot() {
  local service=$1 file=$2 run=$3
  local -a args
  mapfile -t args < <(filter_of "$service" "$run")
  rst dump latest "${args[@]}" --path "$file" "$file"
}

# write_dump SERVICE DATABASE RUN: the dump on stdout.
write_dump() {
  write_stdin_snapshot "$1" "/$(dump_name "$1" "$2")" "$3"
}

# write_globals SERVICE CONTAINER RUN: the roles dump of CONTAINER's cluster on stdout.
write_globals() {
  write_stdin_snapshot "$1" "/$(globals_name "$1" "$2")" "$3"
}

# without_roles ROLES: drops the CREATE ROLE lines of the roles listed (one per line) and
# passes the rest through. pg_dumpall writes CREATE ROLE, then ALTER ROLE with the attributes
# and password hash, for every role, including the superuser the image created (which always
# exists, and a live database has the others too); with ON_ERROR_STOP a second CREATE fails.
without_roles() {
  awk -v roles="$1" '
    BEGIN { n = split(roles, r, "\n"); for (i = 1; i <= n; i++) { q = r[i]; gsub(/"/, "\"\"", q); skip["CREATE ROLE " r[i] ";"] = 1; skip["CREATE ROLE \"" q "\";"] = 1 } }
    !($0 in skip) { print }'
}

# load_globals SERVICE SOURCE TARGET USER RUN: creates (or updates) in the Postgres container
# TARGET the roles the backup saved from SOURCE's cluster, before a database dump that names
# them as owners is loaded (Nextcloud's oc_<admin>, whose password is in its config.php).
load_globals() {
  local service=$1 source=$2 target=$3 user=$4 run=$5 roles
  roles=$(docker exec "$target" psql --username="$user" --dbname=postgres --no-password -At -c "select rolname from pg_roles") || return 1
  write_globals "$service" "$source" "$run" | without_roles "$roles" | docker exec -i "$target" psql --username="$user" --dbname=postgres \
    --no-password --quiet --set ON_ERROR_STOP=1 --single-transaction >/dev/null
}

parse_run() {
  RUN=""
  YES=0
  ARGS=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --run) [ $# -ge 2 ] || die "--run needs a value such as 20250301T033012Z"; RUN=$2; shift 2 ;;
      --yes) YES=1; shift ;;
      -*) die "unknown option $1" ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
  case "$RUN" in
    ''|[0-9]*T[0-9]*Z) ;;
    *) die "--run expects a run name such as 20250301T033012Z (see: coop-restore snapshots)" ;;
  esac
}

cmd_files() {
  parse_run "$@"
  [ ${#ARGS[@]} -eq 2 ] || die "usage: coop-restore files SERVICE DIR [--run RUN]"
  local service=${ARGS[0]} target=${ARGS[1]}
  require_service "$service"
  [ -n "$(volumes_of "$service")" ] || die "${service} has no volumes in the backup"
  restore_volumes "$service" "$target" "$RUN"
  log "restored: each volume is under ${target}${VOLUMES_DIR}/<volume>/_data"
}

cmd_dump() {
  parse_run "$@"
  [ ${#ARGS[@]} -eq 3 ] || die "usage: coop-restore dump SERVICE DATABASE FILE [--run RUN]"
  local service=${ARGS[0]} database=${ARGS[1]} target=${ARGS[2]}
  require_service "$service"
  databases_of "$service" | grep -q " ${database} " || die "${service} has no database '${database}' in the backup"
  write_dump "$service" "$database" "$RUN" >"${target}.partial"
  mv -f "${target}.partial" "$target"
  log "wrote ${target} ($(wc -c <"$target") bytes)"
}

count_files() {
  find "$1" -type f | wc -l
}

# Tables outside the system schemas, as a quick measure that a dump loaded completely.
count_tables() {
  docker exec "$1" psql --username="$2" --dbname="$3" --no-password -At \
    -c "select count(*) from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')"
}

# drill_database SERVICE CONTAINER DATABASE USER: loads the latest roles and dump into a
# throw-away Postgres (same image as the live one, no network) and compares the table count.
drill_database() {
  local service=$1 container=$2 database=$3 user=$4
  local image scratch live restored ready=0
  scratch="coop-restore-drill-${service}-${database}"
  image=$(docker inspect --format '{{.Config.Image}}' "$container") || { err "${service}: cannot inspect ${container}"; return 1; }
  docker rm -f "$scratch" >/dev/null 2>&1 || true
  docker run -d --rm --name "$scratch" --network none \
    -e POSTGRES_USER="$user" -e POSTGRES_DB="$database" -e POSTGRES_HOST_AUTH_METHOD=trust \
    "$image" >/dev/null || { err "${service}: cannot start a throw-away ${image}"; return 1; }
  # The image's first start runs a temporary server on the socket only; TCP means the real one.
  for _ in $(seq 1 60); do
    if docker exec "$scratch" pg_isready --host=127.0.0.1 --username="$user" --dbname="$database" >/dev/null 2>&1; then
      ready=1
      break
    fi
    sleep 2
  done
  if [ "$ready" -ne 1 ]; then
    err "${service}: the throw-away Postgres did not start"
    docker rm -f "$scratch" >/dev/null 2>&1 || true
    return 1
  fi
  if ! load_globals "$service" "$container" "$scratch" "$user" ""; then
    err "${service}: the roles of ${container} did not load into a fresh Postgres"
    docker rm -f "$scratch" >/dev/null 2>&1 || true
    return 1
  fi
  if ! write_dump "$service" "$database" "" | docker exec -i "$scratch" psql --username="$user" --dbname="$database" \
      --no-password --quiet --set ON_ERROR_STOP=1 --single-transaction >/dev/null; then
    err "${service}: the dump of ${database} did not load into a fresh Postgres"
    docker rm -f "$scratch" >/dev/null 2>&1 || true
    return 1
  fi
  restored=$(count_tables "$scratch" "$user" "$database") || restored="?"
  live=$(count_tables "$container" "$user" "$database") || live="?"
  docker rm -f "$scratch" >/dev/null 2>&1 || true
  log "${service}: database ${database}: the dump loads; tables restored ${restored}, live ${live}"
  if [ "$restored" = "?" ] || [ "$restored" -eq 0 ]; then
    err "${service}: database ${database}: no tables after loading the dump"
    return 1
  fi
}

cmd_drill() {
  local -a chosen
  local service volume restored live size needed=0 available dir problems=0 line
  if [ $# -gt 0 ]; then
    chosen=("$@")
  else
    mapfile -t chosen < <(services)
  fi
  for service in "${chosen[@]}"; do
    require_service "$service"
    while read -r volume; do
      size=$(du -sb "$(volume_dir "$volume")" | cut -f1) || size=0
      needed=$(( needed + size ))
    done < <(volumes_of "$service")
  done
  mkdir -p "$SCRATCH_DIR"
  available=$(df --output=avail -B1 "$SCRATCH_DIR" | tail -n 1 | tr -d ' ')
  if [ "$needed" -gt $(( available * 9 / 10 )) ]; then
    die "the drill needs about $(( needed / 1048576 )) MB in ${SCRATCH_DIR} but only $(( available / 1048576 )) MB are free: drill one service at a time (coop-restore drill SERVICE), or grow the volume"
  fi
  dir="${SCRATCH_DIR}/drill-${STAMP}"
  log "restore drill into ${dir}"
  for service in "${chosen[@]}"; do
    if [ -n "$(volumes_of "$service")" ]; then
      if restore_volumes "$service" "${dir}/${service}" "" >/dev/null; then
        while read -r volume; do
          restored=$(count_files "${dir}/${service}$(volume_dir "$volume")")
          live=$(count_files "$(volume_dir "$volume")")
          log "${service}: volume ${volume}: ${restored} files restored, ${live} live (live data may have changed since the backup)"
          if [ "$restored" -eq 0 ] && [ "$live" -gt 0 ]; then
            err "${service}: volume ${volume}: nothing restored"
            problems=$(( problems + 1 ))
          fi
        done < <(volumes_of "$service")
      else
        err "${service}: its volumes could not be restored"
        problems=$(( problems + 1 ))
      fi
    fi
    while read -r line; do
      [ -n "$line" ] || continue
      # shellcheck disable=SC2086 # the line is "CONTAINER DATABASE USER"
      drill_database "$service" $line || problems=$(( problems + 1 ))
    done < <(databases_of "$service")
  done
  if [ "$problems" -gt 0 ]; then
    die "the drill found ${problems} problem(s); the restored files are in ${dir}"
  fi
  mkdir -p "$STATE_DIR"
  date -u +%Y-%m-%dT%H:%M:%SZ >"${STATE_DIR}/last-drill"
  log "drill passed. Look through ${dir}, then remove it: sudo rm -rf ${dir}"
}

# Containers to stop while a service is restored: those using its volumes, and those that
# talk to its databases (every container on a database's networks except the database).
containers_to_stop() {
  local service=$1 volume line container network
  {
    while read -r volume; do
      docker ps -q --filter "volume=${volume}"
    done < <(volumes_of "$service")
    while read -r line; do
      [ -n "$line" ] || continue
      container=${line%% *}
      for network in $(docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$container"); do
        # Docker's shared default networks connect unrelated containers: not a service's own.
        case "$network" in bridge|host|none) continue ;; *) ;; esac
        docker network inspect --format '{{range $id, $c := .Containers}}{{$id}} {{end}}' "$network" | tr ' ' '\n'
      done
    done < <(databases_of "$service")
  } | grep -v '^$' | sort -u | while read -r container; do
    # Keep the databases running: the dumps are loaded into them.
    docker inspect --format '{{.Name}}' "$container" | sed 's#^/##'
  done | grep -v -x -F -f <(databases_of "$service" | cut -d' ' -f1) || true
}

PHASE=""
STOPPED=()
PENDING_AFTER=""
STAGING=""

# Before anything live has changed, an interruption puts the service back as it was; after,
# it leaves the service stopped and says exactly where things are.
on_exit() {
  local status=$?
  if [ "$status" -eq 0 ]; then
    return
  fi
  case "$PHASE" in
    prepare)
      err "restore interrupted before any live data changed: starting the service again"
      if [ ${#STOPPED[@]} -gt 0 ]; then
        docker start "${STOPPED[@]}" >/dev/null || err "could not start: ${STOPPED[*]}"
      fi
      if [ -n "$PENDING_AFTER" ]; then
        "$PENDING_AFTER" || err "the commands after the restore failed: check the service"
      fi
      [ -z "$STAGING" ] || rm -rf "$STAGING"
      ;;
    start)
      err "the data is restored, but starting the service failed: docker start ${STOPPED[*]}"
      ;;
    commit)
      err "restore failed while changing live data. The service is stopped (${STOPPED[*]})."
      err "Volumes already swapped have their previous data in *.before-restore-${STAMP}; the restored files are in ${STAGING}."
      err "Fix the cause, then run the restore again, or move the old directories back, and start the containers."
      ;;
    *) ;;
  esac
}

cmd_service() {
  parse_run "$@"
  [ ${#ARGS[@]} -eq 1 ] || die "usage: coop-restore service SERVICE [--run RUN] --yes"
  local service=${ARGS[0]} volume line container database user dir loaded
  local -a window args
  require_service "$service"
  [ "$YES" -eq 1 ] || die "this replaces ${service}'s live data with the backup${RUN:+ of run ${RUN}}; add --yes if that is what you want"
  # coop-backup is a oneshot unit: "activating" while it runs (`systemctl is-active` says no).
  if [ "$(systemctl show -P ActiveState coop-backup.service)" = activating ]; then
    die "a backup is running (systemctl status coop-backup): wait for it to finish"
  fi
  # Find everything first: a missing snapshot must fail before the service is touched.
  log "${service}: checking the snapshots to restore"
  mapfile -t args < <(filter_of "$service" "$RUN")
  while read -r volume; do
    args+=(--path "$(volume_dir "$volume")")
  done < <(volumes_of "$service")
  if [ -n "$(volumes_of "$service")" ]; then
    has_snapshot "${args[@]}" || die "${service}: no snapshot of its volumes${RUN:+ from run ${RUN}}"
  fi
  while read -r line; do
    [ -n "$line" ] || continue
    read -r container database user <<<"$line"
    mapfile -t args < <(filter_of "$service" "$RUN")
    has_snapshot "${args[@]}" --path "/$(dump_name "$service" "$database")" || die "${service}: no dump of database ${database}${RUN:+ from run ${RUN}} (backups made before dumps were named like /$(dump_name "$service" "$database") keep it as /postgres/${service}/${database}.sql: docs/runbook/restore-from-backup.md says how to load it)"
    has_snapshot "${args[@]}" --path "/$(globals_name "$service" "$container")" || die "${service}: no dump of the roles of ${container}${RUN:+ from run ${RUN}}"
  done < <(databases_of "$service")

  trap on_exit EXIT
  PHASE=prepare
  mapfile -t window < <(window_of "$service")
  if [ ${#window[@]} -eq 2 ]; then
    PENDING_AFTER=${window[1]}
    "${window[0]}" || err "${service}: the commands before the restore failed; continuing, the service may already be down"
  fi
  mapfile -t STOPPED < <(containers_to_stop "$service")
  if [ ${#STOPPED[@]} -gt 0 ]; then
    log "${service}: stopping ${STOPPED[*]}"
    docker stop "${STOPPED[@]}" >/dev/null
  fi
  STAGING="${SCRATCH_DIR}/staging-${STAMP}"
  if [ -n "$(volumes_of "$service")" ]; then
    log "${service}: restoring its volumes into ${STAGING}"
    restore_volumes "$service" "$STAGING" "$RUN"
  fi

  PHASE=commit
  loaded=" "
  while read -r line; do
    [ -n "$line" ] || continue
    read -r container database user <<<"$line"
    if [[ "$loaded" != *" ${container} "* ]]; then
      log "${service}: loading the roles of ${container}"
      load_globals "$service" "$container" "$container" "$user" "$RUN"
      loaded="${loaded}${container} "
    fi
    log "${service}: loading database ${database} into ${container}"
    write_dump "$service" "$database" "$RUN" | docker exec -i "$container" psql --username="$user" --dbname="$database" \
      --no-password --quiet --set ON_ERROR_STOP=1 --single-transaction >/dev/null
  done < <(databases_of "$service")
  while read -r volume; do
    [ -n "$volume" ] || continue
    dir=$(volume_dir "$volume")
    [ -d "${STAGING}${dir}" ] || die "${service}: the snapshot has no data for volume ${volume}"
    if [ -e "$dir" ]; then
      mv "$dir" "${dir}.before-restore-${STAMP}"
    fi
    mkdir -p "$(dirname "$dir")"
    mv "${STAGING}${dir}" "$dir"
    log "${service}: volume ${volume} restored (previous data: ${dir}.before-restore-${STAMP})"
  done < <(volumes_of "$service")

  PHASE=start
  if [ ${#STOPPED[@]} -gt 0 ]; then
    docker start "${STOPPED[@]}" >/dev/null
  fi
  if [ -n "$PENDING_AFTER" ]; then
    "$PENDING_AFTER" || die "${service}: restored and started, but the commands after the restore failed: check the service"
  fi
  rm -rf "$STAGING"
  PHASE=finished
  log "${service}: restored. When you are satisfied, remove the old data: sudo rm -rf ${VOLUMES_DIR}/*/_data.before-restore-${STAMP}"
}

main() {
  [ $# -gt 0 ] || { usage; exit 2; }
  local command=$1
  shift
  case "$command" in
    -h|--help|help) usage; return ;;
    snapshots|files|dump|drill|service|restic) ;;
    *) usage >&2; exit 2 ;;
  esac
  require_access
  case "$command" in
    snapshots) cmd_snapshots "$@" ;;
    files) cmd_files "$@" ;;
    dump) cmd_dump "$@" ;;
    drill) cmd_drill "$@" ;;
    service) cmd_service "$@" ;;
    restic) rst "$@" ;;
    *) ;;
  esac
}

main "$@"
