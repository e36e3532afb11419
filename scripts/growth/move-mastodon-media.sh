#!/usr/bin/env bash
# Copies an existing Mastodon's media from its Docker volume into the bucket the stack now
# keeps it in (docs/runbook/growth.md, step 2). Runs on the main host, fed over SSH:
#
#   ssh coop@<main host> bash -s -- WEB_CONTAINER MEDIA_VOLUME < scripts/growth/move-mastodon-media.sh
#
#   WEB_CONTAINER  Mastodon's web container, already deployed with the S3_* settings
#   MEDIA_VOLUME   the volume that held public/system (<prefix>-mastodon-media)
#   environment:   SKIP_CACHE=1 leaves other servers' media (cache/) behind; Mastodon fetches it
#                  again when someone looks, and `tootctl media refresh` can do it ahead
#
# The bucket, endpoint and keys are read from the web container's own environment inside this
# host (never typed, never on a command line), and handed to rclone through an env file only
# root can read. rclone copies (never deletes) and then checks every file arrived with its size.
# The volume is mounted read-only: it stays as it was until you remove it.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: bash -s -- WEB_CONTAINER MEDIA_VOLUME < move-mastodon-media.sh" >&2
  exit 2
fi
web=$1
volume=$2
# rclone's own image, an exact release (never a moving tag).
RCLONE_IMAGE=rclone/rclone:1.69.1

die() {
  echo "move-mastodon-media: $*" >&2
  exit 1
}

env_of() {
  docker exec "$web" printenv "$1" || die "${web} has no $1: deploy the stack with objectStorage.mastodonMedia first"
}

[[ $(env_of S3_ENABLED) == true ]] || die "${web} does not store media in a bucket yet (S3_ENABLED is not true)"
bucket=$(env_of S3_BUCKET)
endpoint=$(env_of S3_ENDPOINT)
region=$(env_of S3_REGION)
docker volume inspect "$volume" >/dev/null || die "no volume ${volume} on this host"

envfile=$(mktemp)
trap 'rm -f "$envfile"' EXIT
chmod 600 "$envfile"
{
  echo "RCLONE_CONFIG_BUCKET_TYPE=s3"
  echo "RCLONE_CONFIG_BUCKET_PROVIDER=Other"
  echo "RCLONE_CONFIG_BUCKET_ENDPOINT=${endpoint}"
  echo "RCLONE_CONFIG_BUCKET_REGION=${region}"
  echo "RCLONE_CONFIG_BUCKET_ACCESS_KEY_ID=$(env_of AWS_ACCESS_KEY_ID)"
  echo "RCLONE_CONFIG_BUCKET_SECRET_ACCESS_KEY=$(env_of AWS_SECRET_ACCESS_KEY)"
} >"$envfile"

filters=()
if [[ ${SKIP_CACHE:-0} == 1 ]]; then filters=(--exclude "cache/**"); fi

rclone() {
  docker run --rm --env-file "$envfile" --volume "${volume}:/data:ro" "$RCLONE_IMAGE" "$@"
}

echo "copying ${volume} into bucket ${bucket}"
rclone copy /data "bucket:${bucket}" --transfers 16 --checksum "${filters[@]}" ||
  die "the copy stopped; run this again: files already in the bucket are skipped"
echo "checking that every file arrived"
rclone check /data "bucket:${bucket}" --one-way --size-only "${filters[@]}" ||
  die "some files are missing in ${bucket} (listed above); run this again"
echo "done: Mastodon serves the media from the bucket; keep ${volume} until you have checked old posts' images"
