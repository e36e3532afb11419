/**
 * Hosts the real policy pack, started through its entry the way the Pulumi CLI starts it, and
 * talks to it the way the engine does: GetPluginInfo, GetAnalyzerInfo, Configure, then per
 * stack ConfigureStack, Remediate/Analyze per resource and AnalyzeStack.
 *
 * The CLI runs `@pulumi/pulumi/cmd/run-policy-pack <engine> .` in policies/ (through its
 * `pulumi-analyzer-policy` script), which requires the folder: Node resolves it through
 * policies/package.json `main`, and the pack's server prints its port. Three transports:
 * - "wire" (the default): the pack is required the same way, in this process (the SDK allows
 *   one per process; this spares a second SDK load), and each request is encoded to its
 *   protobuf wire bytes and decoded again, exactly what gRPC does on both ends, then handed to
 *   the handler the server registered;
 * - "grpc": the same in-process pack, through a real gRPC client over loopback;
 * - "cli": the pack in its own process, launched exactly as the CLI launches it, over gRPC.
 * Tests run the transports over the same plans and require identical verdicts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type * as GrpcModule from "@grpc/grpc-js";
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as PluginPb from "@pulumi/pulumi/proto/plugin_pb";
import { findRepoRoot } from "../../kernel/repo";
import { type AnalyzerHandlers, isPackPortLine, sdkGrpc, sdkProtos } from "../../kernel/sdk-internals";

export type Transport = "wire" | "grpc" | "cli";

export interface AnalyzerCalls {
  getPluginInfo(): Promise<PluginPb.PluginInfo>;
  getAnalyzerInfo(): Promise<AnalyzerPb.AnalyzerInfo>;
  configure(req: AnalyzerPb.ConfigureAnalyzerRequest): Promise<void>;
  configureStack(req: AnalyzerPb.AnalyzerStackConfigureRequest): Promise<void>;
  remediate(req: AnalyzerPb.AnalyzeRequest): Promise<AnalyzerPb.RemediateResponse>;
  analyze(req: AnalyzerPb.AnalyzeRequest): Promise<AnalyzerPb.AnalyzeResponse>;
  analyzeStack(req: AnalyzerPb.AnalyzeStackRequest): Promise<AnalyzerPb.AnalyzeResponse>;
}

/** A started pack. */
export interface PackHost {
  readonly calls: AnalyzerCalls;
  /**
   * Points the pack at the co-op's record in `root` (tests and benchmarks gate generated
   * repositories with this repository's code). A pack in its own process reads the repository
   * it was started from, as under the CLI; it refuses any other.
   */
  useRepository(root: string): void;
  /** Drops what the pack kept for one stack (`coop gate --all` checks many in one run). */
  forget(stack: string, urns: readonly string[]): void;
  /** Stops a pack running in its own process. */
  close(): void;
}

/** What policies/index.ts exports for a pack loaded in coop's process. */
interface InProcessPack {
  readonly handlers?: Readonly<AnalyzerHandlers>;
  useRepository(root: string | undefined): void;
  forget(stack: string, urns: readonly string[]): void;
}

/** The repository coop runs from: its policies/ is the pack. */
const codeRoot = () => findRepoRoot(__dirname);

let inProcess: Promise<{ pack: InProcessPack; port: number }> | undefined;

/** Starts the pack (once per process for the in-process transports) and returns calls to it. */
export async function policyPack(transport: Transport = "wire"): Promise<PackHost> {
  if (transport === "cli") return cliPack(join(codeRoot(), "policies"));
  inProcess ??= loadPackInProcess(join(codeRoot(), "policies"));
  const { pack, port } = await inProcess;
  const handlers = pack.handlers;
  if (!handlers) throw new Error("the policy pack registered no analyzer service");
  return {
    calls: transport === "grpc" ? grpcCalls(port) : wireCalls(handlers),
    useRepository: (root) => pack.useRepository(root),
    forget: (stack, urns) => pack.forget(stack, urns),
    close: () => undefined,
  };
}

type Method = {
  requestSerialize(r: unknown): Buffer;
  requestDeserialize(b: Buffer): unknown;
  responseSerialize(r: unknown): Buffer;
  responseDeserialize(b: Buffer): unknown;
};

/** Calls the registered handler with the request as it arrives over the wire. */
function wireCalls(handlers: Readonly<AnalyzerHandlers>): AnalyzerCalls {
  const { analyzerGrpc, empty } = sdkProtos();
  const s = analyzerGrpc.AnalyzerService as unknown as Record<string, Method>;
  const call =
    <Res>(name: string) =>
    (req: unknown) =>
      new Promise<Res>((resolve, reject) => {
        const m = s[name];
        const handler = handlers[name];
        if (!handler) return reject(new Error(`the policy pack does not serve ${name}`));
        const request = m.requestDeserialize(m.requestSerialize(req));
        handler({ request }, (err: unknown, res: unknown) => {
          if (err) reject(err);
          else resolve(m.responseDeserialize(m.responseSerialize(res)) as Res);
        });
      });
  return {
    getPluginInfo: () => call<PluginPb.PluginInfo>("getPluginInfo")(new empty.Empty()),
    getAnalyzerInfo: () => call<AnalyzerPb.AnalyzerInfo>("getAnalyzerInfo")(new empty.Empty()),
    configure: async (req) => void (await call("configure")(req)),
    configureStack: async (req) => void (await call("configureStack")(req)),
    remediate: call("remediate"),
    analyze: call("analyze"),
    analyzeStack: call("analyzeStack"),
  };
}

function grpcCalls(port: number): AnalyzerCalls {
  const { analyzerGrpc, empty } = sdkProtos();
  const grpc = sdkGrpc("@pulumi/pulumi");
  const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
  });
  const call =
    <Req, Res>(method: (req: Req, cb: (err: GrpcModule.ServiceError | null, res: Res) => void) => unknown) =>
    (req: Req) =>
      new Promise<Res>((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    getPluginInfo: () => call<unknown, PluginPb.PluginInfo>(client.getPluginInfo as never)(new empty.Empty()),
    getAnalyzerInfo: () => call<unknown, AnalyzerPb.AnalyzerInfo>(client.getAnalyzerInfo as never)(new empty.Empty()),
    configure: async (req) => void (await call<AnalyzerPb.ConfigureAnalyzerRequest, unknown>(client.configure as never)(req)),
    configureStack: async (req) =>
      void (await call<AnalyzerPb.AnalyzerStackConfigureRequest, unknown>(client.configureStack as never)(req)),
    remediate: call(client.remediate as never),
    analyze: call(client.analyze as never),
    analyzeStack: call(client.analyzeStack as never),
  };
}

/** How long a pack may take to print its port (a first run after `npm ci` compiles every source). */
const START_TIMEOUT_MS = 120_000;

/**
 * Requires the pack's folder as run-policy-pack does (Node resolves it through package.json
 * `main`), in the working directory the pack expects (the SDK reads the pack's version from
 * ./package.json), and reads the port the SDK prints once its server listens.
 */
async function loadPackInProcess(packDir: string): Promise<{ pack: InProcessPack; port: number }> {
  const log = console.log;
  const cwd = process.cwd();
  let timer: NodeJS.Timeout | undefined;
  const listening = new Promise<number>((resolve, reject) => {
    timer = setTimeout(() => {
      console.log = log;
      reject(new Error(`the policy pack did not start its analyzer server within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    console.log = (...args: unknown[]) => {
      const text = args.map(String).join(" ").trim();
      if (isPackPortLine(text)) {
        clearTimeout(timer);
        console.log = log;
        resolve(Number(text));
        return;
      }
      // Anything else the pack prints must not end up in stdout (--json keeps it one document).
      process.stderr.write(`${text}\n`);
    };
  });
  let exported: { inProcess?: InProcessPack };
  try {
    process.chdir(packDir);
    exported = require(packDir);
  } catch (e) {
    clearTimeout(timer);
    console.log = log;
    throw e;
  } finally {
    process.chdir(cwd);
  }
  const port = await listening;
  if (!exported.inProcess) throw new Error("the policy pack (policies/, through package.json main) exports nothing coop can use");
  return { pack: exported.inProcess, port };
}

/**
 * The pack in its own process, started exactly as the CLI's `pulumi-analyzer-policy` script
 * starts it: run-policy-pack resolved from the pack's folder, run there with the engine's
 * address and ".". The Node.js policy SDK never dials the engine, so no engine listens there.
 */
async function cliPack(packDir: string): Promise<PackHost> {
  const launcher = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  const child = spawn(process.execPath, [launcher, "127.0.0.1:0", "."], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"] });
  // A pack outliving coop would keep its port and its memory.
  const stop = () => void child.kill();
  process.once("exit", stop);
  const port = await portOf(child);
  const root = findRepoRoot(packDir);
  return {
    calls: grpcCalls(port),
    useRepository: (r) => {
      if (r !== root) throw new Error(`a pack started as the Pulumi CLI starts it reads its own repository (${root}), not ${r}`);
    },
    forget: () => undefined,
    close: () => {
      process.off("exit", stop);
      stop();
    },
  };
}

/** The port a launched pack prints, or why it stopped before printing one (its stderr). */
function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the policy pack did not print its port within ${START_TIMEOUT_MS / 1000} s\n${err}`));
    }, START_TIMEOUT_MS);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => isPackPortLine(l));
      if (line) {
        clearTimeout(timer);
        resolve(Number(line.trim()));
      }
    });
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the policy pack stopped (exit ${code}) before it listened:\n${err.trim()}`));
    });
  });
}
