/**
 * What the backup and restore scripts share: where the repository is, how restic is called,
 * where volumes live on the host, and the validation that keeps every value that is pasted into
 * a script inert. The scripts themselves are components/backup/*.sh; this renders their data.
 * Pure: no Pulumi, and no I/O beyond reading the scripts that ship with it.
 */
import { readAsset, shq } from "../shared/assets";

/** Where restic keeps the co-op's backups, and how the scripts reach it. */
export interface ResticSettings {
  /** restic repository, e.g. "sftp:coop-storagebox:restic" (a directory in tests). */
  readonly repository: string;
  /** The SSH command restic's SFTP backend runs (port, key, known hosts); absent for a local repository. */
  readonly sftpCommand?: string;
  /** Root-only file holding the repository password; the scripts never see the password itself. */
  readonly passwordFile: string;
  /**
   * restic's --host for every snapshot. Fixed per stack rather than taken from the machine, so
   * a server rebuilt after a disaster continues the same snapshot history.
   */
  readonly host: string;
}

/** Where things are on the host. */
export interface HostPaths {
  /** Docker's named volumes: <volumesDir>/<name>/_data. */
  readonly volumesDir: string;
  /** Run status for the login banner (last success, last failure). */
  readonly stateDir: string;
  /** restic's local cache of repository metadata. */
  readonly cacheDir: string;
}

/** One service's share of the backup, with every value resolved. */
export interface BackupItem {
  readonly service: string;
  readonly databases: ReadonlyArray<{ readonly container: string; readonly database: string; readonly user: string }>;
  readonly volumes: readonly string[];
  readonly before: readonly string[];
  readonly after: readonly string[];
}

const SERVICE = /^[a-z][a-z0-9-]{0,30}$/;
/** Docker's own rule for container and volume names. */
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
/** Postgres role and database names as the services create them (unquoted identifiers). */
const PG_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks that every name can be pasted into the scripts and file names as is. */
export function validateItems(items: readonly BackupItem[]): void {
  const seen = new Set<string>();
  const volumes = new Map<string, string>();
  for (const item of items) {
    const where = `backup source '${item.service}'`;
    if (!SERVICE.test(item.service)) throw new Error(`${where}: the service name must be lower-case letters, digits and hyphens`);
    if (seen.has(item.service)) throw new Error(`${where} is declared twice; each service pushes one BackupSource`);
    seen.add(item.service);
    if (item.databases.length === 0 && item.volumes.length === 0) throw new Error(`${where} saves nothing: give it a database or a volume`);
    const dbs = new Set<string>();
    for (const d of item.databases) {
      if (!DOCKER_NAME.test(d.container)) throw new Error(`${where}: '${d.container}' is not a Docker container name`);
      if (!PG_NAME.test(d.database)) throw new Error(`${where}: '${d.database}' is not a plain Postgres database name`);
      if (!PG_NAME.test(d.user)) throw new Error(`${where}: '${d.user}' is not a plain Postgres role name`);
      if (dbs.has(d.database)) throw new Error(`${where}: database '${d.database}' is listed twice`);
      dbs.add(d.database);
    }
    for (const v of item.volumes) {
      if (!DOCKER_NAME.test(v)) throw new Error(`${where}: '${v}' is not a Docker volume name`);
      const other = volumes.get(v);
      if (other) throw new Error(`${where}: volume '${v}' is already saved by '${other}'`);
      volumes.set(v, item.service);
    }
    for (const c of [...item.before, ...item.after]) {
      if (c.trim() === "" || /[\n\r]/.test(c))
        throw new Error(`${where}: each before/after entry must be one command on one line, got ${JSON.stringify(c)}`);
    }
  }
}

/** The name of a shell function for a service: hyphens are not portable in function names. */
export function fnName(prefix: string, service: string): string {
  return `${prefix}_${service.replace(/-/g, "_")}`;
}

/**
 * The settings both scripts start with (components/backup/common.sh reads them): where the
 * repository is, how restic reaches it, where volumes live, and every service's volumes,
 * databases and consistency window. Data only, each value quoted; the logic is in the .sh files.
 */
export function renderSettings(
  restic: ResticSettings,
  paths: HostPaths,
  items: readonly BackupItem[],
  /** The script's own settings lines (already quoted), placed after the common ones. */
  own: readonly string[] = [],
): string[] {
  validateItems(items);
  const options = restic.sftpCommand ? `(-o ${shq(`sftp.command=${restic.sftpCommand}`)})` : "()";
  const map = (name: string, value: (i: BackupItem) => string) =>
    `declare -rA ${name}=(${items.map((i) => `[${shq(i.service)}]=${shq(value(i))}`).join(" ")})`;
  return [
    "# Rendered by coop-infra from the stack spec and the services' backup sources.",
    `readonly BACKUP_HOST=${shq(restic.host)}`,
    `export RESTIC_REPOSITORY=${shq(restic.repository)}`,
    `export RESTIC_PASSWORD_FILE=${shq(restic.passwordFile)}`,
    `export RESTIC_CACHE_DIR=${shq(paths.cacheDir)}`,
    `readonly VOLUMES_DIR=${shq(paths.volumesDir)}`,
    `readonly STATE_DIR=${shq(paths.stateDir)}`,
    `readonly -a RESTIC_OPTIONS=${options}`,
    ...own,
    `readonly -a SERVICES=(${items.map((i) => shq(i.service)).join(" ")})`,
    map("SERVICE_VOLUMES", (i) => i.volumes.join(" ")),
    map("SERVICE_DATABASES", (i) => i.databases.map((d) => `${d.container} ${d.database} ${d.user}`).join("\n")),
    ...items.filter(hasConsistencyWindow).flatMap((i) => ["", renderWindowFunctions(i)]),
  ];
}

/** The part both scripts share (logging, restic, the data accessors), after the settings. */
export function commonPart(): string {
  // Its shellcheck directive is for checking the file alone; the scripts have their shebang.
  return readAsset("backup/common.sh").replace(/^# shellcheck shell=bash\n/, "");
}

/** Whether a service asks for commands around its copy (e.g. Nextcloud's maintenance mode). */
export function hasConsistencyWindow(item: BackupItem): boolean {
  return item.before.length > 0 || item.after.length > 0;
}

/**
 * before_<service> stops at the first failing command; after_<service> runs every command
 * (each one undoes part of the "before") and fails if any did. Both are called where bash
 * suspends `set -e`, so each command checks its own result.
 */
export function renderWindowFunctions(item: BackupItem): string {
  const s = item.service;
  return [
    `${fnName("before", s)}() {`,
    ...(item.before.length ? item.before.map((c) => `  ${c} || return 1`) : ["  :"]),
    "}",
    "",
    `${fnName("after", s)}() {`,
    "  local ok=0",
    ...item.after.map((c) => `  ${c} || { err ${shq(`${s}: failed: ${c}`)}; ok=1; }`),
    '  return "$ok"',
    "}",
  ].join("\n");
}
