/**
 * Start-up costs the `coop` command does not need to pay.
 *
 * Loading @pulumi/pulumi also loads the TypeScript compiler (for serializing closures into
 * dynamic providers) and npm's Arborist (for computing code paths of such closures): together
 * they are about half of the SDK's load time, and the offline plan and the gate use neither.
 * They are replaced by stand-ins that load the real module the moment anything touches it,
 * so nothing breaks if a future SDK version does use them; it is only slower then.
 *
 * The SDK's Automation API (driving the Pulumi CLI from code) is deferred the same way: the
 * SDK's index loads it eagerly, with its own dependencies, and `coop` never drives the CLI.
 *
 * Only the `coop` process installs this; `pulumi up` runs the program without it.
 */
import Module = require("node:module");

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;

const moduleInternals = Module as unknown as { _load: Loader };

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

let installed = false;

export function deferUnusedSdkModules(): void {
  if (installed) return;
  installed = true;
  const load = moduleInternals._load;
  const cache = new Map<string, unknown>();
  moduleInternals._load = (request, parent, isMain) => {
    if (request === "typescript" || request === "@npmcli/arborist") {
      let standIn = cache.get(request);
      if (!standIn) {
        let real: Record<string, unknown> | undefined;
        const loadReal = () => (real ??= load.call(Module, request, parent, isMain) as Record<string, unknown>);
        standIn =
          request === "typescript" ? lazyModule(loadReal) : lazyExports(["Arborist", "Node", "Link", "Edge", "Shrinkwrap"], loadReal);
        cache.set(request, standIn);
      }
      return standIn;
    }
    // Closure serialization (for dynamic providers' and functions' code): the SDK's runtime
    // index re-exports three functions from it, so stand-ins for those keep it unloaded.
    const closure = CLOSURE_EXPORTS[request];
    if (closure && isSdkFile(parent, "runtime/index.js")) {
      let standIn = cache.get(request);
      if (!standIn) {
        let real: Record<string, unknown> | undefined;
        standIn = {
          __esModule: true,
          ...lazyExports(closure, () => (real ??= load.call(Module, request, parent, isMain) as Record<string, unknown>)),
        };
        cache.set(request, standIn);
      }
      return standIn;
    }
    if (request === "./automation" && isSdkFile(parent, "index.js")) {
      let standIn = cache.get(request);
      if (!standIn) {
        let real: Record<string, unknown> | undefined;
        standIn = lazyModule(() => (real ??= load.call(Module, request, parent, isMain) as Record<string, unknown>), true);
        cache.set(request, standIn);
      }
      return standIn;
    }
    return load.call(Module, request, parent, isMain);
  };
}

const CLOSURE_EXPORTS: Readonly<Record<string, readonly string[]>> = {
  "./closure/serializeClosure": ["serializeFunctionAsync", "serializeFunction"],
  "./closure/codePaths": ["computeCodePaths"],
};

/** Whether `parent` is the @pulumi/pulumi package's file at `path` (e.g. "runtime/index.js"). */
function isSdkFile(parent: unknown, path: string): boolean {
  const file = ((parent as { filename?: string } | null)?.filename ?? "").replace(/\\/g, "/");
  return file.endsWith(`/@pulumi/pulumi/${path}`);
}
