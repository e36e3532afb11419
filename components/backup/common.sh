# shellcheck shell=bash
# What coop-backup and coop-restore share: logging, how restic is called, where a dump is kept,
# and the services' data (SERVICES, SERVICE_VOLUMES, SERVICE_DATABASES and the before_/after_
# functions, rendered from the stack spec just above this part).

log() {
  printf '%s\n' "$*"
}

# Under systemd, a "<3>" prefix files the line in the journal at priority "err", so
# `journalctl -p err` and `systemctl status` show it in red.
err() {
  if [ -n "${JOURNAL_STREAM:-}" ]; then
    printf '<3>%s\n' "$*" >&2
  else
    printf 'error: %s\n' "$*" >&2
  fi
}

rst() {
  restic "${RESTIC_OPTIONS[@]}" "$@"
}

services() {
  printf '%s\n' "${SERVICES[@]}"
}

# known SERVICE: whether the backup saves that service.
known() {
  [[ -v SERVICE_VOLUMES[$1] ]]
}

# volumes_of SERVICE: its Docker volumes, one per line (names never contain spaces).
volumes_of() {
  known "$1" || return 1
  local -a volumes
  read -r -a volumes <<<"${SERVICE_VOLUMES[$1]}"
  if [ ${#volumes[@]} -gt 0 ]; then
    printf '%s\n' "${volumes[@]}"
  fi
}

# databases_of SERVICE: one line per database, "CONTAINER DATABASE USER" (names never contain spaces).
databases_of() {
  known "$1" || return 1
  if [ -n "${SERVICE_DATABASES[$1]}" ]; then
    printf '%s\n' "${SERVICE_DATABASES[$1]}"
  fi
}

# window_of SERVICE: the functions that quiesce the service and bring it back (e.g. Nextcloud's
# maintenance mode), one per line, or nothing when it needs none.
window_of() {
  known "$1" || return 1
  local f=${1//-/_}
  if declare -F "before_${f}" >/dev/null; then
    printf '%s\n' "before_${f}" "after_${f}"
  fi
}

# clusters_of SERVICE: each Postgres container of the service once, with the role the backup
# connects as (its first database's user): "CONTAINER USER".
clusters_of() {
  local container user seen=" "
  while read -r container _ user; do
    [ -n "$container" ] || continue
    if [[ "$seen" != *" ${container} "* ]]; then
      printf '%s %s\n' "$container" "$user"
      seen="${seen}${container} "
    fi
  done < <(databases_of "$1")
}

# Where restic keeps a database dump and a cluster's roles. One file name without a directory:
# restic stores a stream read with --stdin-filename NAME as "/NAME" in every version since 0.9.5,
# but 0.18.0 refuses a NAME with a slash in it (restic#5324, fixed in 0.18.1).
dump_name() {
  printf 'postgres.%s.%s.sql\n' "$1" "$2"
}

globals_name() {
  printf 'postgres.%s.%s.globals.sql\n' "$1" "$2"
}

volume_dir() {
  printf '%s\n' "${VOLUMES_DIR}/$1/_data"
}
