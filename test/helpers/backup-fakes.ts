/**
 * Running the rendered backup and restore scripts for real, with small stand-ins for `docker`
 * (and, where a test says so, `restic`, `date`, `systemctl`, `sudo`) first on PATH. Each
 * stand-in appends the command line it got to a log, one line per call, so tests can assert
 * what the script did and in which order.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BackupItem, HostPaths, ResticSettings } from "../../components/backup/shell";

export const ITEMS: BackupItem[] = [
  {
    service: "mastodon",
    databases: [{ container: "t-mastodon-db", database: "mastodon_production", user: "mastodon" }],
    volumes: ["t-mastodon-media"],
    before: [],
    after: [],
  },
  {
    service: "nextcloud",
    databases: [{ container: "t-nextcloud-db", database: "nextcloud", user: "nextcloud" }],
    volumes: ["t-nextcloud-html"],
    before: ["docker exec -u www-data t-nextcloud-app php occ maintenance:mode --on"],
    after: ["docker exec -u www-data t-nextcloud-app php occ maintenance:mode --off"],
  },
  { service: "mail", databases: [], volumes: ["t-mail-data", "t-mail-state"], before: [], after: [] },
];

/** A dump as pg_dump (≥ 17.6 / 16.10 / 15.14) writes it: the trailer, then \unrestrict. */
export const COMPLETE_DUMP =
  "CREATE TABLE t (id int);\nCOPY t (id) FROM stdin;\n1\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict Zx9\n\n";

/** What `pg_dumpall --globals-only` writes (Postgres 15+): every role, the superuser included, then the trailer. */
export const COMPLETE_GLOBALS = [
  "--\n-- PostgreSQL database cluster dump\n--\n\n\\restrict Ab1\n\nSET default_transaction_read_only = off;\n\n",
  "CREATE ROLE nextcloud;\nALTER ROLE nextcloud WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:aa==$bb=:cc=';\n",
  "CREATE ROLE oc_admin;\nALTER ROLE oc_admin WITH NOSUPERUSER INHERIT NOCREATEROLE CREATEDB LOGIN NOREPLICATION NOBYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:dd==$ee=:ff=';\n",
  'CREATE ROLE "oc_ada.b";\n',
  "\n\\unrestrict Ab1\n\n--\n-- PostgreSQL database cluster dump complete\n--\n\n",
].join("");

/**
 * The fake docker. Environment knobs: FAKE_DUMP_FAIL=<container> makes that pg_dump die half-way
 * (exit 1); FAKE_DUMP_CUT=<container> makes it stop half-way but exit 0; FAKE_GLOBALS_FAIL=<container>
 * makes that pg_dumpall fail; FAKE_BEFORE_FAIL=1 makes maintenance-mode-on fail. `exec -i … psql`
 * appends its stdin to loaded-<container>.sql; the roles query answers FAKE_ROLES (default: the
 * container's superuser, nextcloud or mastodon).
 */
const FAKE_DOCKER = `#!/bin/bash
echo "docker $*" >>"$FAKE_LOG"
case "$*" in
  "exec "*pg_dumpall*)
    if [ "\${FAKE_GLOBALS_FAIL:-}" = "$2" ]; then echo "pg_dumpall: error: connection lost" >&2; exit 1; fi
    cat "$FAKE_DIR/globals.sql" ;;
  *"select rolname from pg_roles"*)
    printf '%s\\n' "\${FAKE_ROLES:-pg_monitor}"
    case "$*" in *mastodon*) echo mastodon ;; *) echo nextcloud ;; esac ;;
  "exec "*pg_dump*)
    if [ "\${FAKE_DUMP_FAIL:-}" = "$2" ]; then printf 'CREATE TABLE t (id int);\\n'; echo "pg_dump: error: connection lost" >&2; exit 1; fi
    if [ "\${FAKE_DUMP_CUT:-}" = "$2" ]; then printf 'CREATE TABLE t (id int);\\n'; exit 0; fi
    cat "$FAKE_DIR/dump.sql" ;;
  *"maintenance:mode --on"*) [ -z "\${FAKE_BEFORE_FAIL:-}" ] || exit 1 ;;
  "exec -i "*psql*) cat >>"$FAKE_DIR/loaded-$3.sql" ;;
  "ps -q --filter volume="*)
    case "$*" in
      *t-nextcloud-html*) printf 'aaa111\\nbbb222\\n' ;;
      *t-mastodon-media*) printf 'ccc333\\n' ;;
      *t-mail-*) printf 'eee555\\n' ;;
    esac ;;
  "inspect --format {{range"*t-nextcloud-db) echo "t-nextcloud-net bridge " ;;
  "inspect --format {{range"*t-mastodon-db) echo "t-mastodon-net " ;;
  "network inspect"*t-nextcloud-net) echo "aaa111 ddd444 " ;;
  "network inspect"*t-mastodon-net) echo "ccc333 fff666 " ;;
  "network inspect"*) echo "unexpected network: $*" >&2; exit 1 ;;
  "inspect --format {{.Name}} aaa111") echo /t-nextcloud-app ;;
  "inspect --format {{.Name}} bbb222") echo /t-nextcloud-cron ;;
  "inspect --format {{.Name}} ccc333") echo /t-mastodon-web ;;
  "inspect --format {{.Name}} ddd444") echo /t-nextcloud-db ;;
  "inspect --format {{.Name}} eee555") echo /t-mail ;;
  "inspect --format {{.Name}} fff666") echo /t-mastodon-db ;;
  "inspect --format {{.Config.Image}}"*) echo postgres:18-alpine ;;
  "exec -i coop-restore-drill-"*) cat >/dev/null ;;
  *"select count(*)"*) echo 7 ;;
esac
exit 0
`;

/**
 * The fake restic: logs its arguments, swallows stdin for --stdin backups (saving it as
 * stdin-<n>.txt) and prints a JSON summary with snapshot id 5eed<n>. FAKE_RESTIC_VOLUMES_EXIT
 * makes file backups exit with that code; FAKE_RESTIC_HANG_ON=<text> makes a file backup whose
 * arguments contain the text hang (to be interrupted); FAKE_RESTIC_RESTORE_EXIT makes restores fail.
 * FAKE_RESTIC_VERSION=0.18.0 makes it refuse a --stdin-filename with a directory in it, as restic
 * 0.18.0 does ("Fatal: unable to save snapshot: open /var: no such file or directory",
 * restic#5324, fixed in 0.18.1; restic 0.14 to 0.17 and 0.18.1 accept it).
 */
const FAKE_RESTIC = `#!/bin/bash
echo "restic $*" >>"$FAKE_LOG"
while [ "\${1:-}" = "-o" ]; do shift 2; done
case "$1" in
  backup)
    with_directory=' --stdin-filename /?([^/ ]+)/'
    if [ "\${FAKE_RESTIC_VERSION:-}" = "0.18.0" ] && [[ " $* " =~ $with_directory ]]; then
      echo "Fatal: unable to save snapshot: open /\${BASH_REMATCH[1]}: no such file or directory" >&2
      exit 1
    fi
    if [[ " $* " == *" --stdin "* ]]; then
      n=$(ls "$FAKE_DIR" | grep -c '^stdin-' || true)
      cat >"$FAKE_DIR/stdin-$n.txt"
      echo '{"message_type":"summary","files_new":1,"snapshot_id":"5eed'"$n"'"}'
      exit 0
    fi
    if [ -n "\${FAKE_RESTIC_HANG_ON:-}" ] && [[ "$*" == *"$FAKE_RESTIC_HANG_ON"* ]]; then sleep 30; fi
    exit "\${FAKE_RESTIC_VOLUMES_EXIT:-0}" ;;
  restore) exit "\${FAKE_RESTIC_RESTORE_EXIT:-0}" ;;
esac
exit 0
`;

/** `date +%u` and `date +%V` answer FAKE_WEEKDAY and FAKE_WEEK; everything else goes to date. */
const FAKE_DATE = `#!/bin/bash
case "$*" in
  +%u) echo "\${FAKE_WEEKDAY:-3}" ;;
  +%V) echo "\${FAKE_WEEK:-09}" ;;
  *) exec /bin/date "$@" ;;
esac
`;

const FAKE_SYSTEMCTL = `#!/bin/bash
echo "systemctl $*" >>"$FAKE_LOG"
case "$*" in "show -P ActiveState coop-backup.service") if [ "\${FAKE_BACKUP_ACTIVE:-3}" = 0 ]; then echo activating; else echo inactive; fi; exit 0 ;; esac
exit 0
`;

/** Runs the command as the current user, as root's sudo would (the tests write under a temp root). */
const FAKE_SUDO = `#!/bin/bash
echo "sudo $*" >>"$FAKE_LOG"
exec "$@"
`;

export type Fake = "docker" | "restic" | "date" | "systemctl" | "sudo";
const FAKES: Record<Fake, string> = {
  docker: FAKE_DOCKER,
  restic: FAKE_RESTIC,
  date: FAKE_DATE,
  systemctl: FAKE_SYSTEMCTL,
  sudo: FAKE_SUDO,
};

export interface Sandbox {
  readonly dir: string;
  readonly bin: string;
  readonly log: string;
  readonly paths: HostPaths;
  readonly scratchDir: string;
  readonly passwordFile: string;
  restic(local: boolean): ResticSettings;
  /** Writes a script into the sandbox and returns its path. */
  script(name: string, text: string): string;
  run(script: string, args?: string[], env?: NodeJS.ProcessEnv): RunResult;
  /**
   * Starts the script in its own process group and, once `when` holds for the calls so far,
   * sends SIGTERM to the whole group, as systemd does on a timeout or shutdown.
   */
  runAndStop(script: string, when: (calls: string[]) => boolean, env?: NodeJS.ProcessEnv): Promise<RunResult & { stopped: boolean }>;
  calls(): string[];
  clearCalls(): void;
  cleanup(): void;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function sandbox(fakes: readonly Fake[]): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "coop-backup-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const f of fakes) {
    writeFileSync(join(bin, f), FAKES[f]);
    chmodSync(join(bin, f), 0o755);
  }
  const paths: HostPaths = { volumesDir: join(dir, "volumes"), stateDir: join(dir, "state"), cacheDir: join(dir, "cache") };
  for (const item of ITEMS) {
    for (const v of item.volumes) {
      mkdirSync(join(paths.volumesDir, v, "_data", "sub"), { recursive: true });
      writeFileSync(join(paths.volumesDir, v, "_data", "sub", "file.txt"), `${v}\n`);
      writeFileSync(join(paths.volumesDir, v, "_data", "top.txt"), `top of ${v}\n`);
    }
  }
  writeFileSync(join(dir, "dump.sql"), COMPLETE_DUMP);
  writeFileSync(join(dir, "globals.sql"), COMPLETE_GLOBALS);
  const passwordFile = join(dir, "restic-password");
  writeFileSync(passwordFile, "correct horse battery staple, but longer than this\n", { mode: 0o600 });
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  const env = (extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    FAKE_LOG: log,
    FAKE_DIR: dir,
    JOURNAL_STREAM: "",
    ...extra,
  });
  return {
    dir,
    bin,
    log,
    paths,
    scratchDir: join(dir, "scratch"),
    passwordFile,
    restic: (local) => ({
      repository: local ? join(dir, "repo") : "sftp:coop-storagebox:restic",
      ...(local ? {} : { sftpCommand: "ssh -F /etc/coop-backup/ssh/config coop-storagebox -s sftp" }),
      passwordFile,
      host: "test-host",
    }),
    script(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      chmodSync(p, 0o755);
      return p;
    },
    run(script, args = [], extra) {
      const r = spawnSync(script, args, { env: env(extra), encoding: "utf8", timeout: 60_000 });
      return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
    },
    runAndStop(script, when, extra) {
      return new Promise((resolve) => {
        const child = spawn(script, [], { env: env(extra), detached: true });
        let stdout = "";
        let stderr = "";
        let stopped = false;
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const poll = setInterval(() => {
          if (!stopped && when(readCalls(log))) {
            stopped = true;
            process.kill(-child.pid!, "SIGTERM");
          }
        }, 50);
        child.on("close", (code, signal) => {
          clearInterval(poll);
          resolve({ code, signal, stdout, stderr, stopped });
        });
      });
    },
    calls: () => readCalls(log),
    clearCalls: () => writeFileSync(log, ""),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function readCalls(log: string): string[] {
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
}
