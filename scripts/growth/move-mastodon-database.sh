#!/usr/bin/env bash
# Moves Mastodon's database from one host's Postgres container to another's, over SSH, as the
# growth runbook's step 3 does (docs/runbook/growth.md): the main host's Postgres to the new
# database host. Run it from an admin's machine whose SSH key is in host.admins, while
# Mastodon's web, streaming and Sidekiq containers are stopped (the runbook says how).
#
#   scripts/growth/move-mastodon-database.sh FROM_HOST FROM_CONTAINER TO_HOST TO_CONTAINER
#
#   FROM_HOST, TO_HOST            SSH destinations, e.g. coop@203.0.113.10
#   FROM_CONTAINER, TO_CONTAINER  the Postgres containers, as `docker ps` names them
#   environment: DB (default mastodon_production), DB_USER (default mastodon)
#
# What it does, and why:
# - refuses a target database that already holds tables: it never merges into or overwrites data;
# - dumps in pg_dump's custom format to a file on this machine first, so a dump that fails
#   stops here and nothing half-restored reaches the target;
# - restores as the target's own user (--no-owner), in one transaction that is rolled back
#   on the first error (--exit-on-error --single-transaction);
# - compares the row count of every table on both sides and fails on any difference.
# The source is only read; it stays as it was until you remove it.
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 FROM_HOST FROM_CONTAINER TO_HOST TO_CONTAINER" >&2
  exit 2
fi
from_host=$1
from_container=$2
to_host=$3
to_container=$4
db=${DB:-mastodon_production}
user=${DB_USER:-mastodon}

die() {
  echo "move-mastodon-database: $*" >&2
  exit 1
}

# Runs a command in a container on a host; stdin passes through (-i).
on() {
  local host=$1 container=$2
  shift 2
  ssh -o BatchMode=yes "$host" docker exec -i "$container" "$@"
}

psql_at() {
  local host=$1 container=$2
  shift 2
  on "$host" "$container" psql --username="$user" --dbname="$db" --no-password -v ON_ERROR_STOP=1 -qAt "$@"
}

# One line per table of the public schema: name|rows. Exact counts, not the planner's estimates.
row_counts() {
  local host=$1 container=$2
  psql_at "$host" "$container" -c \
    "select format('select %L || ''|'' || count(*) from %I.%I;', tablename, schemaname, tablename) from pg_tables where schemaname = 'public' order by tablename" |
    psql_at "$host" "$container"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "checking that ${to_container} on ${to_host} holds no tables yet"
existing=$(psql_at "$to_host" "$to_container" -c "select count(*) from pg_tables where schemaname = 'public'") ||
  die "cannot reach database ${db} in ${to_container} on ${to_host}; is it running (docker ps)?"
[[ $existing == 0 ]] || die "${db} in ${to_container} on ${to_host} already holds ${existing} tables; nothing was changed. Restore only into an empty database (the new host's first deploy creates one)."

echo "dumping ${db} from ${from_container} on ${from_host}"
on "$from_host" "$from_container" pg_dump --username="$user" --no-password --format=custom --no-owner --no-privileges "$db" >"$work/dump" ||
  die "pg_dump on ${from_host} failed; nothing was changed on ${to_host}"
[[ -s $work/dump ]] || die "the dump is empty; nothing was changed on ${to_host}"

echo "restoring into ${to_container} on ${to_host}"
on "$to_host" "$to_container" pg_restore --username="$user" --no-password --dbname="$db" --no-owner --role="$user" \
  --exit-on-error --single-transaction <"$work/dump" ||
  die "pg_restore on ${to_host} failed and was rolled back; ${db} there is as empty as before"

echo "comparing the row count of every table"
row_counts "$from_host" "$from_container" >"$work/from"
row_counts "$to_host" "$to_container" >"$work/to"
if ! diff -u "$work/from" "$work/to" >"$work/diff"; then
  cat "$work/diff" >&2
  die "the tables differ between the two hosts (above); do not start Mastodon on ${to_host}"
fi
echo "moved: $(wc -l <"$work/from") tables, the same rows on both hosts"
