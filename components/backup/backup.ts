/**
 * Backup: every night, the host saves what the services declared (Postgres dumps, Docker
 * volumes) with restic to a Hetzner Storage Box, keeps 7 daily / 4 weekly / 6 monthly
 * snapshots, and checks the repository weekly. A restore script sits beside it.
 *
 * At Hetzner: a Storage Box (SFTP on port 23, SSH on, Samba/WebDAV off, reachable only from
 * Hetzner's network), delete-protected at Hetzner and in Pulumi, with daily Storage Box
 * snapshots the host cannot delete. Generated here: the repository password (a Pulumi
 * secret, exported as a secret stack output: without it the backups cannot be read), the Box
 * password, and an ed25519 key the host logs in to the Box with.
 *
 * On the host, over SSH (not cloud-init, which would replace the server): the scripts, the
 * systemd service and timer, the login banner (one command whose text the governed view
 * shows in full), and the credentials (a second command that takes them on stdin and writes
 * root-only files). Both run again when their content changes or the server is replaced.
 */
import * as command from "@pulumi/command";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import type { StorageBoxLocation, StorageBoxTypeName } from "../../stacks/storage-boxes";
import { type CredentialPaths, type HostFile, credentialsStdin, renderCredentialsCommand, renderInstallFilesCommand } from "./install";
import { type Retention, renderBackupScript } from "./script";
import type { BackupItem, HostPaths, ResticSettings } from "./shell";
import { renderBackupService, renderBackupTimer, renderLoginBanner } from "./units";
import { DATA_DIR, DOCKER_DATA_ROOT } from "../host/cloud-init";
import type { BackupSource } from "../shared/interfaces";
import { checkedName } from "../shared/naming";
import { renderRestoreScript } from "./restore-script";

export interface BackupArgs {
  /** What every service asked to be saved. */
  readonly sources: readonly BackupSource[];
  readonly storageBoxType: StorageBoxTypeName;
  readonly storageBoxLocation: StorageBoxLocation;
  /** Daily snapshots of the whole Box kept by Hetzner; 0 for none. */
  readonly storageBoxSnapshots: number;
  /** Daily start, "HH:MM", host time (UTC). */
  readonly time: string;
  readonly keep: Retention;
  /** The host the backup runs on: how to reach its shell, and its server (a new server gets everything again). */
  readonly host: {
    readonly ssh: { readonly host: pulumi.Input<string>; readonly user: string; readonly ready: pulumi.Resource };
    readonly serverId: pulumi.Input<number>;
  };
  /** Prefix of names at Hetzner, unique to the co-op and stack; also restic's --host. */
  readonly namePrefix: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** A unit line that tells the admins when a run fails (components/alerts/units.ts ON_FAILURE); absent without alerts. */
  readonly onFailure?: string;
}

/** Where everything lives on the host. */
export const BACKUP_LAYOUT = {
  backupScript: "/usr/local/sbin/coop-backup",
  restoreScript: "/usr/local/sbin/coop-restore",
  service: "/etc/systemd/system/coop-backup.service",
  timer: "/etc/systemd/system/coop-backup.timer",
  banner: "/etc/update-motd.d/90-coop-backup",
  scratchDir: `${DATA_DIR}/restore`,
  paths: {
    volumesDir: `${DOCKER_DATA_ROOT}/volumes`,
    stateDir: "/var/lib/coop-backup",
    cacheDir: "/var/cache/coop-backup",
  } satisfies HostPaths,
  credentials: {
    configDir: "/etc/coop-backup",
    passwordFile: "/etc/coop-backup/restic-password",
    sshDir: "/etc/coop-backup/ssh",
    keyFile: "/etc/coop-backup/ssh/id_ed25519",
    sshConfigFile: "/etc/coop-backup/ssh/config",
    knownHostsFile: "/etc/coop-backup/ssh/known_hosts",
    hostAlias: "coop-storagebox",
  } satisfies CredentialPaths,
  /** The repository's directory in the Box's home. */
  repositoryPath: "restic",
} as const;

/** Sunday: the weekly `restic check`, after the night's backup. */
export const CHECK_WEEKDAY = 7;
/** The weekly check reads a twelfth of the stored data, so all of it every quarter. */
export const CHECK_DATA_PARTS = 12;
/** Storage Box snapshots are taken this many hours after the backup starts. */
const BOX_SNAPSHOT_DELAY_HOURS = 3;

export class Backup extends pulumi.ComponentResource {
  /** The repository password: without it no backup can be read. A secret. */
  readonly resticPassword: pulumi.Output<string>;
  /** The Storage Box's own password (Hetzner console, emergencies). A secret. */
  readonly storageBoxPassword: pulumi.Output<string>;
  readonly storageBoxServer: pulumi.Output<string>;
  readonly storageBoxUser: pulumi.Output<string>;
  /** The repository as restic names it from elsewhere: sftp:<user>@<server>:restic (port 23). */
  readonly repository: pulumi.Output<string>;

  constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:backup:Backup", name, {}, opts);
    if (args.sources.length === 0) {
      throw new Error(
        "backups are enabled but no service declared anything to back up: each service section in components/coop.ts must push its BackupSource before the backup section",
      );
    }
    const layout = BACKUP_LAYOUT;
    const creds = layout.credentials;
    const keep = { parent: this, protect: true };

    // Replacing either would lock the host out of its own backups: the repository is encrypted
    // with this password, and the Box accepts this key only (Hetzner cannot change a Box's keys).
    const resticPassword = new random.RandomPassword(`${name}-restic-password`, { length: 48, special: false }, keep);
    const sshKey = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, keep);

    // Hetzner's policy: 12–128 characters with upper, lower, digit and one of its specials.
    const boxPassword = new random.RandomPassword(
      `${name}-box-password`,
      { length: 40, special: true, overrideSpecial: "-_.,;:+=#*@", minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2 },
      { parent: this },
    );

    const box = new hcloud.StorageBox(
      `${name}-box`,
      {
        name: checkedName(`${args.namePrefix}-backup`),
        storageBoxType: args.storageBoxType,
        location: args.storageBoxLocation,
        password: boxPassword.result,
        // Trimmed: a trailing newline the API drops would show as a change that replaces the Box.
        sshKeys: [sshKey.publicKeyOpenssh.apply((k) => k.trim())],
        accessSettings: { sshEnabled: true, reachableExternally: false, sambaEnabled: false, webdavEnabled: false, zfsEnabled: false },
        snapshotPlan: args.storageBoxSnapshots > 0 ? snapshotPlan(args.time, args.storageBoxSnapshots) : undefined,
        deleteProtection: true,
        labels: { ...(args.labels ?? {}) },
      },
      keep,
    );

    const restic: ResticSettings = {
      repository: `sftp:${creds.hostAlias}:${layout.repositoryPath}`,
      sftpCommand: `ssh -F ${creds.sshConfigFile} ${creds.hostAlias} -s sftp`,
      passwordFile: creds.passwordFile,
      host: args.namePrefix,
    };
    const connection = { host: args.host.ssh.host, user: args.host.ssh.user, dialErrorLimit: 60, perDialTimeout: 20 };
    // No delete commands: when the server is replaced after a disaster, a delete step would have
    // to reach a server that is gone, and would hold up the recovery for as long as it retries.
    const onHost = { parent: this, dependsOn: [args.host.ssh.ready] };

    const credentials = new command.remote.Command(
      `${name}-credentials`,
      {
        connection,
        create: renderCredentialsCommand(creds),
        stdin: pulumi
          .all([resticPassword.result, box.username, box.server, sshKey.privateKeyOpenssh])
          .apply(([password, user, server, key]) =>
            credentialsStdin({ resticPassword: password, boxUser: user, boxServer: server, privateKeyOpenssh: key }),
          ),
        triggers: [args.host.serverId],
        addPreviousOutputInEnv: false,
      },
      onHost,
    );

    const files = pulumi.output(resolveSources(args.sources)).apply((items) => hostFiles(items, args, restic));
    new command.remote.Command(
      `${name}-files`,
      {
        connection,
        create: files.apply((f) => renderInstallFilesCommand(f, { timer: "coop-backup.timer" })),
        triggers: [args.host.serverId],
        addPreviousOutputInEnv: false,
      },
      { ...onHost, dependsOn: [args.host.ssh.ready, credentials] },
    );

    this.resticPassword = pulumi.secret(resticPassword.result);
    this.storageBoxPassword = pulumi.secret(boxPassword.result);
    this.storageBoxServer = box.server;
    this.storageBoxUser = box.username;
    this.repository = pulumi.interpolate`sftp:${box.username}@${box.server}:${layout.repositoryPath}`;
    this.registerOutputs({
      storageBoxServer: this.storageBoxServer,
      storageBoxUser: this.storageBoxUser,
      repository: this.repository,
      resticPassword: this.resticPassword,
      storageBoxPassword: this.storageBoxPassword,
    });
  }
}

/** The BackupSources with every Input resolved, in the order the services declared them. */
function resolveSources(sources: readonly BackupSource[]): pulumi.Output<BackupItem[]> {
  return pulumi.all(
    sources.map((s) =>
      pulumi
        .all([pulumi.all(s.postgres.map((p) => pulumi.all([p.container, p.database, p.user]))), pulumi.all([...s.volumes])])
        .apply(([dbs, volumes]) => ({
          service: s.service,
          databases: dbs.map(([container, database, user]) => ({ container, database, user })),
          volumes,
          before: [...(s.before ?? [])],
          after: [...(s.after ?? [])],
        })),
    ),
  );
}

/** Every file the backup puts on the host, rendered. */
export function hostFiles(
  items: readonly BackupItem[],
  args: Pick<BackupArgs, "keep" | "time" | "onFailure">,
  restic: ResticSettings,
): HostFile[] {
  const layout = BACKUP_LAYOUT;
  const units = {
    scriptPath: layout.backupScript,
    time: args.time,
    randomizedDelayMinutes: 10,
    dataDir: DATA_DIR,
    sshDir: layout.credentials.sshDir,
    stateDir: layout.paths.stateDir,
    cacheDir: layout.paths.cacheDir,
    onFailure: args.onFailure,
  };
  return [
    {
      path: layout.backupScript,
      mode: "0755",
      content: renderBackupScript({
        restic,
        paths: layout.paths,
        items,
        keep: args.keep,
        checkWeekday: CHECK_WEEKDAY,
        checkDataParts: CHECK_DATA_PARTS,
      }),
    },
    {
      path: layout.restoreScript,
      mode: "0755",
      content: renderRestoreScript({ restic, paths: layout.paths, items, scratchDir: layout.scratchDir }),
    },
    { path: layout.service, mode: "0644", content: renderBackupService(units) },
    { path: layout.timer, mode: "0644", content: renderBackupTimer(units) },
    { path: layout.banner, mode: "0755", content: renderLoginBanner({ stateDir: layout.paths.stateDir, staleHours: 36, drillDays: 120 }) },
  ];
}

/** Hetzner's daily snapshot of the Box, a few hours after the backup started (UTC, as the host). */
export function snapshotPlan(time: string, maxSnapshots: number): hcloud.types.input.StorageBoxSnapshotPlan {
  const [h, m] = time.split(":").map(Number);
  return { maxSnapshots, hour: (h + BOX_SNAPSHOT_DELAY_HOURS) % 24, minute: m };
}
