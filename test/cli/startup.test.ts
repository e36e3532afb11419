import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/repo";

describe("the coop process defers SDK modules it does not use", () => {
  it("loads neither TypeScript nor Arborist with the SDK, yet both work when touched", () => {
    const script = `
      require(${JSON.stringify(join(REPO_ROOT, "dist/cli/startup.js"))}).deferUnusedSdkModules();
      require("@pulumi/pulumi");
      const loaded = () => Object.keys(require.cache).filter((f) => /node_modules\\/(typescript|@npmcli\\/arborist)\\//.test(f)).length;
      const before = loaded();
      const version = require("typescript").version;
      const arborist = require("@npmcli/arborist");
      const tree = new arborist.Arborist({ path: process.cwd() });
      console.log(JSON.stringify({ before, version, after: loaded(), arborist: typeof tree.loadActual }));
    `;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { before: number; version: string; after: number; arborist: string };
    expect(out.before).toBe(0);
    expect(out.version).toMatch(/^\d+\.\d+/);
    expect(out.after).toBeGreaterThan(0);
    expect(out.arborist).toBe("function");
  });
});
