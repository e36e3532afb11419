/**
 * The alerts' systemd units, verified by systemd itself, and the OnFailure= that ties the backup
 * (which runs the weekly repository check too) and the host check to coop-alert@.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { alertHostFiles } from "../../../components/alerts/alerts-stack";
import { ALERT_LAYOUT, ON_FAILURE, renderAlertService, renderCheckService, renderCheckTimer } from "../../../components/alerts/units";
import { hostFiles } from "../../../components/backup/backup";
import { renderBackupService } from "../../../components/backup/units";
import { bundledSpec } from "../../helpers/program";
import { withTool } from "../../helpers/tools";

const dir = mkdtempSync(join(tmpdir(), "coop-alert-units-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BACKUP = {
  scriptPath: join(dir, "coop-backup"),
  time: "03:30",
  randomizedDelayMinutes: 10,
  dataDir: "/srv/coop",
  sshDir: "/etc/coop-backup/ssh",
  stateDir: "/var/lib/coop-backup",
  cacheDir: "/var/cache/coop-backup",
};

function unitLines(text: string, section: string): string[] {
  const out: string[] = [];
  let at = "";
  for (const line of text.split("\n")) {
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) at = s[1];
    else if (at === section && line && !line.startsWith("#")) out.push(line);
  }
  return out;
}

describe("the alerts' units", () => {
  const alertScript = join(dir, "coop-alert");
  const checkScript = join(dir, "coop-check");
  const units = {
    "coop-alert@.service": renderAlertService(alertScript),
    "coop-check.service": renderCheckService({ checkScript, dataDir: "/srv/coop" }),
    "coop-check.timer": renderCheckTimer(),
    "coop-backup.service": renderBackupService({ ...BACKUP, onFailure: ON_FAILURE }),
  };

  withTool("systemd-analyze", "systemd")("pass systemd-analyze verify without a warning, with the OnFailure= instance they start", () => {
    for (const f of [alertScript, checkScript, BACKUP.scriptPath]) {
      writeFileSync(f, "#!/bin/sh\n");
      chmodSync(f, 0o755);
    }
    for (const [name, text] of Object.entries(units)) writeFileSync(join(dir, name), text);
    // The instance OnFailure= starts when the backup fails: verify resolves it from the template beside it.
    const r = spawnSync(
      "systemd-analyze",
      ["verify", ...Object.keys(units).map((n) => join(dir, n)), join(dir, "coop-alert@coop-backup.service.service")],
      { encoding: "utf8", cwd: dir },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  withTool("systemd-analyze", "systemd")("the timer runs the check every 10 minutes from boot on", () => {
    const t = unitLines(units["coop-check.timer"], "Timer");
    expect(t).toEqual(["OnBootSec=5min", "OnUnitActiveSec=10min", "RandomizedDelaySec=1min"]);
    const r = spawnSync("systemd-analyze", ["timespan", "10min"], { encoding: "utf8" });
    expect(r.stdout).toContain("μs: 600000000");
  });

  it("the backup and the check tell coop-alert@ their own name when they fail", () => {
    expect(unitLines(units["coop-backup.service"], "Unit")).toContain("OnFailure=coop-alert@%n.service");
    expect(unitLines(units["coop-check.service"], "Unit")).toContain("OnFailure=coop-alert@%n.service");
    expect(unitLines(units["coop-alert@.service"], "Service")).toContain(`ExecStart=${alertScript} unit-failed %i`);
    // Without alerts the backup unit is exactly what it was.
    expect(renderBackupService(BACKUP)).not.toContain("OnFailure");
    expect(() => renderBackupService({ ...BACKUP, onFailure: "OnFailure=x.service\nExecStartPre=/bin/evil" })).toThrow(/one OnFailure=/);
  });

  it("the example's backup unit on the host has the OnFailure= line; the alert unit does not (no loop)", () => {
    const spec = bundledSpec("example");
    const backupUnit = hostFiles(
      [],
      { keep: { daily: 7, weekly: 4, monthly: 6 }, time: "03:30", onFailure: ON_FAILURE },
      {
        repository: "r",
        passwordFile: "/p",
        host: "h",
      },
    ).find((f) => f.path.endsWith("coop-backup.service"));
    expect(backupUnit?.content).toContain(ON_FAILURE);
    const files = alertHostFiles(spec, { namePrefix: "example-co-op-example" });
    expect(files.map((f) => `${f.mode} ${f.path}`)).toEqual([
      `0755 ${ALERT_LAYOUT.alertScript}`,
      `0755 ${ALERT_LAYOUT.checkScript}`,
      `0644 ${ALERT_LAYOUT.alertService}`,
      `0644 ${ALERT_LAYOUT.checkService}`,
      `0644 ${ALERT_LAYOUT.checkTimer}`,
    ]);
    const alertUnit = files.find((f) => f.path === ALERT_LAYOUT.alertService)?.content ?? "";
    expect(unitLines(alertUnit, "Unit").filter((l) => l.startsWith("OnFailure"))).toEqual([]);
  });

  withTool("shellcheck", "shellcheck")("the example's rendered scripts pass shellcheck", () => {
    const files = alertHostFiles(bundledSpec("example"), { namePrefix: "example-co-op-example" });
    mkdirSync(join(dir, "rendered"), { recursive: true });
    const paths = files
      .filter((f) => f.mode === "0755")
      .map((f) => {
        const p = join(dir, "rendered", f.path.split("/").pop() as string);
        writeFileSync(p, f.content);
        return p;
      });
    const r = spawnSync("shellcheck", ["--severity=style", ...paths], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
  });
});
