#!/bin/bash
# coop-install-docker: installs Docker Engine from Docker's apt repository the way Docker's
# install guide does: its key downloaded over HTTPS to KEYRING and named by signed-by in the
# source (apt's keyid method needs gpg, dirmngr and a keyserver, which cloud images may lack).
# Run from cloud-init's runcmd after the data volume is mounted, so the source exists only once
# its key does; each download is retried, as the network may still be settling on first boot.
# Installed by coop-infra's cloud-init (components/host/install-docker.sh, with the settings below).
set -euo pipefail

# @coop-infra-settings

retry() {
  local attempt
  for attempt in 1 2 3 4 5 6; do
    if "$@"; then
      return 0
    fi
    echo "coop-install-docker: attempt ${attempt} failed: $*" >&2
    sleep 10
  done
  return 1
}
install -m 0755 -d /etc/apt/keyrings
retry curl -fsSL "https://download.docker.com/linux/${DISTRO}/gpg" -o "${KEYRING}.tmp"
chmod 0644 "${KEYRING}.tmp"
mv -f "${KEYRING}.tmp" "$KEYRING"
# shellcheck source=/dev/null
. /etc/os-release
echo "deb [arch=$(dpkg --print-architecture) signed-by=${KEYRING}] https://download.docker.com/linux/${DISTRO} ${VERSION_CODENAME} stable" >/etc/apt/sources.list.d/docker.list
retry apt-get update
# cloud-init wrote /etc/containerd/config.toml (where containerd keeps images: on the data
# volume) before the package that also ships one: keep ours, without asking.
DEBIAN_FRONTEND=noninteractive retry apt-get install -y \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  docker-ce docker-ce-cli containerd.io
