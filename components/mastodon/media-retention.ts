/**
 * How long Mastodon keeps other servers' media and link previews (objectStorage.remoteMediaDays,
 * previewCardDays): a systemd timer on the main host runs `tootctl media remove` and
 * `tootctl preview_cards remove` every night (Mastodon's tootctl documentation). The co-op's own
 * uploads are never touched by either; what is removed is fetched again when someone looks.
 *
 * Why a timer from the spec and not only Mastodon's admin setting "Media cache retention
 * period" (Administration → Server settings → Content retention): that setting lives in the
 * database, outside the plan the members approve, and is empty by default — the cache then
 * grows without end (issue 17: 62 GB of cache). The timer makes the retention part of the
 * governed state; an admin may still set a shorter period in the web interface.
 */
import { type HostFile, renderInstallFilesCommand } from "../backup/install";

export const MEDIA_RETENTION_UNITS = {
  service: "/etc/systemd/system/coop-mastodon-media-retention.service",
  timer: "/etc/systemd/system/coop-mastodon-media-retention.timer",
} as const;

export interface MediaRetentionArgs {
  /** The container tootctl runs in (Mastodon's web). */
  readonly webContainer: string;
  readonly remoteMediaDays: number;
  readonly previewCardDays: number;
}

const CONTAINER = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

export function renderMediaRetentionService(a: MediaRetentionArgs): string {
  if (!CONTAINER.test(a.webContainer)) throw new Error(`'${a.webContainer}' is not a container name`);
  for (const [k, v] of [
    ["remoteMediaDays", a.remoteMediaDays],
    ["previewCardDays", a.previewCardDays],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a whole number of days`);
  return `# Rendered by coop-infra from objectStorage.remoteMediaDays and previewCardDays in the stack spec.
# Run by coop-mastodon-media-retention.timer; by hand: sudo systemctl start coop-mastodon-media-retention.service
[Unit]
Description=Drop Mastodon's cache of other servers' media and link previews past their retention
Wants=network-online.target
After=network-online.target docker.service

[Service]
Type=oneshot
# Remote media older than ${a.remoteMediaDays} days (the co-op's own uploads are never removed).
ExecStart=/usr/bin/docker exec ${a.webContainer} tootctl media remove --days ${a.remoteMediaDays}
# Link preview images older than ${a.previewCardDays} days.
ExecStart=/usr/bin/docker exec ${a.webContainer} tootctl preview_cards remove --days ${a.previewCardDays}
SyslogIdentifier=coop-mastodon-media-retention
Nice=10
TimeoutStartSec=6h
`;
}

/** Nightly, before the backup's usual 03:30 so it does not compete with it for the bucket. */
export function renderMediaRetentionTimer(): string {
  return `# Rendered by coop-infra.
[Unit]
Description=Nightly retention of Mastodon's media cache

[Timer]
OnCalendar=*-*-* 01:45:00
RandomizedDelaySec=30min
Persistent=true

[Install]
WantedBy=timers.target
`;
}

export function renderMediaRetentionCommand(a: MediaRetentionArgs, opts: { root?: string } = {}): string {
  const files: HostFile[] = [
    { path: MEDIA_RETENTION_UNITS.service, mode: "0644", content: renderMediaRetentionService(a) },
    { path: MEDIA_RETENTION_UNITS.timer, mode: "0644", content: renderMediaRetentionTimer() },
  ];
  return renderInstallFilesCommand(
    files,
    { timer: "coop-mastodon-media-retention.timer" },
    { ...opts, heading: "install the retention of Mastodon's media cache" },
  );
}
