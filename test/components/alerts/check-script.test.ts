/**
 * coop-check, the real script, against stand-ins for what it reads on a host (docker, df,
 * systemctl) built from the outputs those tools document: `df --output=pcent`, `docker inspect
 * --format`, Postfix's `postqueue -p` summary line ("-- N Kbytes in M Requests." / "Mail queue
 * is empty"), `occ status --output=json`. coop-alert is replaced by a recorder.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { renderCheckScript } from "../../../components/alerts/units";

const dir = mkdtempSync(join(tmpdir(), "coop-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fake = join(dir, "fake");
const bin = join(dir, "bin");
const state = join(dir, "state");
const backupState = join(dir, "backup-state");
const script = join(dir, "coop-check");
const recorder = join(dir, "coop-alert");
const calls = join(dir, "alerts.log");

const exe = (path: string, text: string) => {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
};

mkdirSync(bin, { recursive: true });
exe(
  join(bin, "df"),
  `#!/bin/bash
# df --output=pcent -- PATH
if [ "$3" = / ]; then p=$(cat "${fake}/df-root"); else p=$(cat "${fake}/df-data"); fi
printf 'Use%%\\n %s%%\\n' "$p"
`,
);
// As systemd answers for a oneshot unit: "activating" while it runs, "inactive" after.
exe(
  join(bin, "systemctl"),
  `#!/bin/bash\n[ "$*" = "show -P ActiveState coop-backup.service" ] || exit 2\nif [ -e "${fake}/backup-active" ]; then echo activating; else echo inactive; fi\n`,
);
exe(recorder, `#!/bin/bash\n{ printf '%s|%s|%s|' "$1" "$2" "$3"; tr '\\n' ' '; echo; } >>"${calls}"\n`);

exe(
  script,
  renderCheckScript({
    hostLabel: "example-co-op-example",
    alertScript: recorder,
    stateDir: state,
    dataDir: dir,
    backupStateDir: backupState,
    containerPrefix: "example-co-op-example-",
    mailContainer: "example-co-op-example-mail",
    nextcloudContainer: "example-co-op-example-nextcloud-app",
    thresholds: { dataVolumePercent: 85, rootDiskPercent: 85, backupMaxAgeHours: 26, mailQueueSize: 50, nextcloudMaintenanceMinutes: 60 },
  }),
);

const iso = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");

/** A healthy host: every check passes. */
function healthy(): void {
  exe(
    join(bin, "docker"),
    `#!/bin/bash
  case "$1" in
    ps) cat "${fake}/ps" ;;
    inspect) cat "${fake}/inspect" ;;
    exec)
      if [ "$2" = --user ]; then cat "${fake}/occ"; else cat "${fake}/postqueue"; fi ;;
    *) exit 1 ;;
  esac
  `,
  );
  rmSync(fake, { recursive: true, force: true });
  mkdirSync(fake);
  mkdirSync(backupState, { recursive: true });
  writeFileSync(join(fake, "df-data"), "40");
  writeFileSync(join(fake, "df-root"), "30");
  writeFileSync(join(fake, "ps"), "example-co-op-example-mail\nexample-co-op-example-proxy-caddy\n");
  writeFileSync(
    join(fake, "inspect"),
    "/example-co-op-example-mail|running|healthy|0\n/example-co-op-example-proxy-caddy|running|healthy|0\n",
  );
  writeFileSync(join(fake, "postqueue"), "Mail queue is empty\n");
  writeFileSync(join(fake, "occ"), '{"installed":true,"version":"34.0.2.1","maintenance":false,"needsDbUpgrade":false}\n');
  writeFileSync(join(backupState, "last-success"), `${iso(5)}\n`);
}

function check(): { status: number | null; out: string; alerts: string[] } {
  rmSync(calls, { force: true });
  const r = spawnSync("bash", [script], { encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}` } });
  const alerts = existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : [];
  return { status: r.status, out: r.stdout + r.stderr, alerts };
}

beforeEach(() => {
  rmSync(state, { recursive: true, force: true });
  healthy();
});

describe("coop-check", () => {
  it("finds nothing on a healthy host", () => {
    const r = check();
    expect(r.alerts).toEqual([]);
    expect(r.out).toContain("coop-check: 0 problem(s) found, 0 check(s) or alert(s) could not run");
    expect(r.status).toBe(0);
  });

  it("alerts when the data volume or the root disk passes its threshold", () => {
    writeFileSync(join(fake, "df-data"), "91");
    let r = check();
    expect(r.alerts).toEqual([expect.stringMatching(/^check\|disk-data volume\|the data volume is 91% full\|.*threshold is 85%/)]);
    writeFileSync(join(fake, "df-data"), "40");
    writeFileSync(join(fake, "df-root"), "86");
    r = check();
    expect(r.alerts).toEqual([expect.stringMatching(/^check\|disk-root disk\|the root disk is 86% full\|/)]);
    writeFileSync(join(fake, "df-root"), "85");
    expect(check().alerts).toEqual([]);
  });

  it("alerts when the last successful backup is older than the threshold (a timer that stopped fails nothing)", () => {
    writeFileSync(join(backupState, "last-success"), `${iso(30)}\n`);
    expect(check().alerts).toEqual([expect.stringMatching(/^check\|backup-stale\|no successful backup for 30 hours\|/)]);
    writeFileSync(join(backupState, "last-success"), `${iso(25)}\n`);
    expect(check().alerts).toEqual([]);
  });

  it("gives a new host time for its first backup, then alerts that none succeeded", () => {
    rmSync(join(backupState, "last-success"));
    expect(check().alerts).toEqual([]);
    writeFileSync(join(state, "installed"), `${Math.floor(Date.now() / 1000) - 27 * 3600}\n`);
    expect(check().alerts).toEqual([expect.stringMatching(/^check\|backup-stale\|no backup has succeeded yet\|/)]);
  });

  it("alerts on an unhealthy container, and on one that restarted since the last run", () => {
    expect(check().alerts).toEqual([]);
    writeFileSync(
      join(fake, "inspect"),
      "/example-co-op-example-mail|running|unhealthy|0\n/example-co-op-example-proxy-caddy|running|healthy|2\n",
    );
    const r = check();
    expect(r.alerts).toEqual([
      expect.stringMatching(/^check\|container-unhealthy-example-co-op-example-mail\|container example-co-op-example-mail is unhealthy\|/),
      expect.stringMatching(
        /^check\|container-restarting-example-co-op-example-proxy-caddy\|.*restarted 2 times \(0 at the previous check\)/,
      ),
    ]);
    // The count is remembered: no new restart, no new alert.
    writeFileSync(join(fake, "inspect"), "/example-co-op-example-proxy-caddy|running|healthy|2\n");
    expect(check().alerts).toEqual([]);
    writeFileSync(join(fake, "inspect"), "/example-co-op-example-proxy-caddy|restarting||2\n");
    expect(check().alerts).toEqual([expect.stringMatching(/is restarting\|.*is restarting and has restarted 2 times/)]);
  });

  it("alerts when more messages than the threshold wait in the mail queue", () => {
    writeFileSync(
      join(fake, "postqueue"),
      "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\nABC123*  1234 Wed Dec  2 10:00:00  a@example.coop\n\n-- 412 Kbytes in 51 Requests.\n",
    );
    expect(check().alerts).toEqual([expect.stringMatching(/^check\|mail-queue\|51 messages wait in the mail queue\|/)]);
    writeFileSync(join(fake, "postqueue"), "-- 400 Kbytes in 50 Requests.\n");
    expect(check().alerts).toEqual([]);
    writeFileSync(join(fake, "postqueue"), "-- 1 Kbytes in 1 Request.\n");
    expect(check().alerts).toEqual([]);
  });

  it("alerts when Nextcloud stays in maintenance mode past the threshold, but not during the backup", () => {
    writeFileSync(join(fake, "occ"), '{"installed":true,"version":"34.0.2.1","maintenance":true,"needsDbUpgrade":false}\n');
    expect(check().alerts).toEqual([]);
    expect(existsSync(join(state, "maintenance-since"))).toBe(true);
    writeFileSync(join(state, "maintenance-since"), `${Math.floor(Date.now() / 1000) - 61 * 60}\n`);
    expect(check().alerts).toEqual([
      expect.stringMatching(/^check\|nextcloud-maintenance\|Nextcloud has been in maintenance mode for 61 minutes\|/),
    ]);
    writeFileSync(join(fake, "backup-active"), "");
    expect(check().alerts).toEqual([]);
    expect(existsSync(join(state, "maintenance-since"))).toBe(false);
  });

  it("fails (so its OnFailure= alerts) when a check cannot run, and still runs the others", () => {
    writeFileSync(join(fake, "df-data"), "95");
    rmSync(join(fake, "postqueue"));
    exe(join(bin, "docker"), "#!/bin/bash\nexit 1\n");
    const r = check();
    expect(r.status).toBe(1);
    expect(r.alerts).toEqual([expect.stringMatching(/^check\|disk-data volume\|/)]);
    expect(r.out).toMatch(/1 problem\(s\) found, [1-9] check\(s\) or alert\(s\) could not run/);
  });
});
