/**
 * The components' shell assets: real .sh files, shellcheck'd as files, filled in with data only,
 * and found from the sources however they are loaded (vitest, or the loader `coop` and the pack use).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { renderRestoreScript } from "../../../components/backup/restore-script";
import { SETTINGS_MARKER, readAsset, renderScript, shq } from "../../../components/shared/assets";
import { REPO_ROOT } from "../../helpers/repo";
import { withTool } from "../../helpers/tools";

const COMPONENTS = join(REPO_ROOT, "components");

function shellFiles(dir = COMPONENTS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? shellFiles(join(dir, e.name)) : e.name.endsWith(".sh") ? [join(dir, e.name)] : [],
  );
}

const files = shellFiles();

describe("the shell assets", () => {
  it("are the scripts the components install (each script once, with its settings marker)", () => {
    const names = files.map((f) => relative(COMPONENTS, f)).sort();
    expect(names).toEqual(
      [
        "alerts/alert.sh",
        "alerts/check.sh",
        "alerts/login.sh",
        "backup/backup.sh",
        "backup/common.sh",
        "backup/credentials.sh",
        "backup/login-banner.sh",
        "backup/put.sh",
        "backup/restore.sh",
        "host/install-docker.sh",
        "host/mount-data.sh",
      ].sort(),
    );
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      const markers = text.split("\n").filter((l) => l === SETTINGS_MARKER).length;
      // Whole scripts start with bash's shebang and take their settings at one place; the parts
      // spliced into them (common.sh, put.sh) declare their shell for shellcheck instead.
      if (text.startsWith("#!/bin/bash\n")) expect(markers, f).toBe(1);
      else {
        expect(text.startsWith("# shellcheck shell=bash\n"), f).toBe(true);
        expect(markers, f).toBe(0);
      }
    }
  });

  withTool("shellcheck", "shellcheck")("pass shellcheck as files, at every severity", () => {
    const r = spawnSync("shellcheck", ["--severity=style", "--external-sources", ...files], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("get data only: the settings replace the marker line, everything else is the file as it is", () => {
    const asset = readAsset("host/mount-data.sh");
    const rendered = renderScript("host/mount-data.sh", ["readonly DATA_DIR='/srv/x'"]);
    expect(rendered).toBe(asset.replace(`${SETTINGS_MARKER}\n`, "readonly DATA_DIR='/srv/x'\n"));
  });

  it("refuses a path outside the components' assets, and says how to get a missing one back", () => {
    expect(() => readAsset("../package.json")).toThrow(/not an asset path/);
    expect(() => readAsset("backup/../../secret.sh")).toThrow(/not an asset path/);
    expect(() => readAsset("backup/missing.sh")).toThrow(
      /components\/backup\/missing\.sh could not be read \(ENOENT\).*git restore components\//,
    );
  });

  it("quotes any value so bash reads it back unchanged", () => {
    for (const value of ["plain", "it's", "$(reboot)", "a\nb", '`x` \\ "y"', ""]) {
      const r = spawnSync("bash", ["-c", `printf '%s' ${shq(value)}`], { encoding: "utf8" });
      expect(r.stdout).toBe(value);
    }
  });

  it("are found when the sources run through the loader the coop command and the pack use", () => {
    const args = {
      restic: { repository: "/r", passwordFile: "/p", host: "h" },
      paths: { volumesDir: "/v", stateDir: "/s", cacheDir: "/c" },
      items: [{ service: "mail", databases: [], volumes: ["m"], before: [], after: [] }],
      scratchDir: "/x",
    };
    const r = spawnSync(
      process.execPath,
      [
        "-e",
        `require(process.argv[1]).start(process.argv[2]); process.stdout.write(require(process.argv[3]).renderRestoreScript(${JSON.stringify(args)}))`,
        join(REPO_ROOT, "kernel", "load-sources.cjs"),
        REPO_ROOT,
        join(REPO_ROOT, "components", "backup", "restore-script.ts"),
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(renderRestoreScript(args));
  });
});
