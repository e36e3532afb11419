/**
 * The nightly mirror of Mastodon's own media for the backup (media in a bucket): one line of
 * bash the backup runs as root before it copies the volumes. Run here with a stand-in `docker`
 * that plays the web container (printenv) and records what rclone would get.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mediaMirrorCommand } from "../../../components/mastodon/mastodon";
import { RCLONE_IMAGE } from "../../../components/shared/images";
import { REPO_ROOT } from "../../helpers/repo";
import { withTool } from "../../helpers/tools";

const O = { bucket: "coop-media", endpointHost: "fsn1.your-objectstorage.com", region: "fsn1" };
const line = mediaMirrorCommand("coop-mastodon-web", O, "coop-mastodon-media-mirror");
const dir = mkdtempSync(join(tmpdir(), "coop-mirror-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// As the backup script wraps it (components/backup/shell.ts): a function, `|| return 1`.
const script = `#!/usr/bin/env bash\nset -euo pipefail\nbefore_mastodon() {\n  ${line} || return 1\n}\nbefore_mastodon\n`;

describe("the media mirror before the backup", () => {
  it("syncs the bucket without cache/ into the mirror volume, with the image the move script pins", () => {
    expect(line).toContain(`--volume coop-mastodon-media-mirror:/data ${RCLONE_IMAGE} sync bucket:coop-media /data --exclude 'cache/**'`);
    const moveScript = readFileSync(join(REPO_ROOT, "scripts", "growth", "move-mastodon-media.sh"), "utf8");
    expect(moveScript).toContain(`RCLONE_IMAGE=${RCLONE_IMAGE}\n`);
  });

  it("refuses values that are not plain names (nothing else reaches the root shell)", () => {
    expect(() => mediaMirrorCommand("web;reboot", O, "m")).toThrow(/cannot go into/);
    expect(() => mediaMirrorCommand("web", { ...O, bucket: "a b" }, "m")).toThrow(/cannot go into/);
  });

  withTool("shellcheck", "shellcheck")("passes shellcheck inside the backup's function", () => {
    const file = join(dir, "mirror.sh");
    writeFileSync(file, script);
    const r = spawnSync("shellcheck", ["-S", "style", file], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
  });

  it("hands rclone the keys through the env file only, and fails the backup when rclone fails", () => {
    const bin = join(dir, "bin");
    spawnSync("mkdir", ["-p", bin]);
    const calls = join(dir, "calls");
    writeFileSync(
      join(bin, "docker"),
      `#!/bin/bash
echo "$*" >> ${calls}
if [ "$1" = exec ]; then printf 'PATH=/usr/bin\\nAWS_ACCESS_KEY_ID=stand-in-access\\nAWS_SECRET_ACCESS_KEY=stand-in-secret-9c1\\nS3_BUCKET=coop-media\\n'; exit 0; fi
prev=""; for a in "$@"; do [ "$prev" = --env-file ] && cat "$a" > ${dir}/envfile; prev=$a; done
exit "\${FAKE_RCLONE_EXIT:-0}"
`,
    );
    chmodSync(join(bin, "docker"), 0o755);
    writeFileSync(join(dir, "run.sh"), script);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const ok = spawnSync("bash", [join(dir, "run.sh")], { encoding: "utf8", env });
    expect(ok.status).toBe(0);
    expect(readFileSync(join(dir, "envfile"), "utf8")).toBe(
      "RCLONE_CONFIG_BUCKET_ACCESS_KEY_ID=stand-in-access\nRCLONE_CONFIG_BUCKET_SECRET_ACCESS_KEY=stand-in-secret-9c1\n",
    );
    expect(readFileSync(calls, "utf8")).not.toContain("stand-in-secret-9c1");
    const failed = spawnSync("bash", [join(dir, "run.sh")], { encoding: "utf8", env: { ...env, FAKE_RCLONE_EXIT: "1" } });
    expect(failed.status).toBe(1);
  });
});
