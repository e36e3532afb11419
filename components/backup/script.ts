/**
 * The nightly backup script (/usr/local/sbin/coop-backup): components/backup/backup.sh, with the
 * settings rendered from what the services declared. Pure: the same arguments render the same
 * text, so the governed view changes only when the spec, a service's backup source or the
 * script itself does. Why the script is shaped the way it is: its own header.
 */
import { renderScript, shq } from "../shared/assets";
import { type BackupItem, type HostPaths, type ResticSettings, commonPart, renderSettings } from "./shell";

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
  const { keep } = args;
  if (!Number.isInteger(args.checkWeekday) || args.checkWeekday < 1 || args.checkWeekday > 7)
    throw new Error("checkWeekday must be 1 (Monday) … 7 (Sunday)");
  if (!Number.isInteger(args.checkDataParts) || args.checkDataParts < 1) throw new Error("checkDataParts must be a positive integer");
  for (const [k, v] of Object.entries(keep)) if (!Number.isInteger(v) || v < 0) throw new Error(`keep.${k} must be a whole number ≥ 0`);
  if (keep.daily < 1) throw new Error("keep.daily must be at least 1, or retention would delete tonight's backup");

  return renderScript("backup/backup.sh", [
    ...renderSettings(args.restic, args.paths, args.items, [
      `readonly CHECK_WEEKDAY=${args.checkWeekday}`,
      `readonly CHECK_DATA_PARTS=${args.checkDataParts}`,
      `readonly KEEP_DAILY=${keep.daily}`,
      `readonly KEEP_WEEKLY=${keep.weekly}`,
      `readonly KEEP_MONTHLY=${keep.monthly}`,
      `readonly DUMP_TRAILER=${shq(DUMP_TRAILER)}`,
      `readonly CLUSTER_TRAILER=${shq(CLUSTER_DUMP_TRAILER)}`,
    ]),
    "",
    commonPart(),
  ]);
}
