import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type BackupUnitsArgs, renderBackupService, renderBackupTimer, renderLoginBanner } from "../../../components/backup/units";
import { withTool } from "../../helpers/tools";

const dir = mkdtempSync(join(tmpdir(), "coop-units-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const UNITS: BackupUnitsArgs = {
  scriptPath: join(dir, "coop-backup"),
  time: "03:30",
  randomizedDelayMinutes: 10,
  dataDir: "/srv/coop",
  sshDir: "/etc/coop-backup/ssh",
  stateDir: "/var/lib/coop-backup",
  cacheDir: "/var/cache/coop-backup",
};

/** Parses a unit file into section → key → values (a key may repeat). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      section = s[1];
      out[section] = {};
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`not a unit file line: ${raw}`);
    out[section][kv[1]] ??= [];
    out[section][kv[1]].push(kv[2]);
  }
  return out;
}

describe("the systemd units", () => {
  const service = renderBackupService(UNITS);
  const timer = renderBackupTimer(UNITS);

  withTool("systemd-analyze", "systemd")("pass systemd-analyze verify without a warning", () => {
    writeFileSync(UNITS.scriptPath, "#!/bin/sh\n");
    chmodSync(UNITS.scriptPath, 0o755);
    writeFileSync(join(dir, "coop-backup.service"), service);
    writeFileSync(join(dir, "coop-backup.timer"), timer);
    const r = spawnSync("systemd-analyze", ["verify", join(dir, "coop-backup.service"), join(dir, "coop-backup.timer")], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  withTool("systemd-analyze", "systemd")("fires daily at the spec's time", () => {
    const onCalendar = parseUnit(timer).Timer.OnCalendar[0];
    const r = spawnSync("systemd-analyze", ["calendar", onCalendar], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Normalized form: *-*-* 03:30:00");
  });

  it("runs the script once, after the data volume and Docker, with a deadline", () => {
    const u = parseUnit(service);
    expect(u.Service).toMatchObject({
      Type: ["oneshot"],
      ExecStart: [UNITS.scriptPath],
      TimeoutStartSec: ["20h"],
      SyslogIdentifier: ["coop-backup"],
    });
    expect(u.Unit.RequiresMountsFor).toEqual(["/srv/coop"]);
    expect(u.Unit.After[0].split(" ")).toEqual(expect.arrayContaining(["docker.service", "network-online.target"]));
    // ssh records the Storage Box's host key on first contact: that directory must stay writable.
    expect(u.Service.ReadWritePaths).toEqual(["-/etc/coop-backup/ssh"]);
    expect(u.Service.StateDirectory).toEqual(["coop-backup"]);
    expect(u.Install).toBeUndefined();
  });

  it("is a persistent daily timer with a randomized delay, enabled by timers.target", () => {
    const t = parseUnit(timer);
    expect(t.Timer).toEqual({ OnCalendar: ["*-*-* 03:30:00"], RandomizedDelaySec: ["10min"], Persistent: ["true"] });
    expect(t.Install).toEqual({ WantedBy: ["timers.target"] });
    expect(parseUnit(renderBackupTimer({ ...UNITS, time: "23:05" })).Timer.OnCalendar).toEqual(["*-*-* 23:05:00"]);
    expect(() => renderBackupTimer({ ...UNITS, time: "3:30" })).toThrow(/HH:MM/);
  });
});

describe("the login banner", () => {
  const state = join(dir, "state");
  const banner = join(dir, "90-coop-backup");
  writeFileSync(banner, renderLoginBanner({ stateDir: state, staleHours: 36, drillDays: 120 }));
  chmodSync(banner, 0o755);

  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
  function show(files: Record<string, string>): string {
    rmSync(state, { recursive: true, force: true });
    spawnSync("mkdir", ["-p", state]);
    for (const [k, v] of Object.entries(files)) writeFileSync(join(state, k), `${v}\n`);
    const r = spawnSync(banner, [], { encoding: "utf8" });
    expect(r.status).toBe(0);
    return r.stdout;
  }

  withTool("shellcheck", "shellcheck")("passes shellcheck", () => {
    const r = spawnSync("shellcheck", ["--severity=style", banner], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
  });

  it("says nothing when last night's backup worked and the last drill is recent", () => {
    expect(show({ "last-success": at(5), "last-drill": at(24 * 30) })).toBe("");
  });

  it("says when the last backup failed", () => {
    expect(show({ "last-success": at(29), "last-failure": at(5), "last-drill": at(1) })).toMatch(/^!!! The last backup FAILED/);
  });

  it("says when no backup has succeeded for too long (a timer that stopped fails silently)", () => {
    expect(show({ "last-success": at(60), "last-drill": at(1) })).toMatch(/^!!! No successful backup since /);
    expect(show({ "last-drill": at(1) })).toMatch(/^!!! No backup has succeeded yet/);
  });

  it("reminds the admins of the restore drill", () => {
    expect(show({ "last-success": at(5) })).toContain("Restore drill due (last: never)");
    expect(show({ "last-success": at(5), "last-drill": at(24 * 121) })).toContain("Restore drill due");
  });
});
