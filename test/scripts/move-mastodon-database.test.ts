/**
 * scripts/growth/move-mastodon-database.sh with a real Postgres (Debian's postgresql): two
 * throw-away clusters stand for the main host's and the database host's containers; `ssh` and
 * `docker exec` are stand-ins that run the command locally against the right cluster, so the
 * script's real pg_dump, pg_restore and psql calls move real data.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { REPO_ROOT } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const SCRIPT = join(REPO_ROOT, "scripts", "growth", "move-mastodon-database.sh");
const PG_LIB = "/usr/lib/postgresql";
const pgBin = existsSync(PG_LIB)
  ? readdirSync(PG_LIB)
      .map((v) => join(PG_LIB, v, "bin"))
      .find((d) => existsSync(join(d, "pg_ctl")))
  : undefined;
if (pgBin && !(process.env.PATH ?? "").includes(pgBin)) process.env.PATH = `${pgBin}:${process.env.PATH}`;
const withPostgres = withTool("pg_ctl", "postgresql");
const withShellcheck = withTool("shellcheck", "shellcheck");

// initdb refuses to run as root: the clusters and the script run as nobody then.
const NOBODY = 65534;
const asUser: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
const PORTS = { source: 54411, target: 54412 } as const;

describe("moving Mastodon's database between hosts", () => {
  let dir = "";
  let bin = "";
  const env = () => ({ ...process.env, PATH: `${bin}:${process.env.PATH}`, PGHOST: dir, HOME: dir });
  const sh = (script: string): SpawnSyncReturns<string> =>
    spawnSync("bash", ["-c", `set -euo pipefail\n${script}`], { ...asUser, cwd: dir, encoding: "utf8", env: env() });
  const sql = (side: keyof typeof PORTS, q: string) =>
    sh(`psql -p ${PORTS[side]} -U mastodon -d mastodon_production -v ON_ERROR_STOP=1 -qAt -c ${JSON.stringify(q)}`);
  const move = (from = "source", to = "target") =>
    spawnSync(SCRIPT, ["coop@198.51.100.2", from, "coop@198.51.100.3", to], { ...asUser, cwd: dir, encoding: "utf8", env: env() });

  beforeAll(() => {
    if (!pgBin) return;
    dir = mkdtempSync(join(tmpdir(), "coop-move-db-"));
    bin = join(dir, "bin");
    spawnSync("mkdir", ["-p", bin]);
    // ssh HOST CMD…: run CMD here. docker exec -i CONTAINER CMD…: run CMD against that container's cluster.
    writeFileSync(join(bin, "ssh"), '#!/bin/sh\nwhile [ "$1" = "-o" ]; do shift 2; done\nshift\nexec "$@"\n');
    writeFileSync(
      join(bin, "docker"),
      `#!/bin/sh\n[ "$1" = exec ] || exit 9\nshift\n[ "$1" = -i ] && shift\nc=$1\nshift\ncase $c in\n  source) PGPORT=${PORTS.source} ;;\n  target) PGPORT=${PORTS.target} ;;\n  *) echo "Error response from daemon: No such container: $c" >&2; exit 1 ;;\nesac\nexport PGPORT\nexec "$@"\n`,
    );
    for (const f of ["ssh", "docker"]) chmodSync(join(bin, f), 0o755);
    if (asUser.uid !== undefined) spawnSync("chown", ["-R", `${NOBODY}:${NOBODY}`, dir]);
    if (asUser.uid !== undefined) chownSync(dir, NOBODY, NOBODY);
    for (const [name, port] of Object.entries(PORTS)) {
      const r = sh(
        `initdb -D ${name} -U mastodon --auth=trust >/dev/null && pg_ctl -D ${name} -w -o "-k ${dir} -p ${port} -c listen_addresses=''" -l ${name}.log start >/dev/null && psql -p ${port} -U mastodon -d postgres -qc 'create database mastodon_production'`,
      );
      expect(r.stderr).toBe("");
    }
    // A little of Mastodon's shape: tables with foreign keys, sequences, an index, rows.
    const seed = sql(
      "source",
      [
        "create table accounts (id bigserial primary key, username text not null unique);",
        "create table statuses (id bigserial primary key, account_id bigint not null references accounts(id), text text);",
        "insert into accounts (username) select 'user' || g from generate_series(1, 50) g;",
        "insert into statuses (account_id, text) select 1 + g % 50, 'toot ' || g from generate_series(1, 500) g;",
      ].join(" "),
    );
    expect(seed.stderr).toBe("");
  });

  afterAll(() => {
    if (!dir) return;
    for (const name of Object.keys(PORTS)) sh(`pg_ctl -D ${name} -m fast stop >/dev/null || true`);
    rmSync(dir, { recursive: true, force: true });
  });

  withShellcheck("passes shellcheck at every severity", () => {
    const r = spawnSync("shellcheck", ["-S", "style", SCRIPT], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  withPostgres("refuses when the source cannot be read, and leaves the target untouched", () => {
    const r = move("no-such-container", "target");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/pg_dump on coop@198\.51\.100\.2 failed; nothing was changed on coop@198\.51\.100\.3/);
    expect(sql("target", "select count(*) from pg_tables where schemaname = 'public'").stdout.trim()).toBe("0");
  });

  withPostgres("moves every table, row and sequence, and checks the counts on both sides", () => {
    const r = move();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("moved: 2 tables, the same rows on both hosts");
    expect(sql("target", "select count(*) from statuses").stdout.trim()).toBe("500");
    // The sequences continue where the source's were: new toots do not collide with old ids.
    expect(sql("target", "select nextval('statuses_id_seq')").stdout.trim()).toBe("501");
    // Owned by the target's own user, as the restore ran.
    expect(sql("target", "select tableowner from pg_tables where tablename = 'accounts'").stdout.trim()).toBe("mastodon");
  });

  withPostgres("never restores into a database that already holds tables (a second run changes nothing)", () => {
    const before = sql("target", "select count(*) from statuses").stdout;
    const r = move();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/already holds 2 tables; nothing was changed/);
    expect(sql("target", "select count(*) from statuses").stdout).toBe(before);
  });
});
