/**
 * Every place the project reaches into the Pulumi SDKs' internals — modules, objects and
 * behaviour that are no public API — in one module, each with why. An SDK upgrade may move any
 * of them; test/kernel/sdk-internals.test.ts checks each assumption against the installed SDKs
 * by name, so such an upgrade fails there first. Nothing here loads the SDK until it is used.
 *
 * 1. Deferred SDK modules (coop and the pack's start-up): deferUnusedSdkModules.
 * 2. The protobuf modules the SDKs generate, and the google-protobuf and gRPC copies they are
 *    built with: sdkProtos, sdkGrpc.
 * 3. The analyzer service @pulumi/policy registers: tapAnalyzerService.
 * 4. The port a policy pack prints when it listens: isPackPortLine.
 * 5. The mock runtime's monitor and the SDK's end-of-program drain: mockMonitor, waitForRegistrations.
 */
import Module = require("node:module");
import { dirname } from "node:path";
import type * as GrpcModule from "@grpc/grpc-js";
import type * as AnalyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as PluginPb from "@pulumi/pulumi/proto/plugin_pb";
import type * as ResourcePb from "@pulumi/pulumi/proto/resource_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";

// ---------------------------------------------------------------------------------------------
// 1. Deferred SDK modules

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;

/** Node's Module._load, through which every require passes (no public hook exists for CommonJS). */
const moduleInternals = Module as unknown as { _load: Loader };

/**
 * The modules @pulumi/pulumi loads eagerly that coop and the pack never use, each replaced by a
 * stand-in that loads the real module the moment anything touches it (so a future SDK that does
 * use one is only slower, never broken):
 * - `typescript` and npm's Arborist: the SDK loads them for serializing closures into dynamic
 *   providers and for computing their code paths; together about half of the SDK's load time;
 * - the closure serializer itself, which the SDK's runtime/index.js re-exports three functions of;
 * - `./automation` (driving the Pulumi CLI from code), which the SDK's index.js loads eagerly.
 * Only the processes coop and the pack's entry start install this; the program under the
 * Pulumi CLI runs without it.
 */
export const DEFERRED = {
  modules: ["typescript", "@npmcli/arborist"],
  arboristExports: ["Arborist", "Node", "Link", "Edge", "Shrinkwrap"],
  /** Module → the names @pulumi/pulumi/runtime/index.js re-exports from it. */
  closureExports: {
    "./closure/serializeClosure": ["serializeFunctionAsync", "serializeFunction"],
    "./closure/codePaths": ["computeCodePaths"],
  } as Readonly<Record<string, readonly string[]>>,
  automation: "./automation",
} as const;

function lazyModule(load: () => Record<PropertyKey, unknown>, esModule = false): unknown {
  return new Proxy(
    {},
    {
      // TypeScript's __importStar asks for __esModule at import time; answering it without
      // loading keeps the module deferred until something is really used.
      get: (_t, key) => (esModule && key === "__esModule" ? true : load()[key]),
      has: (_t, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_t, key) => {
        const d = Object.getOwnPropertyDescriptor(load(), key);
        return d ? { ...d, configurable: true } : undefined;
      },
    },
  );
}

/**
 * A module object whose named exports are stand-ins for the real exports (classes or
 * functions): code that copies the module's exports at import time (TypeScript's
 * __importStar) copies the stand-ins, and the real module loads when one is called.
 */
function lazyExports(names: readonly string[], load: () => Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const real = () => load()[name] as (...args: unknown[]) => unknown;
    out[name] = new Proxy(function standIn() {}, {
      construct: (_t, args) => Reflect.construct(real(), args),
      apply: (_t, self, args) => Reflect.apply(real(), self, args),
      get: (_t, key) => (real() as unknown as Record<PropertyKey, unknown>)[key],
    });
  }
  return out;
}

const DEFERRING = Symbol.for("coop-infra.deferred-sdk-modules");

export function deferUnusedSdkModules(): void {
  const proc = process as unknown as Record<symbol, boolean>;
  if (proc[DEFERRING]) return;
  proc[DEFERRING] = true;
  const load = moduleInternals._load;
  const cache = new Map<string, unknown>();
  const once = (
    key: string,
    make: (loadReal: () => Record<string, unknown>) => unknown,
    request: string,
    parent: unknown,
    isMain: boolean,
  ) => {
    let standIn = cache.get(key);
    if (!standIn) {
      let real: Record<string, unknown> | undefined;
      standIn = make(() => (real ??= load.call(Module, request, parent, isMain) as Record<string, unknown>));
      cache.set(key, standIn);
    }
    return standIn;
  };
  moduleInternals._load = (request, parent, isMain) => {
    if (request === "typescript") return once(request, (real) => lazyModule(real), request, parent, isMain);
    if (request === "@npmcli/arborist")
      return once(request, (real) => lazyExports(DEFERRED.arboristExports, real), request, parent, isMain);
    const closure = DEFERRED.closureExports[request];
    if (closure && isSdkFile(parent, "runtime/index.js"))
      return once(request, (real) => ({ __esModule: true, ...lazyExports(closure, real) }), request, parent, isMain);
    if (request === DEFERRED.automation && isSdkFile(parent, "index.js"))
      return once(request, (real) => lazyModule(real, true), request, parent, isMain);
    return load.call(Module, request, parent, isMain);
  };
}

/** Whether `parent` is the @pulumi/pulumi package's file at `path` (e.g. "runtime/index.js"). */
function isSdkFile(parent: unknown, path: string): boolean {
  const file = ((parent as { filename?: string } | null)?.filename ?? "").replace(/\\/g, "/");
  return file.endsWith(`/@pulumi/pulumi/${path}`);
}

// ---------------------------------------------------------------------------------------------
// 2. The SDKs' protobuf modules

export interface SdkProtos {
  readonly analyzer: typeof AnalyzerPb;
  readonly analyzerGrpc: typeof AnalyzerGrpc;
  readonly plugin: typeof PluginPb;
  readonly resource: typeof ResourcePb;
  /**
   * Struct and Empty of the google-protobuf copy the SDK's messages are built with: a message
   * only accepts a Struct of its own copy.
   */
  readonly struct: typeof StructPb;
  readonly empty: { Empty: new () => unknown };
}

let protos: SdkProtos | undefined;

/** The generated modules under @pulumi/pulumi/proto (the engine's wire messages and services). */
export function sdkProtos(): SdkProtos {
  if (protos) return protos;
  const beside = { paths: [dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"))] };
  protos = {
    analyzer: require("@pulumi/pulumi/proto/analyzer_pb"),
    analyzerGrpc: require("@pulumi/pulumi/proto/analyzer_grpc_pb"),
    plugin: require("@pulumi/pulumi/proto/plugin_pb"),
    resource: require("@pulumi/pulumi/proto/resource_pb"),
    struct: require(require.resolve("google-protobuf/google/protobuf/struct_pb", beside)),
    empty: require(require.resolve("google-protobuf/google/protobuf/empty_pb", beside)),
  };
  return protos;
}

/** The @grpc/grpc-js copy a package uses ("@pulumi/policy" or "@pulumi/pulumi"): another copy's classes are not its classes. */
export function sdkGrpc(pkg: "@pulumi/policy" | "@pulumi/pulumi"): typeof GrpcModule {
  return require(require.resolve("@grpc/grpc-js", { paths: [dirname(require.resolve(pkg))] }));
}

// ---------------------------------------------------------------------------------------------
// 3. The analyzer service @pulumi/policy registers

export type AnalyzerHandler = (call: { request: unknown }, callback: (...args: unknown[]) => void) => unknown;
export type AnalyzerHandlers = Record<string, AnalyzerHandler>;

/**
 * Lets `wrap` see and replace the handlers of the next gRPC service registered with the
 * @grpc/grpc-js copy @pulumi/policy uses: `new PolicyPack()` registers the analyzer service
 * (analyze, analyzeStack, remediate, getAnalyzerInfo, getPluginInfo, configure, configureStack)
 * through `Server.prototype.addService`, with no hook of its own. Returns the undo.
 */
export function tapAnalyzerService(wrap: (handlers: AnalyzerHandlers) => AnalyzerHandlers): () => void {
  const grpc = sdkGrpc("@pulumi/policy");
  const original = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service: GrpcModule.ServiceDefinition, impl: GrpcModule.UntypedServiceImplementation) {
    const tapped = wrap(impl as unknown as AnalyzerHandlers);
    return original.call(this, service, tapped as unknown as GrpcModule.UntypedServiceImplementation);
  };
  return () => {
    grpc.Server.prototype.addService = original;
  };
}

// ---------------------------------------------------------------------------------------------
// 4. The port a policy pack prints

/**
 * @pulumi/policy's server prints the port it listens on, alone on a line, with console.log:
 * the engine reads it from the pack's stdout; coop, which loads the pack in-process, captures
 * that console.log line.
 */
export function isPackPortLine(text: string): boolean {
  return /^\d+$/.test(text.trim());
}

// ---------------------------------------------------------------------------------------------
// 5. The mock runtime's monitor

/** The parts of the mock monitor (pulumi.runtime.setMocks) coop replaces. */
export interface MockMonitor {
  /** Derives a child's URN; the mock uses the parent's last type only, the engine its whole qualified type. */
  newUrn(parent: string, type: string, name: string): string;
  /** Answers one RegisterResource call (the request message, a Node-style callback). */
  registerResource(req: unknown, callback: (err: unknown, res?: unknown) => void): void;
  /** Answers one ReadResource call (a StackReference, a `.get`). */
  readResource(req: unknown, callback: (err: unknown, res?: unknown) => void): unknown;
  registerResourceOutputs(req: unknown, callback: (err: unknown, res?: unknown) => void): void;
}

/**
 * The monitor the SDK talks to after `pulumi.runtime.setMocks`. coop answers registrations
 * itself, as the engine answers a preview (cli/offline/monitor.ts): the mock's own answers
 * lose the wire form of secrets and unknowns and derive URNs differently from the engine.
 */
export function mockMonitor(): MockMonitor {
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): unknown };
  return settings.getMonitor() as MockMonitor;
}

/** The SDK's own end-of-program drain: resolves when every registration the program started is answered. */
export function waitForRegistrations(): Promise<void> {
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  return settings.waitForRPCs();
}
