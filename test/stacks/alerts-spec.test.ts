/**
 * The alerts block of the spec: safe defaults, who is told, and the mistakes it refuses at the
 * field (with a fix) before anything is rendered.
 */
import { describe, expect, it } from "vitest";
import { alertRecipients, StackSpecSchema, type StackSpecInput } from "../../stacks/schema";
import { SECRET_CONFIG_KEYS } from "../../stacks/secret-keys";
import { specIssues } from "../helpers/spec-issues";

const HOST = {
  target: "hetzner" as const,
  sshSources: ["203.0.113.7/32"],
  admins: [
    { name: "ada", sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01 ada@test" },
    { name: "ci", sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDHryPENADbTg2YR6ZivslSjolTP6LAvZpn3vdzv9Ma0 ci@test" },
  ],
};
const base = (extra: Partial<StackSpecInput> = {}): StackSpecInput => ({
  coop: { name: "Test Co-op" },
  domain: "test.coop",
  host: HOST,
  mailboxes: [{ localPart: "ada", name: "Ada", aliases: ["postmaster", "dmarc.report", "tlsrpt"] }],
  backups: { enabled: false },
  ...extra,
});

const issues = specIssues;

describe("the alerts part of the spec", () => {
  it("is on by default with the issue's thresholds, no status page, nothing watched elsewhere", () => {
    const spec = StackSpecSchema.parse(base());
    expect(spec.alerts).toEqual({
      enabled: true,
      recipients: null,
      matrix: null,
      webhook: false,
      thresholds: {
        dataVolumePercent: 85,
        rootDiskPercent: 85,
        certificateDays: 14,
        backupMaxAgeHours: 26,
        mailQueueSize: 50,
        nextcloudMaintenanceMinutes: 60,
      },
      statusPage: { enabled: false, hostname: "status" },
      watch: [],
    });
  });

  it("tells the admins at their own mailboxes, else postmaster, unless recipients are listed", () => {
    // ada is an admin with a mailbox; ci is an admin without one.
    expect(alertRecipients(StackSpecSchema.parse(base()))).toEqual(["ada@test.coop"]);
    expect(alertRecipients(StackSpecSchema.parse(base({ mailboxes: [], services: { mail: { senders: ["mastodon"] } } })))).toEqual([
      "postmaster@test.coop",
    ]);
    const listed = StackSpecSchema.parse(base({ alerts: { recipients: ["ops@elsewhere.example", "ops@elsewhere.example"] } }));
    expect(alertRecipients(listed)).toEqual(["ops@elsewhere.example"]);
  });

  it("needs the Matrix token and the webhook address as config secrets only when they are used", () => {
    const needed = (input: StackSpecInput) => SECRET_CONFIG_KEYS.filter((k) => k.neededBy(StackSpecSchema.parse(input))).map((k) => k.key);
    expect(needed(base())).toEqual([]);
    expect(
      needed(base({ alerts: { matrix: { homeserverUrl: "https://matrix.test.coop", roomId: "!r:test.coop" }, webhook: true } })),
    ).toEqual(["alertsMatrixToken", "alertsWebhookUrl"]);
    expect(needed(base({ alerts: { enabled: false, webhook: true } }))).toEqual([]);
  });

  it("refuses alerts on a local stack, at the field, saying what to write instead", () => {
    const got = issues({ coop: { name: "T" }, domain: "t.localhost", host: { target: "local" }, backups: { enabled: false } });
    expect(got.map((i) => i.path)).toEqual(["alerts.enabled"]);
    expect(got[0].hint).toContain("alerts: {enabled: false}");
  });

  it("refuses thresholds that could never alert, an empty recipient list, a status page on a service's name", () => {
    expect(issues(base({ alerts: { thresholds: { dataVolumePercent: 100 } } })).map((i) => i.path)).toEqual([
      "alerts.thresholds.dataVolumePercent",
    ]);
    expect(issues(base({ alerts: { thresholds: { backupMaxAgeHours: 12 } } })).map((i) => i.path)).toEqual([
      "alerts.thresholds.backupMaxAgeHours",
    ]);
    expect(issues(base({ alerts: { recipients: [] } }))[0].message).toContain("null for the admins' own mailboxes");
    const clash = issues(base({ alerts: { statusPage: { enabled: true, hostname: "social" } } }));
    expect(clash.map((i) => i.path)).toEqual(["alerts.statusPage.hostname"]);
    expect(clash[0].message).toContain("mastodon serves it");
  });

  it("watches only https addresses, each once", () => {
    expect(issues(base({ alerts: { watch: ["http://peer.example/health"] } })).map((i) => i.path)).toEqual(["alerts.watch.0"]);
    expect(issues(base({ alerts: { watch: ["https://peer.example/a", "https://peer.example/a"] } })).map((i) => i.message)).toEqual([
      "https://peer.example/a is listed twice",
    ]);
  });
});
