/**
 * The Backup component with known values (not a preview): the generated secrets reach the
 * host on stdin only, and leave the stack only as secret outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import type { Backup as BackupType } from "../../../components/backup/backup";
import { credentialsStdin } from "../../../components/backup/install";

const GENERATED = {
  restic: "ResticPasswordFromRandomPassword0123456789abcdef",
  box: "Box-Password_1234567890abcdefABCDEF:=#",
  key: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAfake\n-----END OPENSSH PRIVATE KEY-----\n",
};

const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.name === "backup-restic-password") state.result = GENERATED.restic;
      if (args.name === "backup-box-password") state.result = GENERATED.box;
      if (args.type === "tls:index/privateKey:PrivateKey")
        Object.assign(state, { privateKeyOpenssh: GENERATED.key, publicKeyOpenssh: "ssh-ed25519 AAAAC3Nzafake backup\n" });
      if (args.type === "hcloud:index/storageBox:StorageBox")
        Object.assign(state, { username: "u424242", server: "u424242.your-storagebox.de" });
      return { id: `${args.name}-id`, state };
    },
    call: () => {
      throw new Error("no provider functions");
    },
  },
  "coop-infra",
  "test",
  false,
);

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply((v) => resolve(v)));
const secret = <T>(o: pulumi.Output<T>) => (o as unknown as { isSecret: Promise<boolean> }).isSecret;

describe("Backup with known values", async () => {
  const { Backup } = await import("../../../components/backup/backup");
  class Ready extends pulumi.CustomResource {
    constructor() {
      super("test:index:Ready", "ready", {});
    }
  }
  const ready = new Ready();
  const args = {
    sources: [{ service: "mail", postgres: [], volumes: ["t-mail-data"] }],
    storageBoxType: "bx11" as const,
    storageBoxLocation: "hel1" as const,
    storageBoxSnapshots: 7,
    time: "03:30",
    keep: { daily: 7, weekly: 4, monthly: 6 },
    host: { ssh: { host: "203.0.113.7", user: "coop", ready }, serverId: pulumi.output(4711) },
    namePrefix: "test",
  };
  const backup: BackupType = new Backup("backup", args);
  const outputs = await Promise.all([value(backup.resticPassword), value(backup.repository)]);
  await new Promise((r) => setTimeout(r, 100));
  const byName = (n: string) => registered.find((r) => r.name === n)!;

  it("exports the repository password and the Box password as secrets", async () => {
    expect(await secret(backup.resticPassword)).toBe(true);
    expect(await secret(backup.storageBoxPassword)).toBe(true);
    expect(outputs[0]).toBe(GENERATED.restic);
    expect(outputs[1]).toBe("sftp:u424242@u424242.your-storagebox.de:restic");
  });

  it("sends the credentials on stdin, and nowhere else", () => {
    const creds = byName("backup-credentials").inputs;
    expect(creds.stdin).toBe(
      credentialsStdin({
        resticPassword: GENERATED.restic,
        boxUser: "u424242",
        boxServer: "u424242.your-storagebox.de",
        privateKeyOpenssh: GENERATED.key,
      }),
    );
    const elsewhere = JSON.stringify(
      registered
        .filter((r) => r.name !== "backup-credentials" && !r.name.endsWith("-password") && r.type !== "hcloud:index/storageBox:StorageBox")
        .map((r) => r.inputs),
    );
    for (const s of [GENERATED.restic, GENERATED.box, "AAAAfake"]) expect(elsewhere).not.toContain(s);
    expect(JSON.stringify(creds.create)).not.toContain(GENERATED.restic);
  });

  it("logs in to the host as the admin user and gives the Box the host's key, trimmed", () => {
    for (const n of ["backup-credentials", "backup-files"]) {
      // The command provider marks the whole connection secret (the wire wrapper holds it as `value`).
      expect((byName(n).inputs.connection as { value: unknown }).value).toMatchObject({ host: "203.0.113.7", user: "coop", port: 22 });
      expect(byName(n).inputs.triggers).toEqual([4711]);
    }
    expect(byName("backup-box").inputs.sshKeys).toEqual(["ssh-ed25519 AAAAC3Nzafake backup"]);
    // The provider schema marks the Box password secret: it travels wrapped.
    expect(byName("backup-box").inputs.password).toEqual({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: GENERATED.box,
    });
  });

  it("refuses to back up nothing", () => {
    expect(() => new Backup("empty", { ...args, sources: [] })).toThrow(/no service declared anything to back up/);
  });
});
