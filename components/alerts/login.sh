#!/bin/bash
# coop-infra: writes the alerts account's SMTP login root-only, where coop-alert reads it
# (curl --config). The login comes on stdin, never on a command line or in this text; only the
# paths below are rendered (components/alerts/alerts.ts).
set -euo pipefail

# @coop-infra-settings

IFS= read -r line
sudo install -d -m 0700 "$CONFIG_DIR"
# shellcheck disable=SC2016 # $1 is expanded by the inner shell, on purpose
printf '%s\n' "$line" | sudo sh -c 'umask 077 && cat >"$1.new" && mv "$1.new" "$1"' sh "$CREDENTIALS_FILE"
