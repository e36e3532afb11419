/**
 * Each assumption kernel/sdk-internals.ts makes about the installed Pulumi SDKs, checked against
 * them: an SDK upgrade that moves one fails here, by name.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFERRED, isPackPortLine, sdkGrpc, sdkProtos } from "../../kernel/sdk-internals";
import { REPO_ROOT } from "../helpers/repo";

/** Runs `body` (async JavaScript) in a fresh Node process that loads the project's sources; returns what it prints as JSON. */
function inFreshProcess(body: string, cwd = REPO_ROOT): unknown {
  const script = `(async () => {
    require(${JSON.stringify(join(REPO_ROOT, "kernel", "load-sources.cjs"))}).install(${JSON.stringify(REPO_ROOT)});
    const internals = require(${JSON.stringify(join(REPO_ROOT, "kernel", "sdk-internals.ts"))});
    ${body}
  })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ["-e", script], { cwd, encoding: "utf8", timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "null");
}

const HEAVY = /node_modules\/(typescript|@npmcli\/arborist|@pulumi\/pulumi\/automation|@pulumi\/pulumi\/runtime\/closure)\//;

describe("1. the SDK modules coop and the pack defer", () => {
  it("are loaded by @pulumi/pulumi itself (the list is still what the SDK loads eagerly)", () => {
    const loaded = inFreshProcess(`
      require("@pulumi/pulumi");
      const files = Object.keys(require.cache);
      console.log(JSON.stringify(["typescript/", "@npmcli/arborist/", "@pulumi/pulumi/automation/", "@pulumi/pulumi/runtime/closure/serializeClosure", "@pulumi/pulumi/runtime/closure/codePaths"].map((m) => files.some((f) => f.includes("node_modules/" + m)))));
    `);
    expect(loaded).toEqual([true, true, true, true, true]);
  });

  it("export the names the stand-ins stand for", () => {
    const names = inFreshProcess(`
      const closure = Object.fromEntries(Object.keys(internals.DEFERRED.closureExports).map((m) => [m, Object.keys(require("@pulumi/pulumi/runtime/" + m.slice(2)))]));
      console.log(JSON.stringify({ closure, arborist: Object.keys(require("@npmcli/arborist")) }));
    `) as { closure: Record<string, string[]>; arborist: string[] };
    for (const [module, exported] of Object.entries(DEFERRED.closureExports))
      expect(names.closure[module]).toEqual(expect.arrayContaining([...exported]));
    expect(names.arborist).toEqual(expect.arrayContaining([...DEFERRED.arboristExports]));
  });

  it("are not loaded with the SDK once deferred, yet all work when touched", () => {
    const out = inFreshProcess(`
      internals.deferUnusedSdkModules();
      require("@pulumi/pulumi");
      const loaded = () => Object.keys(require.cache).filter((f) => ${HEAVY}.test(f)).length;
      const before = loaded();
      const automation = typeof require("@pulumi/pulumi").automation.LocalWorkspace.create;
      const serialized = await require("@pulumi/pulumi").runtime.serializeFunction(() => 42);
      const codePaths = typeof require("@pulumi/pulumi").runtime.computeCodePaths;
      const version = require("typescript").version;
      const arborist = require("@npmcli/arborist");
      const tree = new arborist.Arborist({ path: process.cwd() });
      console.log(JSON.stringify({ before, version, after: loaded(), arborist: typeof tree.loadActual, automation, closure: typeof serialized.text, codePaths }));
    `) as Record<string, unknown>;
    expect(out.before).toBe(0);
    expect(out.version).toMatch(/^\d+\.\d+/);
    expect(out.after).toBeGreaterThan(0);
    expect(out).toMatchObject({ arborist: "function", automation: "function", closure: "string", codePaths: "function" });
  });
});

describe("2. the SDKs' protobuf modules", () => {
  it("hold the messages and services the gate and the offline runner build", () => {
    const p = sdkProtos();
    for (const m of ["getPluginInfo", "getAnalyzerInfo", "configure", "configureStack", "analyze", "analyzeStack", "remediate"])
      expect(Object.keys(p.analyzerGrpc.AnalyzerService), m).toContain(m);
    const req = new p.analyzer.AnalyzerStackConfigureRequest();
    req.setStack("s");
    req.setProject("p");
    req.setDryRun(true);
    expect(req.getStack()).toBe("s");
    expect(typeof new p.plugin.PluginInfo().getVersion).toBe("function");
    expect(typeof new p.resource.RegisterResourceResponse().setObject).toBe("function");
    // A message accepts only a Struct of its own google-protobuf copy.
    const c = new p.analyzer.PolicyConfig();
    c.setProperties(p.struct.Struct.fromJavaScript({ a: 1 }));
    expect(c.getProperties()?.toJavaScript()).toEqual({ a: 1 });
    expect(new p.empty.Empty()).toHaveProperty("serializeBinary");
  });

  it("come with the gRPC copy each SDK uses", () => {
    expect(typeof sdkGrpc("@pulumi/policy").Server.prototype.addService).toBe("function");
    expect(typeof sdkGrpc("@pulumi/pulumi").credentials.createInsecure).toBe("function");
  });
});

describe("3 and 4. the analyzer service a PolicyPack registers, and the port it prints", () => {
  it("registers its handlers through the gRPC copy beside @pulumi/policy, and prints the port alone on a line", () => {
    const dir = mkdtempSync(join(tmpdir(), "coop-pack-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "p", version: "1.2.3" }));
    try {
      const out = inFreshProcess(
        `
        let seen;
        const undo = internals.tapAnalyzerService((h) => ((seen = Object.keys(h).sort()), h));
        const log = console.log;
        const port = new Promise((resolve) => (console.log = (t) => resolve(String(t))));
        const { PolicyPack } = require(require.resolve("@pulumi/policy", { paths: [${JSON.stringify(REPO_ROOT)}] }));
        new PolicyPack("p", { policies: [{ name: "x", description: "x", enforcementLevel: "mandatory", validateResource: () => {} }] });
        undo();
        const line = await port;
        console.log = log;
        console.log(JSON.stringify({ seen, portLine: internals.isPackPortLine(line) }));
        process.exit(0);
      `,
        dir,
      );
      expect(out).toEqual({
        seen: ["analyze", "analyzeStack", "configure", "configureStack", "getAnalyzerInfo", "getPluginInfo", "remediate"],
        portLine: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(isPackPortLine("41234\n")).toBe(true);
    expect(isPackPortLine("listening on 41234")).toBe(false);
  });
});

describe("5. the mock runtime's monitor", () => {
  it("can be answered in place and drained", () => {
    const out = inFreshProcess(`
      const pulumi = require("@pulumi/pulumi");
      await pulumi.runtime.setMocks({ newResource: () => ({ id: "i", state: {} }), call: () => ({}) }, "p", "s", true);
      const m = internals.mockMonitor();
      const kinds = ["newUrn", "registerResource", "readResource", "registerResourceOutputs"].map((k) => typeof m[k]);
      let answered = 0;
      let read = 0;
      const original = m.registerResource.bind(m);
      m.registerResource = (req, cb) => { answered++; return original(req, cb); };
      const originalRead = m.readResource.bind(m);
      m.readResource = (req, cb) => { read++; return originalRead(req, cb); };
      new pulumi.CustomResource("t:index:R", "r", {});
      new pulumi.StackReference("other", { name: "org/p/other" });
      await internals.waitForRegistrations();
      console.log(JSON.stringify({ kinds, answered, read }));
    `);
    expect(out).toEqual({ kinds: ["function", "function", "function", "function"], answered: 1, read: 1 });
  });
});
