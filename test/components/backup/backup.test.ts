import { describe, expect, it } from "vitest";
import { BACKUP_LAYOUT, CHECK_DATA_PARTS, CHECK_WEEKDAY, hostFiles } from "../../../components/backup/backup";
import { renderInstallFilesCommand } from "../../../components/backup/install";
import type { RegisteredResource } from "../../../cli/offline/run-program";
import { UNKNOWN } from "../../../kernel/pulumi-wire";
import { isSecretOrUnknown } from "../../helpers/components";
import { COMPUTED, GENERATED } from "../../../plan/view";
import { canonicalJson } from "../../../kernel/json";
import { enabledServices } from "../../../stacks/schema";
import { listStacks } from "../../../stacks/load";
import { byName, bundledSpec, governed, ofType, planSpec } from "../../helpers/program";
import { REPO_ROOT } from "../../helpers/repo";

const T = {
  box: "hcloud:index/storageBox:StorageBox",
  password: "random:index/randomPassword:RandomPassword",
  key: "tls:index/privateKey:PrivateKey",
  command: "command:remote:Command",
  container: "docker:index/container:Container",
  volume: "docker:index/volume:Volume",
};

/** The files a files-command writes, from its heredocs: path → content. */
/** The services' data a rendered script starts with (components/backup/shell.ts renderSettings). */
function settingsOf(script: string) {
  const list = (name: string) =>
    [...(new RegExp(`^readonly -a ${name}=\\(([^)]*)\\)$`, "m").exec(script)?.[1] ?? "").matchAll(/'([^']*)'/g)].map((m) => m[1]);
  const map = (name: string) =>
    new Map(
      [...(new RegExp(`^declare -rA ${name}=\\((.*?)\\)$`, "ms").exec(script)?.[1] ?? "").matchAll(/\['([^']+)'\]='([^']*)'/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
  return { services: list("SERVICES"), volumes: map("SERVICE_VOLUMES"), databases: map("SERVICE_DATABASES") };
}

function installedFiles(create: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^put (0\d{3}) '([^']+)' <<'(COOP_EOF_[0-9a-f]+)'\n([\s\S]*?)^\3$/gm;
  for (const m of create.matchAll(re)) out.set(m[2], m[4]);
  return out;
}

describe("Backup in the example stack (under mocks)", async () => {
  const spec = bundledSpec("example");
  const { run, view } = await planSpec(spec, "example");
  const backupUrn = byName(run.resources, "backup").urn;
  const children = run.resources.filter((r) => r.parent === backupUrn);
  const files = governed(view, "backup-files").inputs;
  const installed = installedFiles(String(files.create));
  const script = installed.get(BACKUP_LAYOUT.backupScript) ?? "";

  it("declares a Backup component with exactly its resources", () => {
    expect(byName(run.resources, "backup").type).toBe("coop:backup:Backup");
    expect(children.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        `${T.box} backup-box`,
        `${T.password} backup-restic-password`,
        `${T.password} backup-box-password`,
        `${T.key} backup-ssh-key`,
        `${T.command} backup-credentials`,
        `${T.command} backup-files`,
      ].sort(),
    );
  });

  it("creates a delete-protected Storage Box with an explicit name, SSH on and nothing else", () => {
    const box = governed(view, "backup-box").inputs;
    expect(box).toMatchObject({
      name: "example-co-op-example-backup",
      storageBoxType: "bx11",
      // The server is in fsn1: the backups go to another site.
      location: "hel1",
      deleteProtection: true,
      accessSettings: { sshEnabled: true, reachableExternally: false, sambaEnabled: false, webdavEnabled: false, zfsEnabled: false },
      snapshotPlan: { maxSnapshots: 7, hour: 6, minute: 30 },
      labels: { "coop-infra/coop": "example-co-op", "coop-infra/stack": "example" },
    });
    expect(box.password).toBe(GENERATED); // a generated secret: masked by provenance
    expect(box.sshKeys).toEqual([COMPUTED]);
    expect(byName(run.resources, "backup-box").options.protect).toBe(true);
  });

  it("protects what the backups cannot be read without: the repository password and the Box's key", () => {
    expect(byName(run.resources, "backup-restic-password").options.protect).toBe(true);
    expect(byName(run.resources, "backup-ssh-key").options.protect).toBe(true);
    expect(governed(view, "backup-ssh-key").inputs).toEqual({ algorithm: "ED25519" });
    expect(governed(view, "backup-restic-password").inputs).toMatchObject({ length: 48 });
  });

  it("puts no secret into the governed view: the credentials travel on stdin, unknown at preview", () => {
    const creds = governed(view, "backup-credentials").inputs;
    expect(creds.stdin).toBe(COMPUTED);
    const text = canonicalJson(view.resources.filter((r) => r.name.startsWith("backup")));
    expect(text).not.toMatch(/PRIVATE KEY-----\\n[A-Za-z0-9+/]{20}/);
    expect(text).not.toMatch(/RESTIC_PASSWORD=/);
    for (const p of run.secretPlaceholders) expect(text).not.toContain(p);
    // As the engine receives it at preview: unknown, so no value can leak into the lock.
    expect(byName(run.resources, "backup-credentials").inputs.stdin).toBe(UNKNOWN);
  });

  it("delivers the files over SSH once cloud-init is done, and again on a new server", () => {
    for (const name of ["backup-credentials", "backup-files"]) {
      const r: RegisteredResource = byName(run.resources, name);
      // The host's address is computed, so the whole connection (with its private key) is unknown at preview,
      // or a secret where the SDK wraps unknowns; backup-outputs.test.ts checks the user with a known one.
      expect(isSecretOrUnknown(r.inputs.connection), name).toBe(true);
      expect(r.options.dependencies, name).toContain(byName(run.resources, "host-ready").urn);
      // No delete command: it would have to reach a server that may be gone (disaster recovery).
      expect(governed(view, name).inputs.delete, name).toBeUndefined();
      const g = governed(view, name).inputs;
      expect(g.triggers, name).toEqual([COMPUTED]);
      expect(g.addPreviousOutputInEnv, name).toBe(false);
    }
    expect(byName(run.resources, "backup-files").options.dependencies).toContain(byName(run.resources, "backup-credentials").urn);
  });

  it("installs the scripts, units and banner, rendered as the pure renderers render them", () => {
    expect([...installed.keys()].sort()).toEqual(
      [BACKUP_LAYOUT.backupScript, BACKUP_LAYOUT.restoreScript, BACKUP_LAYOUT.service, BACKUP_LAYOUT.timer, BACKUP_LAYOUT.banner].sort(),
    );
    expect(installed.get(BACKUP_LAYOUT.timer)).toContain("OnCalendar=*-*-* 03:30:00");
    expect(script).toContain('--keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" --prune');
    for (const line of ["readonly KEEP_DAILY=7", "readonly KEEP_WEEKLY=4", "readonly KEEP_MONTHLY=6"]) expect(script).toContain(line);
    expect(script).toContain(`readonly CHECK_WEEKDAY=${CHECK_WEEKDAY}`);
    expect(script).toContain(`readonly CHECK_DATA_PARTS=${CHECK_DATA_PARTS}`);
    expect(script).toContain("export RESTIC_REPOSITORY='sftp:coop-storagebox:restic'");
    expect(script).toContain("readonly BACKUP_HOST='example-co-op-example'");
    expect(script).toContain("readonly VOLUMES_DIR='/srv/coop/docker/volumes'");
  });

  it("backs up what the enabled services declared: every database dumped, only declared volumes copied", () => {
    // Every service this stack runs declared its part, and nothing else is in the script.
    const settings = settingsOf(script);
    expect([...settings.services].sort()).toEqual([...enabledServices(spec)].sort());

    const containers = ofType(run.resources, T.container).map((r) => governed(view, r.name).inputs);
    const postgres = containers.filter((c) => String(c.image).startsWith("postgres:"));
    const dumped = [...settings.databases].flatMap(([service, lines]) =>
      lines
        .split("\n")
        .filter(Boolean)
        .map((l) => ({ service, container: l.split(" ")[0] })),
    );
    // No database of the stack is left out, and nothing else is "dumped".
    expect(dumped.map((d) => d.container).sort()).toEqual(postgres.map((c) => String(c.name)).sort());

    const volumeNames = new Set(ofType(run.resources, T.volume).map((r) => String(governed(view, r.name).inputs.name)));
    const postgresData = new Set(
      postgres.flatMap((c) =>
        (c.volumes as Array<{ containerPath: string; volumeName: string }>)
          .filter((v) => v.containerPath.startsWith("/var/lib/postgresql"))
          .map((v) => v.volumeName),
      ),
    );
    const copied = [...settings.volumes.values()].flatMap((v) => v.split(" ").filter(Boolean));
    expect(copied.length).toBeGreaterThan(0);
    for (const v of copied) {
      expect(volumeNames, v).toContain(v);
      // A live copy of Postgres' files would not restore; the dump covers them.
      expect(postgresData, v).not.toContain(v);
    }
  });

  it("keeps Nextcloud in maintenance mode while it is copied, when Nextcloud is enabled", () => {
    if (!spec.services.nextcloud.enabled) return;
    expect(script).toMatch(/^before_nextcloud\(\) \{\n {2}docker exec -u www-data \S+ php occ maintenance:mode --on \|\| return 1\n\}/m);
    expect(script).toMatch(/^after_nextcloud\(\) \{[\s\S]*?maintenance:mode --off/m);
  });

  it("renders the same desired state every time (a stable plan digest)", async () => {
    const again = await planSpec(spec, "example");
    const pick = (v: typeof view) => canonicalJson(v.resources.filter((r) => r.name.startsWith("backup")));
    expect(pick(again.view)).toBe(pick(view));
  });

  it("shows every installed file whole in the governed view (parsed back, it renders the same command)", () => {
    const parsed = [...installed].map(([path, content]) => ({ path, content, mode: modeOf(String(files.create), path) }));
    expect(String(files.create)).toBe(renderInstallFilesCommand(parsed, { timer: "coop-backup.timer" }));
    expect(parsed.map((f) => `${f.path} ${f.mode}`).sort()).toEqual(
      hostFiles([], { keep: { daily: 7, weekly: 4, monthly: 6 }, time: "03:30" }, { repository: "r", passwordFile: "/p", host: "h" })
        .map((f) => `${f.path} ${f.mode}`)
        .sort(),
    );
  });
});

describe("Backup in every bundled stack that backs up", async () => {
  const stacks = listStacks(REPO_ROOT).filter((s) => bundledSpec(s).backups.enabled);

  it.each(stacks)("%s: saves exactly the services that run on it", async (stack) => {
    const spec = bundledSpec(stack);
    const { view } = await planSpec(spec, stack);
    const script = installedFiles(String(governed(view, "backup-files").inputs.create)).get(BACKUP_LAYOUT.backupScript) ?? "";
    expect([...settingsOf(script).services].sort()).toEqual([...enabledServices(spec)].sort());
    expect(governed(view, "backup-box").inputs.name).toBe(`${String(governed(view, "host-server").inputs.name)}-backup`);
  });
});

describe("Backup on a local stack", async () => {
  const { run } = await planSpec(bundledSpec("local"), "local");

  it("declares nothing: the local example turns backups off", () => {
    expect(run.resources.filter((r) => r.name.startsWith("backup"))).toEqual([]);
  });
});

describe("Backup with a chosen Box location, type and no Box snapshots", async () => {
  const base = bundledSpec("example");
  const { view } = await planSpec(
    { ...base, backups: { ...base.backups, storageBoxType: "bx21", storageBoxLocation: "fsn1", storageBoxSnapshots: 0, time: "22:45" } },
    "example",
  );

  it("follows the spec", () => {
    const box = governed(view, "backup-box").inputs;
    expect(box).toMatchObject({ storageBoxType: "bx21", location: "fsn1" });
    expect(box.snapshotPlan).toBeUndefined();
    expect(String(governed(view, "backup-files").inputs.create)).toContain("OnCalendar=*-*-* 22:45:00");
  });
});

function modeOf(create: string, path: string): string {
  const m = new RegExp(`^put (0\\d{3}) '${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}'`, "m").exec(create);
  if (!m) throw new Error(`no file ${path}`);
  return m[1];
}
