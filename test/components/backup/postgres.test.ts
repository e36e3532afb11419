/**
 * The roles dump and its restore with a real Postgres (Debian's postgresql package): the
 * Nextcloud installer's own role owns the tables, so a database dump alone does not load into
 * a fresh cluster; the roles saved by the backup (pg_dumpall --globals-only), filtered by the
 * restore script's without_roles, make it load, with the password hash config.php needs.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { CLUSTER_DUMP_TRAILER, DUMP_TRAILER } from "../../../components/backup/script";
import { renderRestoreScript } from "../../../components/backup/restore-script";
import { ITEMS } from "../../helpers/backup-fakes";
import { withTool } from "../../helpers/tools";

// Debian keeps the server programs off PATH, under /usr/lib/postgresql/<major>/bin.
const PG_LIB = "/usr/lib/postgresql";
const pgBin = existsSync(PG_LIB)
  ? readdirSync(PG_LIB)
      .map((v) => join(PG_LIB, v, "bin"))
      .find((d) => existsSync(join(d, "pg_ctl")))
  : undefined;
if (pgBin && !(process.env.PATH ?? "").includes(pgBin)) process.env.PATH = `${pgBin}:${process.env.PATH}`;
const withPostgres = withTool("pg_ctl", "postgresql");

// initdb refuses to run as root: run the server as nobody when the tests run as root.
const NOBODY = 65534;
const asUser: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};

const restoreText = renderRestoreScript({
  restic: { repository: "/nonexistent", passwordFile: "/nonexistent", host: "t" },
  paths: { volumesDir: "/v", stateDir: "/s", cacheDir: "/c" },
  items: ITEMS,
  scratchDir: "/r",
});
/** The restore script's own without_roles function, as the host runs it. */
const withoutRoles = /\nwithout_roles\(\) \{\n[\s\S]*?\n\}\n/.exec(restoreText)?.[0] ?? "";

describe("roles and databases through a real Postgres", () => {
  let dir = "";
  const sh = (script: string, input?: string): SpawnSyncReturns<string> =>
    spawnSync("bash", ["-c", `set -euo pipefail\n${script}`], {
      ...asUser,
      cwd: dir,
      input,
      encoding: "utf8",
      env: { ...process.env, PGHOST: dir },
    });
  const cluster = (name: string, port: number) => ({
    start: () =>
      sh(
        `initdb -D ${name} -U nextcloud --auth=trust >/dev/null && pg_ctl -D ${name} -w -o "-k ${dir} -p ${port} -c listen_addresses=''" -l ${name}.log start >/dev/null`,
      ),
    stop: () => sh(`pg_ctl -D ${name} -m fast stop >/dev/null`),
    /** As the restore script loads: ON_ERROR_STOP, one transaction. */
    psql: (db: string, sql: string, input?: string) =>
      sh(
        `psql -p ${port} -U nextcloud -d ${db} -v ON_ERROR_STOP=1 --single-transaction -qAt ${sql ? `-c ${JSON.stringify(sql)}` : ""}`,
        input,
      ),
    /** Outside a transaction (CREATE DATABASE). */
    run: (sql: string) => sh(`psql -p ${port} -U nextcloud -d postgres -v ON_ERROR_STOP=1 -qAt -c ${JSON.stringify(sql)}`),
  });
  const live = cluster("live", 54391);
  const fresh = cluster("fresh", 54392);
  const other = cluster("other", 54393);
  let globals = "";
  let dump = "";

  beforeAll(() => {
    if (!pgBin) return;
    dir = mkdtempSync(join(tmpdir(), "coop-pg-"));
    if (asUser.uid !== undefined) chownSync(dir, NOBODY, NOBODY);
    for (const c of [live, fresh, other]) expect(c.start().stderr).toBe("");
    // As the image and Nextcloud's installer leave it: database owned by the image's superuser,
    // tables owned by the installer's own role, whose password is in config.php.
    expect(live.run("create database nextcloud").stderr).toBe("");
    expect(live.psql("postgres", "create role oc_admin login createdb password 'from-config-php'").status).toBe(0);
    expect(
      live.psql(
        "nextcloud",
        "create table oc_filecache (id int); insert into oc_filecache values (1), (2); alter table oc_filecache owner to oc_admin",
      ).status,
    ).toBe(0);
    const g = sh("pg_dumpall -p 54391 -U nextcloud --no-password --globals-only");
    const d = sh("pg_dump -p 54391 -U nextcloud --no-password --clean --if-exists nextcloud");
    expect(g.status).toBe(0);
    expect(d.status).toBe(0);
    globals = g.stdout;
    dump = d.stdout;
    for (const c of [fresh, other]) expect(c.run("create database nextcloud").stderr).toBe("");
  }, 60_000);

  afterAll(() => {
    if (!dir) return;
    for (const c of [live, fresh, other]) c.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  withPostgres("pg_dumpall and pg_dump end with the trailers the backup checks for", () => {
    const tail = (text: string, trailer: string) => text.split("\n").length - 1 - text.split("\n").lastIndexOf(trailer);
    expect(tail(globals, CLUSTER_DUMP_TRAILER)).toBeLessThanOrEqual(8);
    expect(tail(dump, DUMP_TRAILER)).toBeLessThanOrEqual(8);
    expect(globals).toContain("CREATE ROLE oc_admin;");
  });

  withPostgres("without the roles, the dump does not load into a fresh Postgres (the bug this fixes)", () => {
    const r = other.psql("nextcloud", "", dump);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('role "oc_admin" does not exist');
  });

  withPostgres("with the roles restored first, it loads with ON_ERROR_STOP, owned by the same role with the same password", () => {
    expect(withoutRoles).toContain("without_roles()");
    const roles = fresh.psql("postgres", "select rolname from pg_roles").stdout;
    const filtered = sh(`${withoutRoles}\nwithout_roles ${JSON.stringify(roles)}`, globals);
    expect(filtered.status).toBe(0);
    expect(filtered.stdout).not.toContain("CREATE ROLE nextcloud;");
    expect(filtered.stdout).toContain("CREATE ROLE oc_admin;");
    const loadRoles = fresh.psql("postgres", "", filtered.stdout);
    expect(loadRoles.stderr).toBe("");
    expect(loadRoles.status).toBe(0);
    const loadDump = fresh.psql("nextcloud", "", dump);
    expect(loadDump.stderr).toBe("");
    expect(loadDump.status).toBe(0);
    expect(
      fresh
        .psql(
          "nextcloud",
          "select tableowner || ' ' || (select count(*) from oc_filecache) from pg_tables where tablename = 'oc_filecache'",
        )
        .stdout.trim(),
    ).toBe("oc_admin 2");
    const hash = (c: typeof live) => c.psql("postgres", "select rolpassword from pg_authid where rolname = 'oc_admin'").stdout.trim();
    expect(hash(fresh)).toMatch(/^SCRAM-SHA-256\$/);
    expect(hash(fresh)).toBe(hash(live));
  });

  withPostgres("loads again into a live Postgres that has the roles already (an in-place restore)", () => {
    const roles = live.psql("postgres", "select rolname from pg_roles").stdout;
    const filtered = sh(`${withoutRoles}\nwithout_roles ${JSON.stringify(roles)}`, globals);
    expect(filtered.stdout).not.toContain("CREATE ROLE oc_admin;");
    const r = live.psql("postgres", "", filtered.stdout);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(live.psql("nextcloud", "", dump).status).toBe(0);
  });
});
