#!/bin/bash
# coop-mount-data: mounts the Hetzner volume at DATA_DIR, waiting for it to be attached. The
# volume is attached after the server is created, so on the first boot this waits for it;
# afterwards /etc/fstab mounts it by UUID. Installed by coop-infra's cloud-init
# (components/host/mount-data.sh, with the settings below).
set -euo pipefail

# @coop-infra-settings

if mountpoint -q "$DATA_DIR"; then
  exit 0
fi
devices=()
for _ in $(seq 1 180); do
  shopt -s nullglob
  devices=(/dev/disk/by-id/scsi-0HC_Volume_*)
  shopt -u nullglob
  if [ "${#devices[@]}" -gt 0 ]; then
    break
  fi
  sleep 5
done
if [ "${#devices[@]}" -ne 1 ]; then
  echo "coop-mount-data: expected exactly one Hetzner volume, found ${#devices[@]}" >&2
  exit 1
fi
uuid=$(blkid -s UUID -o value "${devices[0]}")
if [ -z "$uuid" ]; then
  echo "coop-mount-data: ${devices[0]} has no file system" >&2
  exit 1
fi
mkdir -p "$DATA_DIR"
if ! grep -q "UUID=$uuid" /etc/fstab; then
  echo "UUID=$uuid $DATA_DIR ext4 defaults,discard,nofail 0 2" >> /etc/fstab
fi
systemctl daemon-reload
mount "$DATA_DIR"
