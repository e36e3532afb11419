/**
 * The nightly backup script (/usr/local/sbin/coop-backup), rendered from what the services
 * declared. Pure: the same arguments render the same text, so the governed view changes only
 * when the spec or a service's backup source does.
 *
 * Why it is shaped the way it is:
 * - Postgres dumps are streamed into restic (no copy on the data volume). restic stores whatever
 *   it reads, so a dump that died half-way would be saved as if it were whole. The script checks
 *   every exit status of the pipe and that pg_dump's closing line went by, and forgets the
 *   snapshot restic made of a cut-off stream.
 * - Each Postgres container's roles (pg_dumpall --globals-only, with password hashes) are saved
 *   beside its databases, as their own snapshot: the dumps name owners they do not create
 *   (Nextcloud's installer makes its own role), and a failed roles dump fails the backup. This works with every restic since 0.14 (Debian
 *   12's, patched by unattended-upgrades); `--stdin-from-command` (0.17+) would only replace the
 *   exit-status half of it.
 * - One service's failure does not stop the others: their data is still saved tonight, and the
 *   run still exits non-zero. Retention is skipped after a failure, so old snapshots are not
 *   thinned out while new ones are missing.
 * - A service's "after" commands (e.g. Nextcloud maintenance mode off) run exactly once,
 *   whether its copy worked, failed, or the script was stopped (systemd timeout, shutdown).
 */
import {
  type BackupItem,
  type HostPaths,
  type ResticSettings,
  dumpPath,
  fnName,
  globalsPath,
  postgresClusters,
  hasConsistencyWindow,
  renderPrelude,
  renderWindowFunctions,
  shq,
  validateItems,
} from "./shell";

export interface Retention {
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

export interface BackupScriptArgs {
  readonly restic: ResticSettings;
  readonly paths: HostPaths;
  readonly items: readonly BackupItem[];
  readonly keep: Retention;
  /** Day of the week (date +%u: 1 = Monday … 7 = Sunday) on which the repository is checked. */
  readonly checkWeekday: number;
  /** The weekly check reads 1/N of the stored data, a different part each week. */
  readonly checkDataParts: number;
}

/** pg_dump's plain format ends with this line, followed by at most a few short ones. */
export const DUMP_TRAILER = "-- PostgreSQL database dump complete";
/** pg_dumpall's (also with --globals-only) ends with this one. */
export const CLUSTER_DUMP_TRAILER = "-- PostgreSQL database cluster dump complete";

export function renderBackupScript(args: BackupScriptArgs): string {
  validateItems(args.items);
  const { keep } = args;
  if (!Number.isInteger(args.checkWeekday) || args.checkWeekday < 1 || args.checkWeekday > 7)
    throw new Error("checkWeekday must be 1 (Monday) … 7 (Sunday)");
  if (!Number.isInteger(args.checkDataParts) || args.checkDataParts < 1) throw new Error("checkDataParts must be a positive integer");
  for (const [k, v] of Object.entries(keep)) if (!Number.isInteger(v) || v < 0) throw new Error(`keep.${k} must be a whole number ≥ 0`);
  if (keep.daily < 1) throw new Error("keep.daily must be at least 1, or retention would delete tonight's backup");

  const services = args.items.map(renderService).join("\n\n");
  const calls = args.items.map((i) => `  ${fnName("backup", i.service)}`).join("\n");

  return `#!/bin/bash
# coop-backup: saves the co-op's services to the restic repository on the Storage Box.
# Rendered by coop-infra from the stack spec and the services' backup sources. Changes made
# here are overwritten by the next \`pulumi up\`: change the spec instead.
#
# Runs every night from coop-backup.timer. Exit status 0: everything was saved. 1: something
# was not; the journal says what (journalctl -u coop-backup).
set -euo pipefail
umask 077
export LC_ALL=C

${renderPrelude(args.restic, args.paths)}

readonly CHECK_WEEKDAY=${args.checkWeekday}
readonly CHECK_DATA_PARTS=${args.checkDataParts}
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

# The functions below are called as \`f … || fail …\`, where bash suspends \`set -e\` inside
# them; so every step checks its own result.

readonly DUMP_TRAILER=${shq(DUMP_TRAILER)}
readonly CLUSTER_TRAILER=${shq(CLUSTER_DUMP_TRAILER)}

# require_complete_dump TRAILER: passes a dump through and fails unless its closing line
# (pg_dump's or pg_dumpall's) came at the very end.
require_complete_dump() {
  awk -v trailer="$1" '{ print } $0 == trailer { at = NR } END { exit (at > 0 && NR - at <= 8) ? 0 : 1 }'
}

# save_stream SERVICE FILE WHAT TRAILER PROGRAM COMMAND…: streams what COMMAND prints into the
# repository as FILE, and keeps it only if every stage exited 0 and TRAILER came at the end.
# PROGRAM names the dumping program in messages.
save_stream() {
  local service=$1 file=$2 what=$3 trailer=$4 program=$5
  shift 5
  local summary id
  local -a status
  summary=$(mktemp) || return 1
  "$@" \\
    | require_complete_dump "$trailer" \\
    | rst backup --stdin --stdin-filename "$file" --host "$BACKUP_HOST" \\
        --tag coop --tag "service:\${service}" --tag "$RUN_TAG" --json --quiet >"$summary"
  status=("\${PIPESTATUS[@]}")
  id=$(sed -n 's/.*"snapshot_id":"\\([0-9a-f]*\\)".*/\\1/p' "$summary" | tail -n 1)
  rm -f "$summary"
  if [ "\${status[*]}" = "0 0 0" ] && [ -n "$id" ]; then
    log "\${service}: \${what} saved (snapshot \${id})"
    return 0
  fi
  err "\${service}: \${what} was not saved (\${program} exit \${status[0]}, complete dump check \${status[1]}, restic exit \${status[2]})"
  if [ -n "$id" ]; then
    if rst forget "$id" >/dev/null; then
      log "\${service}: removed snapshot \${id}, which holds the incomplete dump"
    else
      err "\${service}: could not remove snapshot \${id}, which holds an incomplete dump; remove it with: sudo coop-restore restic forget \${id}"
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
  save_stream "$service" "postgres/\${service}/\${container}.globals.sql" "the roles of \${container}" "$CLUSTER_TRAILER" pg_dumpall \\
    docker exec "$container" pg_dumpall --username="$user" --no-password --globals-only
}

# dump_database SERVICE CONTAINER DATABASE USER: streams one database into the repository.
dump_database() {
  local service=$1 container=$2 database=$3 user=$4
  save_stream "$service" "postgres/\${service}/\${database}.sql" "database \${database}" "$DUMP_TRAILER" pg_dump \\
    docker exec "$container" pg_dump --username="$user" --no-password --clean --if-exists "$database"
}

# save_volumes SERVICE VOLUME…: copies a service's Docker volumes into one snapshot.
save_volumes() {
  local service=$1
  shift
  local volume dir
  local -a dirs=()
  for volume in "$@"; do
    dir="\${VOLUMES_DIR}/\${volume}/_data"
    if [ ! -d "$dir" ]; then
      err "\${service}: volume \${volume} does not exist (no \${dir})"
      return 1
    fi
    dirs+=("$dir")
  done
  if ! rst backup --host "$BACKUP_HOST" --tag coop --tag "service:\${service}" --tag "$RUN_TAG" \\
      --one-file-system --quiet "\${dirs[@]}"; then
    err "\${service}: restic could not save every file of its volumes (exit 3 means some files were unreadable; the snapshot is kept)"
    return 1
  fi
  log "\${service}: volumes saved: $*"
}

open_repository() {
  if ! rst cat config >/dev/null 2>&1; then
    # init refuses to overwrite an existing repository, so a network error cannot destroy one.
    log "no restic repository at \${RESTIC_REPOSITORY} yet: creating it"
    rst init || return 1
  fi
  # Removes only locks left by runs that no longer exist (a crash, a reboot).
  rst unlock || err "could not remove stale locks; continuing"
}

apply_retention() {
  rst forget --host "$BACKUP_HOST" --tag coop --group-by host,paths --compact \\
    --keep-daily ${keep.daily} --keep-weekly ${keep.weekly} --keep-monthly ${keep.monthly} --prune
}

check_repository() {
  local week part
  week=$(date +%V)
  part=$(( 10#$week % CHECK_DATA_PARTS + 1 ))
  log "weekly check of the repository, reading stored data part \${part}/\${CHECK_DATA_PARTS}"
  rst check --read-data-subset="\${part}/\${CHECK_DATA_PARTS}"
}

record_status() {
  mkdir -p "$STATE_DIR"
  date -u +%Y-%m-%dT%H:%M:%SZ >"\${STATE_DIR}/last-$1"
}

${services}

main() {
  log "backup of \${BACKUP_HOST} to \${RESTIC_REPOSITORY} starting (\${RUN_TAG})"
  if ! open_repository; then
    fail "the restic repository cannot be opened: nothing was saved"
    record_status failure
    exit 1
  fi
${calls}
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
    err "backup finished with \${failures} problem(s): see the messages above"
    exit 1
  fi
  record_status success
  log "backup finished: everything was saved"
}

main "$@"
`;
}

function renderService(item: BackupItem): string {
  const s = item.service;
  const hasWindow = hasConsistencyWindow(item);
  const lines: string[] = [];
  if (hasWindow) lines.push(renderWindowFunctions(item), "");
  lines.push(`${fnName("backup", s)}() {`, `  log ${shq(`${s}: starting`)}`);
  if (hasWindow) {
    lines.push(
      `  pending_after=${fnName("after", s)}`,
      `  if ! ${fnName("before", s)}; then`,
      `    fail ${shq(`${s}: the commands before the copy failed, so its data was not saved tonight`)}`,
      `    finish_service || fail ${shq(`${s}: the commands after the copy failed too: check the service now`)}`,
      "    return 0",
      "  fi",
    );
  }
  for (const c of postgresClusters(item)) {
    lines.push(
      `  dump_globals ${shq(s)} ${shq(c.container)} ${shq(c.user)} || fail ${shq(`${s}: the roles of ${c.container} not saved (${globalsPath(s, c.container)})`)}`,
    );
  }
  for (const d of item.databases) {
    lines.push(
      `  dump_database ${shq(s)} ${shq(d.container)} ${shq(d.database)} ${shq(d.user)} || fail ${shq(`${s}: database ${d.database} not saved (${dumpPath(s, d.database)})`)}`,
    );
  }
  if (item.volumes.length > 0) {
    lines.push(`  save_volumes ${shq(s)} ${item.volumes.map(shq).join(" ")} || fail ${shq(`${s}: volumes not saved`)}`);
  }
  if (hasWindow) {
    lines.push(
      `  finish_service || fail ${shq(`${s}: the commands after the copy failed: check the service now (e.g. maintenance mode)`)}`,
    );
  }
  lines.push("}");
  return lines.join("\n");
}
