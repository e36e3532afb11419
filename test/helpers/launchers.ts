/**
 * The program and the pack started exactly as the Pulumi CLI starts them, for tests:
 * - the program by the Node.js language host: `node @pulumi/pulumi/cmd/run --monitor … --pwd
 *   <project> index.ts` (Pulumi.yaml `main`) with PULUMI_NODEJS_TYPESCRIPT=true, against a
 *   stand-in resource monitor that answers a preview (the SDK talks to the monitor before it
 *   loads the program, so a dead address would never reach it);
 * - the pack by `pulumi-analyzer-policy`: run-policy-pack, resolved from the pack's folder and
 *   run there with the engine's address and ".".
 * And a throw-away copy of the repository's code to attack (node_modules linked, not copied).
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as GrpcModule from "@grpc/grpc-js";
import { sdkGrpc, sdkProtos } from "../../kernel/sdk-internals";
import { REPO_ROOT } from "./repo";

export interface Launched {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A copy of the repository's code and record (not node_modules, .git or caches) to change at will. */
export function codeCopy(): { root: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), "coop-code-"));
  for (const entry of readdirSync(REPO_ROOT)) {
    if (["node_modules", ".git", "coverage", "dist"].includes(entry)) continue;
    cpSync(join(REPO_ROOT, entry), join(root, entry), { recursive: true, filter: (src) => !src.includes(`${join("bench", ".work")}`) });
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Runs the project's `coop` in `root` as a child process (bin/coop.js, as npx runs it). */
export function coopIn(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Launched {
  const r = spawnSync(process.execPath, [join(root, "bin", "coop.js"), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts the pack in `packDir` as the CLI does; resolves once it printed its port (then stops
 * it) or exited. `code` is null when it started.
 */
export function launchPack(packDir: string, env: NodeJS.ProcessEnv = {}): Promise<Launched & { port?: number }> {
  const launcher = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  const child = spawn(process.execPath, [launcher, "127.0.0.1:0", "."], { cwd: packDir, env: { ...process.env, ...env } });
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill(), 120_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const port = /^(\d+)\s*$/m.exec(stdout)?.[1];
      if (port) {
        clearTimeout(timer);
        child.kill();
        resolve({ code: null, stdout, stderr, port: Number(port) });
      }
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** What the stand-in monitor saw: the URN of every resource the program registered. */
export interface ProgramLaunch extends Launched {
  readonly registered: string[];
}

/**
 * Runs the program in `root` for a preview of `stack`, as the Node.js language host runs it,
 * against a stand-in monitor that answers registrations as the engine answers a preview.
 */
export async function launchProgram(root: string, stack: string, env: NodeJS.ProcessEnv = {}): Promise<ProgramLaunch> {
  const monitor = await standInMonitor(stack);
  try {
    const runner = require.resolve("@pulumi/pulumi/cmd/run", { paths: [root] });
    const child = spawn(
      process.execPath,
      [runner, `--monitor=${monitor.address}`, "--project=coop-infra", `--stack=${stack}`, `--pwd=${root}`, "--dry-run", "index.ts"],
      {
        cwd: root,
        env: {
          ...process.env,
          // What the language host sets for Pulumi.yaml's `typescript: true`; the checks run
          // before anything is type-checked, so skipping ts-node's type check only saves time.
          PULUMI_NODEJS_TYPESCRIPT: "true",
          PULUMI_NODEJS_TRANSPILE_ONLY: "true",
          PULUMI_CONFIG: JSON.stringify({ "coop-infra:mailRelayPassword": "not-a-real-password" }),
          PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(["coop-infra:mailRelayPassword"]),
          ...env,
        },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill(), 120_000);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    return { code, stdout, stderr, registered: monitor.registered };
  } finally {
    monitor.close();
  }
}

/** A resource monitor answering a preview: every registration gets its URN and its inputs back, no ID. */
async function standInMonitor(stack: string): Promise<{ address: string; registered: string[]; close(): void }> {
  const grpc = sdkGrpc("@pulumi/pulumi");
  const { resource: resourcePb, empty } = sdkProtos();
  const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb") as { ResourceMonitorService: GrpcModule.ServiceDefinition };
  const registered: string[] = [];
  const qualified = new Map<string, string>();
  const unimplemented = (_call: unknown, cb: (e: Partial<GrpcModule.ServiceError>) => void) =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: "stand-in" });
  const handlers: Record<string, unknown> = Object.fromEntries(
    Object.keys(resourceGrpc.ResourceMonitorService).map((m) => [m, unimplemented]),
  );
  handlers.supportsFeature = (call: { request: { getId(): string } }, cb: (e: null, r: unknown) => void) => {
    const res = new resourcePb.SupportsFeatureResponse();
    res.setHassupport(["secrets", "aliasSpecs", "deletedWith"].includes(call.request.getId()));
    cb(null, res);
  };
  handlers.registerResource = (
    call: { request: { getType(): string; getName(): string; getParent(): string; getCustom(): boolean; getObject(): unknown } },
    cb: (e: null, r: unknown) => void,
  ) => {
    const req = call.request;
    const parentType = qualified.get(req.getParent());
    const type = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${req.getType()}` : req.getType();
    const urn = `urn:pulumi:${stack}::coop-infra::${type}::${req.getName()}`;
    qualified.set(urn, type);
    registered.push(urn);
    const res = new resourcePb.RegisterResourceResponse();
    res.setUrn(urn);
    if (req.getCustom() && req.getObject()) res.setObject(req.getObject() as never);
    cb(null, res);
  };
  handlers.registerResourceOutputs = (_call: unknown, cb: (e: null, r: unknown) => void) => cb(null, new empty.Empty());
  const server = new grpc.Server();
  server.addService(resourceGrpc.ResourceMonitorService, handlers as GrpcModule.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, registered, close: () => server.forceShutdown() };
}
