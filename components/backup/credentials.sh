#!/bin/bash
# coop-infra: write the backup's credentials, read from stdin, to root-only files; see
# components/backup/install.ts. Nothing here echoes them.
#
# stdin: the repository password, the Storage Box user, its host name (one line each), then the
# OpenSSH private key.
#
# The Storage Box's host key is accepted on first contact (accept-new) and pinned after: its
# keys are not known before the box exists, the box is reached only from Hetzner's network,
# and restic encrypts and authenticates everything it stores with the repository password, so
# an impostor box could neither read the backups nor pass off forged ones as ours.
set -euo pipefail

# @coop-infra-settings

IFS= read -r restic_password
IFS= read -r box_user
IFS= read -r box_server
key=$(cat)
if [ -z "$restic_password" ] || [ ${#restic_password} -lt 32 ]; then
  echo "coop-backup: the repository password is missing or too short" >&2
  exit 1
fi
case "$box_user" in
  ''|*[!a-z0-9-]*) echo "coop-backup: unexpected Storage Box user name '${box_user}'" >&2; exit 1 ;;
  *) ;;
esac
case "$box_server" in
  ''|*[!a-z0-9.-]*) echo "coop-backup: unexpected Storage Box host name '${box_server}'" >&2; exit 1 ;;
  *) ;;
esac
case "$key" in
  '-----BEGIN OPENSSH PRIVATE KEY-----'*) ;;
  *) echo "coop-backup: the SSH key is not an OpenSSH private key" >&2; exit 1 ;;
esac
sudo install -d -m 0700 "$CONFIG_DIR" "$SSH_DIR"
printf '%s\n' "$restic_password" | put 0600 "$PASSWORD_FILE"
printf '%s\n' "$key" | put 0600 "$KEY_FILE"
put 0600 "$SSH_CONFIG_FILE" <<SSH_CONFIG
# Rendered by coop-infra: how restic reaches the Storage Box (SFTP on port 23, key only).
Host ${HOST_ALIAS}
  HostName ${box_server}
  User ${box_user}
  Port 23
  IdentityFile ${KEY_PATH_ON_HOST}
  IdentitiesOnly yes
  UserKnownHostsFile ${KNOWN_HOSTS_PATH_ON_HOST}
  StrictHostKeyChecking accept-new
  BatchMode yes
  ServerAliveInterval 60
  ServerAliveCountMax 10
SSH_CONFIG
