/**
 * The retention of Mastodon's media cache: the spec's days in tootctl's commands, run nightly by
 * systemd on the main host, installed by a command whose every line is in the plan.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  MEDIA_RETENTION_UNITS,
  renderMediaRetentionCommand,
  renderMediaRetentionService,
  renderMediaRetentionTimer,
} from "../../../components/mastodon/media-retention";
import { bundledSpec, governed, planSpec } from "../../helpers/program";
import { withTool } from "../../helpers/tools";

const ARGS = { webContainer: "example-co-op-example-grown-mastodon-web", remoteMediaDays: 7, previewCardDays: 30 };
const dir = mkdtempSync(join(tmpdir(), "coop-retention-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the media retention units", () => {
  const service = renderMediaRetentionService(ARGS);

  it("removes remote media and preview cards older than the spec's days, in Mastodon's web container", () => {
    const exec = service.split("\n").filter((l) => l.startsWith("ExecStart="));
    expect(exec).toEqual([
      "ExecStart=/usr/bin/docker exec example-co-op-example-grown-mastodon-web tootctl media remove --days 7",
      "ExecStart=/usr/bin/docker exec example-co-op-example-grown-mastodon-web tootctl preview_cards remove --days 30",
    ]);
  });

  it("refuses what would not be a container name or a number of days (nothing else reaches the unit)", () => {
    expect(() => renderMediaRetentionService({ ...ARGS, webContainer: "web; rm -rf /" })).toThrow(/not a container name/);
    expect(() => renderMediaRetentionService({ ...ARGS, remoteMediaDays: 0 })).toThrow(/remoteMediaDays/);
  });

  withTool("systemd-analyze", "systemd")("passes systemd-analyze verify, and fires nightly", () => {
    // verify checks that ExecStart's program exists: a stand-in docker where this machine has none.
    const units = join(dir, "units");
    const bin = join(dir, "docker");
    writeFileSync(bin, "#!/bin/sh\n", { mode: 0o755 });
    const s = service.replaceAll("/usr/bin/docker", bin);
    spawnSync("mkdir", ["-p", units]);
    writeFileSync(join(units, "coop-mastodon-media-retention.service"), s);
    writeFileSync(join(units, "coop-mastodon-media-retention.timer"), renderMediaRetentionTimer());
    const r = spawnSync(
      "systemd-analyze",
      ["verify", join(units, "coop-mastodon-media-retention.service"), join(units, "coop-mastodon-media-retention.timer")],
      {
        encoding: "utf8",
      },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const cal = spawnSync("systemd-analyze", ["calendar", "*-*-* 01:45:00"], { encoding: "utf8" });
    expect(cal.stdout).toContain("Normalized form: *-*-* 01:45:00");
    expect(renderMediaRetentionTimer()).toContain("OnCalendar=*-*-* 01:45:00");
  });

  it("installs both units and (re)starts the timer", () => {
    const cmd = renderMediaRetentionCommand(ARGS);
    expect(cmd).toContain(MEDIA_RETENTION_UNITS.service);
    expect(cmd).toContain(MEDIA_RETENTION_UNITS.timer);
    expect(cmd).toContain("tootctl media remove --days 7");
    expect(cmd).toMatch(/sudo systemctl enable 'coop-mastodon-media-retention\.timer'\n/);
  });
});

describe("in the grown example's plan", async () => {
  const { view } = await planSpec(bundledSpec("example-grown"), "example-grown");

  it("runs on the main host with the spec's days", () => {
    const r = governed(view, "mastodon-media-retention");
    expect(String(r.inputs.create)).toContain("tootctl media remove --days 7");
    expect(String(r.inputs.create)).toContain("tootctl preview_cards remove --days 30");
  });

  it("is absent while the media is on the volume (the single-host example)", async () => {
    const one = await planSpec(bundledSpec("example"), "example");
    expect(one.view.resources.find((r) => r.name === "mastodon-media-retention")).toBeUndefined();
  });
});
