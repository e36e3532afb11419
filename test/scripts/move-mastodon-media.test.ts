/**
 * scripts/growth/move-mastodon-media.sh with a stand-in `docker` that answers as the main host's
 * engine would and records every call: the keys come from the web container and reach rclone
 * only through the env file, the volume is mounted read-only, and a copy is followed by a check.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const SCRIPT = join(REPO_ROOT, "scripts", "growth", "move-mastodon-media.sh");
const SECRET = "stand-in-secret-key-7f3a";
const dir = mkdtempSync(join(tmpdir(), "coop-move-media-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;
function run(s3Enabled: string, extraEnv: Record<string, string> = {}) {
  const bin = join(dir, `bin-${++runs}`);
  mkdirSync(bin, { recursive: true });
  const log = join(bin, "calls");
  writeFileSync(
    join(bin, "docker"),
    `#!/bin/sh
echo "$*" >> ${log}
case "$1 $2" in
  "exec web") case $4 in
    S3_ENABLED) echo ${s3Enabled} ;; S3_BUCKET) echo coop-media ;; S3_ENDPOINT) echo https://fsn1.your-objectstorage.com ;;
    S3_REGION) echo fsn1 ;; AWS_ACCESS_KEY_ID) echo stand-in-access ;; AWS_SECRET_ACCESS_KEY) echo ${SECRET} ;; *) exit 1 ;;
  esac ;;
  "volume inspect") echo '[]' ;;
  "run --rm") for a in "$@"; do case $prev in --env-file) cp "$a" ${bin}/envfile ;; esac; prev=$a; done ;;
  *) exit 3 ;;
esac
`,
  );
  chmodSync(join(bin, "docker"), 0o755);
  const r = spawnSync("bash", [SCRIPT, "web", "coop-mastodon-media"], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...extraEnv },
  });
  const calls = (() => {
    try {
      return readFileSync(log, "utf8").trim().split("\n");
    } catch {
      return [];
    }
  })();
  const envfile = (() => {
    try {
      return readFileSync(join(bin, "envfile"), "utf8");
    } catch {
      return "";
    }
  })();
  return { ...r, calls, envfile };
}

describe("moving Mastodon's media into the bucket", () => {
  withTool("shellcheck", "shellcheck")("passes shellcheck at every severity", () => {
    const r = spawnSync("shellcheck", ["-S", "style", SCRIPT], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
  });

  it("copies the volume read-only with rclone, then checks it, keys only in the env file", () => {
    const r = run("true");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const runs = r.calls.filter((c) => c.startsWith("run "));
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatch(/--volume coop-mastodon-media:\/data:ro rclone\/rclone:1\.69\.1 copy \/data bucket:coop-media/);
    expect(runs[1]).toMatch(/rclone\/rclone:1\.69\.1 check \/data bucket:coop-media --one-way --size-only/);
    for (const c of r.calls) expect(c).not.toContain(SECRET);
    expect(r.envfile).toContain(`RCLONE_CONFIG_BUCKET_SECRET_ACCESS_KEY=${SECRET}`);
    expect(r.envfile).toContain("RCLONE_CONFIG_BUCKET_ENDPOINT=https://fsn1.your-objectstorage.com");
  });

  it("leaves other servers' media behind with SKIP_CACHE=1", () => {
    const r = run("true", { SKIP_CACHE: "1" });
    expect(r.status).toBe(0);
    for (const c of r.calls.filter((x) => x.startsWith("run "))) expect(c).toMatch(/--exclude cache\/\*\*$/);
  });

  it("refuses before copying anything while Mastodon does not use the bucket yet", () => {
    const r = run("false");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not store media in a bucket yet/);
    expect(r.calls.filter((c) => c.startsWith("run "))).toEqual([]);
  });
});
