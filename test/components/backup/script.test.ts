import { spawnSync } from "node:child_process";
import { readFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type BackupScriptArgs, renderBackupScript } from "../../../components/backup/script";
import type { BackupItem } from "../../../components/backup/shell";
import { COMPLETE_DUMP, COMPLETE_GLOBALS, ITEMS, type Sandbox, sandbox } from "../../helpers/backup-fakes";
import { withTool } from "../../helpers/tools";

const KEEP = { daily: 7, weekly: 4, monthly: 6 };

/** As on a Hetzner host. */
const HOST_ARGS: BackupScriptArgs = {
  restic: {
    repository: "sftp:coop-storagebox:restic",
    sftpCommand: "ssh -F /etc/coop-backup/ssh/config coop-storagebox -s sftp",
    passwordFile: "/etc/coop-backup/restic-password",
    host: "example",
  },
  paths: { volumesDir: "/srv/coop/docker/volumes", stateDir: "/var/lib/coop-backup", cacheDir: "/var/cache/coop-backup" },
  items: ITEMS,
  keep: KEEP,
  checkWeekday: 7,
  checkDataParts: 12,
};

function args(box: Sandbox, local: boolean, items: readonly BackupItem[] = ITEMS): BackupScriptArgs {
  return { restic: box.restic(local), paths: box.paths, items, keep: KEEP, checkWeekday: 7, checkDataParts: 12 };
}

/** The calls of one program, in order. */
const of = (calls: string[], program: string) => calls.filter((c) => c.startsWith(`${program} `));
const indexOf = (calls: string[], needle: string) => calls.findIndex((c) => c.includes(needle));

let box: Sandbox | undefined;
afterEach(() => {
  box?.cleanup();
  box = undefined;
});

describe("the rendered backup script", () => {
  const text = renderBackupScript(HOST_ARGS);

  withTool("shellcheck", "shellcheck")("passes shellcheck", () => {
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: text, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("stops on any error, unset variable or failed pipe stage", () => {
    expect(text.split("\n").find((l) => l !== "" && !l.startsWith("#"))).toBe("set -euo pipefail");
    expect(text.startsWith("#!/bin/bash\n")).toBe(true);
  });

  it("names the repository, password file and volume paths, never a secret", () => {
    expect(text).toContain("export RESTIC_REPOSITORY='sftp:coop-storagebox:restic'");
    expect(text).toContain("export RESTIC_PASSWORD_FILE='/etc/coop-backup/restic-password'");
    expect(text).toContain("readonly VOLUMES_DIR='/srv/coop/docker/volumes'");
    expect(text).not.toMatch(/RESTIC_PASSWORD=/);
  });

  it("renders the same text for the same sources, in their order", () => {
    expect(renderBackupScript({ ...HOST_ARGS, items: ITEMS.map((i) => ({ ...i })) })).toBe(text);
    expect(text).toContain("readonly -a SERVICES=('mastodon' 'nextcloud' 'mail')");
  });

  it("refuses names that would not be inert in a shell", () => {
    const base = ITEMS[2];
    const bad: Array<[string, BackupItem]> = [
      ["volume", { ...base, volumes: ["x; rm -rf /"] }],
      ["database", { ...ITEMS[0], databases: [{ container: "db", database: "a'b", user: "u" }] }],
      ["container", { ...ITEMS[0], databases: [{ container: "$(reboot)", database: "a", user: "u" }] }],
      ["service", { ...base, service: "Mail Server" }],
      ["before on two lines", { ...base, before: ["echo a\nreboot"] }],
      ["nothing to save", { ...base, volumes: [] }],
    ];
    for (const [what, item] of bad) {
      expect(() => renderBackupScript({ ...HOST_ARGS, items: [item] }), what).toThrow();
    }
    expect(() => renderBackupScript({ ...HOST_ARGS, items: [base, base] })).toThrow(/declared twice/);
    expect(() => renderBackupScript({ ...HOST_ARGS, items: [base, { ...base, service: "other" }] })).toThrow(/already saved/);
    expect(() => renderBackupScript({ ...HOST_ARGS, keep: { daily: 0, weekly: 4, monthly: 6 } })).toThrow(/at least 1/);
  });
});

describe("running the backup script with fake docker and restic", () => {
  function run(env: NodeJS.ProcessEnv = {}) {
    box = sandbox(["docker", "restic", "date"]);
    const script = box.script("coop-backup", renderBackupScript(args(box, false)));
    return { box, result: box.run(script, [], env) };
  }

  it("saves every database and volume, then applies the spec's retention", () => {
    const { box, result } = run();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const restic = of(box.calls(), "restic");
    for (const c of restic) expect(c).toContain("-o sftp.command=ssh -F /etc/coop-backup/ssh/config coop-storagebox -s sftp");

    const dumps = restic.filter((c) => c.includes(" --stdin "));
    // Each Postgres container's roles first (the dumps name them as owners), then its databases.
    expect(dumps.map((c) => /--stdin-filename (\S+)/.exec(c)?.[1])).toEqual([
      "postgres.mastodon.t-mastodon-db.globals.sql",
      "postgres.mastodon.mastodon_production.sql",
      "postgres.nextcloud.t-nextcloud-db.globals.sql",
      "postgres.nextcloud.nextcloud.sql",
    ]);
    for (const c of dumps)
      expect(c).toMatch(/--host test-host --tag coop --tag service:(mastodon|nextcloud) --tag run:\d{8}T\d{6}Z --json/);
    expect(readFileSync(join(box.dir, "stdin-0.txt"), "utf8")).toBe(COMPLETE_GLOBALS);
    expect(readFileSync(join(box.dir, "stdin-1.txt"), "utf8")).toBe(COMPLETE_DUMP);
    expect(box.calls()).toContainEqual("docker exec t-nextcloud-db pg_dumpall --username=nextcloud --no-password --globals-only");

    const files = restic.filter((c) => c.includes(" backup ") && !c.includes("--stdin"));
    const v = box.paths.volumesDir;
    expect(files.map((c) => c.slice(c.indexOf("--quiet ") + 8))).toEqual([
      `${v}/t-mastodon-media/_data`,
      `${v}/t-nextcloud-html/_data`,
      `${v}/t-mail-data/_data ${v}/t-mail-state/_data`,
    ]);

    const forget = restic.filter((c) => c.includes(" forget "));
    expect(forget).toHaveLength(1);
    expect(forget[0]).toMatch(
      / forget --host test-host --tag coop --group-by host,paths --compact --keep-daily 7 --keep-weekly 4 --keep-monthly 6 --prune$/,
    );
    expect(restic.some((c) => c.includes(" check"))).toBe(false);
    expect(existsSync(join(box.paths.stateDir, "last-success"))).toBe(true);
  });

  it("streams every dump under a name restic 0.18.0 accepts too (no directory in --stdin-filename)", () => {
    const { box, result } = run({ FAKE_RESTIC_VERSION: "0.18.0" });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const names = of(box.calls(), "restic")
      .map((c) => /--stdin-filename (\S+)/.exec(c)?.[1])
      .filter((n): n is string => n !== undefined);
    expect(names).toHaveLength(4);
    for (const n of names) expect(n).not.toContain("/");
  });

  it("is caught by the restic 0.18.0 stand-in when a dump name has a directory", () => {
    box = sandbox(["restic"]);
    const r = spawnSync("restic", ["backup", "--stdin", "--stdin-filename", "postgres/nextcloud/nextcloud.sql"], {
      env: { ...process.env, PATH: `${box.bin}:${process.env.PATH}`, FAKE_LOG: box.log, FAKE_DIR: box.dir, FAKE_RESTIC_VERSION: "0.18.0" },
      input: "",
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("open /postgres: no such file or directory");
  });

  it("keeps Nextcloud in maintenance mode exactly while its data is copied", () => {
    const { box } = run();
    const calls = box.calls();
    const on = indexOf(calls, "maintenance:mode --on");
    const off = indexOf(calls, "maintenance:mode --off");
    const dump = indexOf(calls, "pg_dump --username=nextcloud");
    const files = indexOf(calls, "t-nextcloud-html/_data");
    expect(on).toBeGreaterThan(-1);
    expect(on).toBeLessThan(dump);
    expect(dump).toBeLessThan(files);
    expect(files).toBeLessThan(off);
    expect(calls.filter((c) => c.includes("maintenance:mode"))).toHaveLength(2);
    expect(indexOf(calls, "pg_dump --username=mastodon")).toBeLessThan(on);
  });

  it("checks the repository on Sundays only, a different twelfth of the data each week", () => {
    const { box, result } = run({ FAKE_WEEKDAY: "7", FAKE_WEEK: "08" });
    expect(result.code).toBe(0);
    const check = of(box.calls(), "restic").filter((c) => / check /.test(c));
    // Week 08 read as decimal (not octal): 8 % 12 + 1.
    expect(check).toHaveLength(1);
    expect(check[0]).toMatch(/ check --read-data-subset=9\/12$/);
    const all = box.calls();
    expect(indexOf(all, " forget ")).toBeLessThan(indexOf(all, " check "));
  });

  it("fails the backup when a dump fails, forgets the partial snapshot, and ends maintenance mode", () => {
    const { box, result } = run({ FAKE_DUMP_FAIL: "t-nextcloud-db" });
    expect(result.code).toBe(1);
    const calls = box.calls();
    // The nextcloud dump was the fourth --stdin backup (after mastodon's roles and database, and nextcloud's roles): snapshot 5eed3.
    expect(calls).toContainEqual(expect.stringMatching(/^restic .* forget 5eed3$/));
    expect(indexOf(calls, "maintenance:mode --off")).toBeGreaterThan(indexOf(calls, "maintenance:mode --on"));
    // The other services are still saved tonight …
    expect(indexOf(calls, "t-mail-data/_data")).toBeGreaterThan(-1);
    // … but retention waits until a backup succeeds.
    expect(calls.some((c) => c.includes(" --prune"))).toBe(false);
    expect(result.stderr).toMatch(/database nextcloud was not saved \(pg_dump exit 1, complete dump check 1, restic exit 0\)/);
    expect(existsSync(join(box.paths.stateDir, "last-failure"))).toBe(true);
    expect(existsSync(join(box.paths.stateDir, "last-success"))).toBe(false);
  });

  it("fails the backup when a dump is cut off although every command exited 0", () => {
    const { box, result } = run({ FAKE_DUMP_CUT: "t-mastodon-db" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/database mastodon_production was not saved \(pg_dump exit 0, complete dump check 1, restic exit 0\)/);
    expect(box.calls()).toContainEqual(expect.stringMatching(/ forget 5eed1$/));
  });

  it("fails the backup when the roles cannot be dumped, and still saves the rest", () => {
    const { box, result } = run({ FAKE_GLOBALS_FAIL: "t-nextcloud-db" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /nextcloud: the roles of t-nextcloud-db was not saved \(pg_dumpall exit 1, complete dump check 1, restic exit 0\)/,
    );
    expect(result.stderr).toContain("nextcloud: the roles of t-nextcloud-db not saved (/postgres.nextcloud.t-nextcloud-db.globals.sql)");
    const calls = box.calls();
    // Its snapshot (the third --stdin backup) holds an incomplete stream: forgotten.
    expect(calls).toContainEqual(expect.stringMatching(/ forget 5eed2$/));
    expect(indexOf(calls, "pg_dump --username=nextcloud")).toBeGreaterThan(-1);
    expect(calls.some((c) => c.includes(" --prune"))).toBe(false);
    expect(existsSync(join(box.paths.stateDir, "last-failure"))).toBe(true);
    expect(existsSync(join(box.paths.stateDir, "last-success"))).toBe(false);
  });

  it("fails the backup when the roles dump is cut off", () => {
    box = sandbox(["docker", "restic", "date"]);
    writeFileSync(join(box.dir, "globals.sql"), COMPLETE_GLOBALS.slice(0, COMPLETE_GLOBALS.indexOf("\\unrestrict")));
    const script = box.script("coop-backup", renderBackupScript(args(box, false)));
    const result = box.run(script);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /mastodon: the roles of t-mastodon-db was not saved \(pg_dumpall exit 0, complete dump check 1, restic exit 0\)/,
    );
  });

  it("skips a service whose 'before' commands fail, but still runs its 'after' commands", () => {
    const { box, result } = run({ FAKE_BEFORE_FAIL: "1" });
    expect(result.code).toBe(1);
    const calls = box.calls();
    expect(indexOf(calls, "pg_dump --username=nextcloud")).toBe(-1);
    expect(indexOf(calls, "t-nextcloud-html")).toBe(-1);
    expect(indexOf(calls, "maintenance:mode --off")).toBeGreaterThan(indexOf(calls, "maintenance:mode --on"));
    expect(result.stderr).toContain("nextcloud: the commands before the copy failed");
  });

  it("fails when restic cannot read every file of a volume", () => {
    const { result } = run({ FAKE_RESTIC_VOLUMES_EXIT: "3" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("restic could not save every file of its volumes");
  });

  it("fails when a declared volume does not exist on the host", () => {
    box = sandbox(["docker", "restic", "date"]);
    const items = [{ ...ITEMS[2], volumes: ["t-mail-data", "t-missing"] }];
    const script = box.script("coop-backup", renderBackupScript(args(box, false, items)));
    const result = box.run(script);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("volume t-missing does not exist");
  });

  it("ends maintenance mode when systemd stops it in the middle of the copy", async () => {
    box = sandbox(["docker", "restic", "date"]);
    const script = box.script("coop-backup", renderBackupScript(args(box, false)));
    const result = await box.runAndStop(
      script,
      (calls) => calls.some((c) => c.startsWith("restic ") && c.includes("t-nextcloud-html/_data")),
      {
        FAKE_RESTIC_HANG_ON: "t-nextcloud-html",
      },
    );
    expect(result.stopped).toBe(true);
    expect(result.code).toBe(143);
    const calls = box.calls();
    expect(calls.filter((c) => c.includes("maintenance:mode")).map((c) => c.split(" ").pop())).toEqual(["--on", "--off"]);
    expect(indexOf(calls, "t-mail-data")).toBe(-1);
  }, 20_000);
});

describe("the backup script with the real restic (Debian's, into a local repository)", () => {
  const withRestic = withTool("restic", "restic");

  withRestic("creates the repository, saves dumps and volumes restorably, and drops the snapshot of a failed dump", () => {
    box = sandbox(["docker", "date"]);
    const script = box.script("coop-backup", renderBackupScript(args(box, true)));
    const first = box.run(script, [], { FAKE_WEEKDAY: "7" });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const env = {
      ...process.env,
      RESTIC_REPOSITORY: join(box.dir, "repo"),
      RESTIC_PASSWORD_FILE: box.passwordFile,
      RESTIC_CACHE_DIR: box.paths.cacheDir,
    };
    const restic = (...a: string[]) => spawnSync("restic", a, { env, encoding: "utf8" });
    const nextcloudDump = "/postgres.nextcloud.nextcloud.sql";

    const snapshots = JSON.parse(restic("snapshots", "--json").stdout) as Array<{ paths: string[]; tags: string[]; hostname: string }>;
    expect(snapshots.map((s) => s.paths.join(" ")).sort()).toEqual(
      [
        "/postgres.mastodon.t-mastodon-db.globals.sql",
        "/postgres.mastodon.mastodon_production.sql",
        "/postgres.nextcloud.t-nextcloud-db.globals.sql",
        nextcloudDump,
        `${box.paths.volumesDir}/t-mastodon-media/_data`,
        `${box.paths.volumesDir}/t-nextcloud-html/_data`,
        `${box.paths.volumesDir}/t-mail-data/_data ${box.paths.volumesDir}/t-mail-state/_data`,
      ].sort(),
    );
    for (const s of snapshots) {
      expect(s.hostname).toBe("test-host");
      expect(s.tags).toEqual(expect.arrayContaining(["coop", expect.stringMatching(/^service:/), expect.stringMatching(/^run:/)]));
    }
    expect(restic("dump", "latest", "--path", nextcloudDump, nextcloudDump).stdout).toBe(COMPLETE_DUMP);

    // The next night the dump dies half-way: restic stored the stream, the script must drop it.
    const failed = box.run(script, [], { FAKE_DUMP_FAIL: "t-nextcloud-db" });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/removed snapshot [0-9a-f]{8}, which holds the incomplete dump/);
    expect(JSON.parse(restic("snapshots", "--json", "--path", nextcloudDump).stdout)).toHaveLength(1);
    expect(restic("dump", "latest", "--path", nextcloudDump, nextcloudDump).stdout).toBe(COMPLETE_DUMP);
  });
});
