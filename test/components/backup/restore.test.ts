import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { renderBackupScript } from "../../../components/backup/script";
import { renderRestoreScript } from "../../../components/backup/restore-script";
import { COMPLETE_DUMP, COMPLETE_GLOBALS, ITEMS, type Sandbox, sandbox } from "../../helpers/backup-fakes";
import { withTool } from "../../helpers/tools";

const HOST_TEXT = renderRestoreScript({
  restic: {
    repository: "sftp:coop-storagebox:restic",
    sftpCommand: "ssh -F /etc/coop-backup/ssh/config coop-storagebox -s sftp",
    passwordFile: "/etc/coop-backup/restic-password",
    host: "example",
  },
  paths: { volumesDir: "/srv/coop/docker/volumes", stateDir: "/var/lib/coop-backup", cacheDir: "/var/cache/coop-backup" },
  items: ITEMS,
  scratchDir: "/srv/coop/restore",
});

const indexOf = (calls: string[], needle: string) => calls.findIndex((c) => c.includes(needle));

describe("the rendered restore script", () => {
  withTool("shellcheck", "shellcheck")("passes shellcheck", () => {
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: HOST_TEXT, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("stops on any error and knows every service's volumes and databases", () => {
    expect(HOST_TEXT.split("\n").find((l) => l !== "" && !l.startsWith("#"))).toBe("set -euo pipefail");
    expect(HOST_TEXT).toContain("['nextcloud']='t-nextcloud-html'");
    expect(HOST_TEXT).toContain("['mastodon']='t-mastodon-db mastodon_production mastodon'");
    expect(HOST_TEXT).toMatch(/^before_nextcloud\(\) \{$/m);
  });
});

describe("coop-restore, refusing what it must not do", () => {
  let box: Sandbox;
  let script: string;
  beforeAll(() => {
    box = sandbox(["docker", "restic", "systemctl"]);
    script = box.script(
      "coop-restore",
      renderRestoreScript({ restic: box.restic(false), paths: box.paths, items: ITEMS, scratchDir: box.scratchDir }),
    );
  });
  afterAll(() => box.cleanup());
  afterEach(() => box.clearCalls());

  it("explains itself and exits 2 on a wrong command", () => {
    const r = box.run(script, ["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("usage: sudo coop-restore COMMAND");
  });

  it("names the services it knows when given another", () => {
    const r = box.run(script, ["files", "matrix", join(box.dir, "out")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown service 'matrix'; the backup knows: mastodon nextcloud mail");
  });

  it("does not touch a live service without --yes", () => {
    const r = box.run(script, ["service", "nextcloud"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("add --yes");
    expect(box.calls()).toEqual([]);
  });

  it("waits for a running backup to finish", () => {
    const r = box.run(script, ["service", "nextcloud", "--yes"], { FAKE_BACKUP_ACTIVE: "0" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("a backup is running");
    expect(box.calls().filter((c) => c.startsWith("docker "))).toEqual([]);
  });

  it("needs the root-only password file (sudo)", () => {
    const other = sandbox(["docker", "restic"]);
    try {
      const s = other.script(
        "coop-restore",
        renderRestoreScript({
          restic: { ...other.restic(false), passwordFile: join(other.dir, "missing") },
          paths: other.paths,
          items: ITEMS,
          scratchDir: other.scratchDir,
        }),
      );
      const r = other.run(s, ["snapshots"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("run this with sudo");
    } finally {
      other.cleanup();
    }
  });

  it("puts the service back as it was when fetching the backup fails, before any live data changed", () => {
    const r = box.run(script, ["service", "nextcloud", "--yes"], { FAKE_RESTIC_RESTORE_EXIT: "1" });
    expect(r.code).toBe(1);
    const calls = box.calls();
    expect(r.stderr).toContain("restore interrupted before any live data changed");
    expect(calls).toContainEqual("docker stop t-nextcloud-app t-nextcloud-cron");
    expect(calls).toContainEqual("docker start t-nextcloud-app t-nextcloud-cron");
    expect(indexOf(calls, "maintenance:mode --off")).toBeGreaterThan(indexOf(calls, "docker start"));
    expect(indexOf(calls, "psql")).toBe(-1);
    expect(readdirSync(join(box.paths.volumesDir, "t-nextcloud-html"))).toEqual(["_data"]);
  });
});

describe("coop-restore with the real restic, after a real backup run", () => {
  const withRestic = withTool("restic", "restic");
  let box: Sandbox;
  let restore: string;
  const html = () => join(box.paths.volumesDir, "t-nextcloud-html", "_data");

  beforeAll(() => {
    box = sandbox(["docker", "date", "systemctl"]);
    if (spawnSync("sh", ["-c", "command -v restic"]).status !== 0) return;
    const backup = box.script(
      "coop-backup",
      renderBackupScript({
        restic: box.restic(true),
        paths: box.paths,
        items: ITEMS,
        keep: { daily: 7, weekly: 4, monthly: 6 },
        checkWeekday: 7,
        checkDataParts: 12,
      }),
    );
    const r = box.run(backup);
    if (r.code !== 0) throw new Error(`the backup run failed: ${r.stderr}`);
    restore = box.script(
      "coop-restore",
      renderRestoreScript({ restic: box.restic(true), paths: box.paths, items: ITEMS, scratchDir: box.scratchDir }),
    );
  });
  afterAll(() => box.cleanup());
  afterEach(() => box.clearCalls());

  withRestic("lists a service's snapshots", () => {
    const r = box.run(restore, ["snapshots", "nextcloud"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("/postgres.nextcloud.nextcloud.sql");
    expect(r.stdout).toContain("t-nextcloud-html/_data");
    expect(r.stdout).not.toContain("mastodon");
  });

  withRestic("restores a service's volumes into a scratch directory, nothing live", () => {
    const out = join(box.dir, "out");
    const r = box.run(restore, ["files", "mail", out]);
    expect(r.code).toBe(0);
    for (const v of ["t-mail-data", "t-mail-state"]) {
      expect(readFileSync(join(out, box.paths.volumesDir, v, "_data", "sub", "file.txt"), "utf8")).toBe(`${v}\n`);
    }
    expect(box.calls().filter((c) => c.startsWith("docker "))).toEqual([]);
  });

  withRestic("writes a database dump to a file", () => {
    const file = join(box.dir, "nextcloud.sql");
    const r = box.run(restore, ["dump", "nextcloud", "nextcloud", file]);
    expect(r.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(COMPLETE_DUMP);
  });

  withRestic("runs the drill: volumes into scratch space with file counts, each dump into a throw-away Postgres", () => {
    const r = box.run(restore, ["drill"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("nextcloud: volume t-nextcloud-html: 2 files restored, 2 live");
    expect(r.stdout).toContain("mastodon: database mastodon_production: the dump loads; tables restored 7, live 7");
    const calls = box.calls();
    expect(calls).toContainEqual(
      "docker run -d --rm --name coop-restore-drill-nextcloud-nextcloud --network none -e POSTGRES_USER=nextcloud -e POSTGRES_DB=nextcloud -e POSTGRES_HOST_AUTH_METHOD=trust postgres:18-alpine",
    );
    expect(calls).toContainEqual(
      expect.stringMatching(/^docker exec -i coop-restore-drill-nextcloud-nextcloud psql .*--set ON_ERROR_STOP=1 --single-transaction$/),
    );
    // The roles load before the dump that names them as owners.
    expect(
      indexOf(calls, "docker exec -i coop-restore-drill-nextcloud-nextcloud psql --username=nextcloud --dbname=postgres"),
    ).toBeGreaterThan(-1);
    expect(
      indexOf(calls, "docker exec -i coop-restore-drill-nextcloud-nextcloud psql --username=nextcloud --dbname=postgres"),
    ).toBeLessThan(indexOf(calls, "docker exec -i coop-restore-drill-nextcloud-nextcloud psql --username=nextcloud --dbname=nextcloud"));
    expect(calls).toContainEqual("docker rm -f coop-restore-drill-nextcloud-nextcloud");
    expect(indexOf(calls, "docker stop")).toBe(-1);
    expect(existsSync(join(box.paths.stateDir, "last-drill"))).toBe(true);
  });

  withRestic("fails before touching the service when the requested night has no backup", () => {
    const r = box.run(restore, ["service", "nextcloud", "--run", "20000101T000000Z", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no snapshot of its volumes from run 20000101T000000Z");
    expect(box.calls().filter((c) => c.startsWith("docker "))).toEqual([]);
  });

  withRestic("restores a service in place: maintenance on, stop, load, swap, start, maintenance off", () => {
    writeFileSync(join(html(), "top.txt"), "changed after the backup\n");
    writeFileSync(join(html(), "new.txt"), "created after the backup\n");
    const r = box.run(restore, ["service", "nextcloud", "--yes"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);

    expect(readFileSync(join(html(), "top.txt"), "utf8")).toBe("top of t-nextcloud-html\n");
    expect(existsSync(join(html(), "new.txt"))).toBe(false);
    const kept = readdirSync(join(box.paths.volumesDir, "t-nextcloud-html")).find((d) => d.startsWith("_data.before-restore-"));
    expect(kept).toBeDefined();
    expect(readFileSync(join(box.paths.volumesDir, "t-nextcloud-html", kept!, "new.txt"), "utf8")).toBe("created after the backup\n");
    // The roles first (without CREATE ROLE for those that exist: ON_ERROR_STOP would stop there), then the dump.
    expect(readFileSync(join(box.dir, "loaded-t-nextcloud-db.sql"), "utf8")).toBe(
      COMPLETE_GLOBALS.replace("CREATE ROLE nextcloud;\n", "") + COMPLETE_DUMP,
    );

    const calls = box.calls();
    const order = [
      "maintenance:mode --on",
      "docker stop t-nextcloud-app t-nextcloud-cron",
      "docker exec -i t-nextcloud-db psql --username=nextcloud --dbname=postgres",
      "docker exec -i t-nextcloud-db psql --username=nextcloud --dbname=nextcloud",
      "docker start t-nextcloud-app t-nextcloud-cron",
      "maintenance:mode --off",
    ].map((n) => indexOf(calls, n));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Neither the database nor other services' containers are stopped.
    expect(calls.filter((c) => c.startsWith("docker stop"))).toEqual(["docker stop t-nextcloud-app t-nextcloud-cron"]);
    expect(readdirSync(box.scratchDir).filter((d) => d.startsWith("staging-"))).toEqual([]);
  });
});
