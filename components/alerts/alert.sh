#!/bin/bash
# coop-alert: mails the co-op's admins that something on this host is wrong, through the co-op's
# own mail server (submission port, STARTTLS required, the alerts account's login).
# Installed by coop-infra: components/alerts/alert.sh, with the settings below rendered from the
# stack spec. Changes made here are overwritten by the next `pulumi up`: change the spec instead.
#
#   coop-alert unit-failed UNIT        a systemd unit failed (run by coop-alert@UNIT.service,
#                                      which OnFailure= of the backup and of coop-check start)
#   coop-alert check CAUSE SUBJECT     a check found a problem; the body is read from stdin
#
# At most one mail per cause per day (UTC): the day a cause was last mailed is kept in
# STATE_DIR/sent/, so a check that keeps failing every ten minutes does not flood the admins,
# and a failure still gets through the next day. A mail that could not be sent is not
# recorded, so the next run tries again. Exit 0: mailed, or already mailed today. 1: not sent.
set -euo pipefail
umask 077
export LC_ALL=C

# @coop-infra-settings

log() {
  printf '%s\n' "$*"
}

# Under systemd, a "<3>" prefix files the line in the journal at priority "err".
err() {
  if [ -n "${JOURNAL_STREAM:-}" ]; then
    printf '<3>%s\n' "$*" >&2
  else
    printf '%s\n' "$*" >&2
  fi
}

usage() {
  err "usage: coop-alert unit-failed UNIT | coop-alert check CAUSE SUBJECT (body on stdin)"
  exit 2
}

# What an admin needs to start with: the unit's state and its last journal lines.
unit_report() {
  local unit=$1
  printf 'The systemd unit %s failed on %s.\n\n' "$unit" "$HOST_LABEL"
  printf 'Its state:\n'
  systemctl status --no-pager --lines=0 -- "$unit" 2>&1 || true
  printf '\nIts last journal lines:\n'
  journalctl --unit="$unit" --lines=40 --no-pager --output=short-iso 2>&1 || true
  printf '\nOn the host: journalctl -u %s, and for the backup docs/runbook/restore-from-backup.md.\n' "$unit"
}

# A file name for the cause: letters, digits and . _ @ - only, never "." or ".." or hidden.
cause_key() {
  printf '%s' "$1" | tr -c 'A-Za-z0-9._@-' '_' | cut -c1-120 | sed 's/^\./_/'
}

# send SUBJECT BODY_FILE: one mail to every recipient, through the co-op's mail server.
send() {
  local subject=$1 body=$2 message rcpt
  local -a args=()
  message=$(mktemp) || return 1
  {
    printf 'From: %s <%s>\n' "$FROM_NAME" "$FROM"
    printf 'To: %s\n' "$(IFS=,; printf '%s' "${RECIPIENTS[*]}")"
    printf 'Subject: [%s] %s\n' "$HOST_LABEL" "$subject"
    printf 'Date: %s\n' "$(date -R)"
    printf 'Message-ID: <%s.%s@%s>\n' "$(date -u +%Y%m%dT%H%M%SZ)" "$$" "${FROM#*@}"
    # RFC 3834: automatic mail; vacation responders must not answer it.
    printf 'Auto-Submitted: auto-generated\n'
    printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'
    cat "$body"
  } >"$message"
  for rcpt in "${RECIPIENTS[@]}"; do
    args+=(--mail-rcpt "$rcpt")
  done
  if [ -n "$CA_FILE" ]; then
    args+=(--cacert "$CA_FILE")
  fi
  # The login is read from a root-only file (--config), never from the command line, which
  # every user of the host could read in the process list. --crlf: SMTP wants CRLF line ends.
  if ! curl --silent --show-error --max-time "$SEND_TIMEOUT" --ssl-reqd --crlf \
      --url "smtp://${MAIL_HOST}:${MAIL_PORT}" --mail-from "$FROM" "${args[@]}" \
      --config "$CREDENTIALS_FILE" --upload-file "$message"; then
    rm -f "$message"
    return 1
  fi
  rm -f "$message"
}

body=""
cleanup() {
  if [ -n "$body" ]; then
    rm -f "$body"
  fi
}
trap cleanup EXIT

main() {
  local cause subject key today
  [ $# -ge 1 ] || usage
  body=$(mktemp)
  case "$1" in
    unit-failed)
      [ $# -eq 2 ] || usage
      cause="unit-failed-$2"
      subject="$2 failed"
      unit_report "$2" >"$body"
      ;;
    check)
      [ $# -eq 3 ] || usage
      cause=$2
      subject=$3
      cat >"$body"
      ;;
    *)
      usage
      ;;
  esac
  key=$(cause_key "$cause")
  today=$(date -u +%F)
  mkdir -p "${STATE_DIR}/sent"
  if [ "$(cat "${STATE_DIR}/sent/${key}" 2>/dev/null || true)" = "$today" ]; then
    log "already mailed today: ${cause}"
    return 0
  fi
  if ! send "$subject" "$body"; then
    err "could not mail the admins about ${cause} through ${MAIL_HOST}:${MAIL_PORT}; the next run tries again"
    return 1
  fi
  printf '%s\n' "$today" >"${STATE_DIR}/sent/${key}"
  log "mailed ${RECIPIENTS[*]}: ${subject}"
}

main "$@"
