/**
 * The restore script (/usr/local/sbin/coop-restore): components/backup/restore.sh, with the same
 * settings as the backup script (so it knows every service's volumes, databases and maintenance
 * commands) and where it stages data. Pure, like the other renderers; what it does and in which
 * order: its own header.
 */
import { renderScript, shq } from "../shared/assets";
import { type BackupItem, type HostPaths, type ResticSettings, commonPart, renderSettings } from "./shell";

export interface RestoreScriptArgs {
  readonly restic: ResticSettings;
  readonly paths: HostPaths;
  readonly items: readonly BackupItem[];
  /**
   * Where drills and in-place restores stage data: on the data volume (it has the room) and on
   * the same file system as Docker's volumes, so swapping a restored directory in is a rename.
   */
  readonly scratchDir: string;
}

export function renderRestoreScript(args: RestoreScriptArgs): string {
  return renderScript("backup/restore.sh", [
    ...renderSettings(args.restic, args.paths, args.items, [`readonly SCRATCH_DIR=${shq(args.scratchDir)}`]),
    "",
    commonPart(),
  ]);
}
