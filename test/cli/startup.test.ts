import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/repo";

describe("the coop process defers SDK modules it does not use", () => {
  it("loads neither TypeScript, Arborist, closure serialization nor the Automation API with the SDK, yet all work when touched", () => {
    const script = `(async () => {
      require(${JSON.stringify(join(REPO_ROOT, "dist/cli/startup.js"))}).deferUnusedSdkModules();
      require("@pulumi/pulumi");
      const loaded = () => Object.keys(require.cache).filter((f) => /node_modules\\/(typescript|@npmcli\\/arborist|@pulumi\\/pulumi\\/automation|@pulumi\\/pulumi\\/runtime\\/closure)\\//.test(f)).length;
      const before = loaded();
      const automation = typeof require("@pulumi/pulumi").automation.LocalWorkspace.create;
      const serialized = require("@pulumi/pulumi").runtime.serializeFunction(() => 42);
      const version = require("typescript").version;
      const arborist = require("@npmcli/arborist");
      const tree = new arborist.Arborist({ path: process.cwd() });
      console.log(JSON.stringify({ before, version, after: loaded(), arborist: typeof tree.loadActual, automation, closure: typeof (await serialized).text }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      before: number;
      version: string;
      after: number;
      arborist: string;
      automation: string;
      closure: string;
    };
    expect(out.before).toBe(0);
    expect(out.version).toMatch(/^\d+\.\d+/);
    expect(out.after).toBeGreaterThan(0);
    expect(out.arborist).toBe("function");
    expect(out.automation).toBe("function");
    expect(out.closure).toBe("string");
  });
});
