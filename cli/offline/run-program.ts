/**
 * Runs the co-op's Pulumi program offline: Pulumi's mock runtime, in preview mode, with no
 * engine, provider or cloud account. It records every resource registration exactly as the
 * engine would receive it (the serialized inputs, with secrets and unknowns encoded as on the
 * wire, and the resource options), which is what the desired-state view and the policy gate
 * are computed from.
 *
 * Two things differ from a real preview and are handled here:
 * - config secrets are injected as recognisable per-run placeholders, so the view can mask
 *   them by where they come from (see policies/view.ts);
 * - the mock monitor derives child URNs from the parent's last type only, while the engine
 *   uses the parent's whole qualified type; URNs are computed the engine's way here.
 */
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import type * as ResourcePb from "@pulumi/pulumi/proto/resource_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import { declareCoop, type CoopArgs } from "../../components/coop";
import { SECRET_CONFIG_KEYS, readStackSecrets } from "../../stacks/config";
import { CoopError, InputError } from "../../stacks/errors";
import type { StackSpec } from "../../stacks/schema";

const resourcePb = require("@pulumi/pulumi/proto/resource_pb") as typeof ResourcePb;
const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [dirname(require.resolve("@pulumi/pulumi/proto/resource_pb"))] })) as typeof StructPb;

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
/** The engine's wire sentinel for an unknown value (any type). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The key and value marking a serialized secret on the wire. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface ResourceOptionsSeen {
  readonly protect: boolean;
  readonly ignoreChanges: string[];
  readonly deleteBeforeReplace?: boolean;
  readonly additionalSecretOutputs: string[];
  readonly aliases: string[];
  readonly customTimeouts?: { create?: string; update?: string; delete?: string };
  readonly dependencies: string[];
  readonly propertyDependencies: Record<string, string[]>;
  readonly retainOnDelete: boolean;
}

export interface RegisteredResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** The parent's URN; top-level resources have the root stack as parent. */
  readonly parent: string;
  /** Provider reference "<urn>::<id>" as sent by the SDK, when one was chosen explicitly. */
  readonly provider?: string;
  /** Serialized inputs: secrets as {SIG_KEY: SECRET_SIG, value}, unknowns as UNKNOWN. */
  readonly inputs: Record<string, unknown>;
  readonly options: ResourceOptionsSeen;
}

export interface OfflineRun {
  readonly project: string;
  readonly stack: string;
  /** The root stack resource's URN (the parent of top-level resources). */
  readonly stackUrn: string;
  /** Every registration, in the order the program made them. */
  readonly resources: RegisteredResource[];
  /** The placeholder strings that stand for config secrets in this run. */
  readonly secretPlaceholders: string[];
}

export interface RunOptions {
  readonly project: string;
  readonly stack: string;
  readonly spec: StackSpec;
  /** The declaration to run; the co-op's program unless a test substitutes its own. */
  readonly declare?: (args: CoopArgs) => unknown;
}

/** A placeholder that the program cannot produce except by reading the config value. */
function placeholder(project: string, key: string): string {
  return `coop-config-secret:${project}:${key}:${randomBytes(8).toString("hex")}`;
}

let running = false;

/** How long the offline program may take to register its resources (the example needs < 1 s). */
const DRAIN_TIMEOUT_MS = 120_000;

/**
 * Collects the failures the program raises outside any await of ours (a check inside an apply
 * rejects a promise nobody holds). Such a failure may leave the SDK's RPC queue waiting forever,
 * so `firstFailure` settles at the first one: whoever waits on the queue races it.
 */
export function trapProgramFailures(failures: unknown[]): { firstFailure: Promise<void>; release(): void } {
  let failed: () => void = () => undefined;
  const firstFailure = new Promise<void>((resolve) => (failed = resolve));
  const onRejection = (e: unknown) => {
    failures.push(e);
    failed();
  };
  process.on("unhandledRejection", onRejection);
  return { firstFailure, release: () => void process.off("unhandledRejection", onRejection) };
}

export async function runProgramOffline({ project, stack, spec, declare = declareCoop }: RunOptions): Promise<OfflineRun> {
  if (running) throw new Error("runProgramOffline: one offline run at a time (the Pulumi runtime is process-global)");
  running = true;
  try {
    return await runOnce(project, stack, spec, declare);
  } finally {
    running = false;
  }
}

async function runOnce(project: string, stack: string, spec: StackSpec, declare: (args: CoopArgs) => unknown): Promise<OfflineRun> {
  const stackUrn = `urn:pulumi:${stack}::${project}::${ROOT_STACK_TYPE}::${project}-${stack}`;
  const placeholders = new Map<string, string>();
  const config: Record<string, string> = {};
  for (const k of SECRET_CONFIG_KEYS) {
    if (!k.neededBy(spec)) continue;
    const p = placeholder(project, k.key);
    placeholders.set(k.key, p);
    config[`${project}:${k.key}`] = p;
  }
  pulumi.runtime.setAllConfig(config, Object.keys(config));

  const resources: RegisteredResource[] = [];
  const failures: unknown[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: undefined as unknown as string, state: args.custom ? { ...args.inputs } : {} }),
      call: (args) => {
        throw new InputError(`the program called the provider function ${args.token}, which cannot run offline`, "declare resources from the spec instead of looking them up");
      },
    },
    project,
    stack,
    true,
  );

  const monitor = settings.getMonitor() as unknown as MockMonitorLike;
  const qualifiedTypes = new Map<string, string>();
  monitor.newUrn = (parent: string, type: string, name: string) => {
    const parentType = parent ? qualifiedTypes.get(parent) : undefined;
    const qualified = parentType ? `${parentType}$${type}` : type;
    const urn = `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
    qualifiedTypes.set(urn, qualified);
    return urn;
  };
  // Answers registrations the way the engine answers a preview of a new resource: no ID yet,
  // and the planned state is the inputs (outputs the provider would compute stay unknown).
  // The inputs go back as the same wire Struct, which also keeps their secrets secret.
  monitor.registerResource = (req: RegisterRequest, callback: (err: unknown, res?: unknown) => void) => {
    const parent = req.getParent();
    const urn = monitor.newUrn(parent, req.getType(), req.getName());
    resources.push({
      urn,
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: parent || stackUrn,
      provider: req.getProvider() || undefined,
      inputs: (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
      options: optionsOf(req),
    });
    const res = new resourcePb.RegisterResourceResponse();
    res.setUrn(urn);
    res.setId("");
    res.setObject(req.getCustom() ? (req.getObject() ?? new structPb.Struct()) : new structPb.Struct());
    callback(null, res);
  };
  // Component outputs matter to nobody offline (the engine only records them in state).
  monitor.registerResourceOutputs = (_req: unknown, callback: (err: unknown, res?: unknown) => void) => callback(null, {});

  const trap = trapProgramFailures(failures);
  // The SDK records a stack trace for every promise and resource, to point the engine at the
  // line that declared it. Offline nobody reads them, and formatting them costs more than the
  // whole declaration: keep the traces empty while the program runs.
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = () => "";
  Error.stackTraceLimit = 0;
  try {
    declare({ stack, spec, secrets: readStackSecrets(spec) });
    // Wait for every registration the declaration started (the SDK's own end-of-program drain).
    const drained = (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<"stuck">((resolve) => (timer = setTimeout(() => resolve("stuck"), DRAIN_TIMEOUT_MS)));
    const how = await Promise.race([drained, trap.firstFailure, stuck]);
    clearTimeout(timer);
    if (how === "stuck" && failures.length === 0) {
      throw new InputError(`the program did not finish declaring the stack within ${DRAIN_TIMEOUT_MS / 1000} s`, "an Output that never resolves offline (a lookup, a wait on a deployed resource) keeps it waiting; rerun with COOP_DEBUG=1 and report it");
    }
    // Let rejected registrations surface before deciding the run succeeded.
    await new Promise((r) => setImmediate(r));
  } catch (e) {
    if (e instanceof CoopError) throw e;
    throw new InputError(`the program failed while declaring the stack: ${messageOf(e)}`);
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
    trap.release();
  }
  if (failures.length > 0) {
    const first = failures[0];
    if (first instanceof CoopError) throw first;
    throw new InputError(`the program failed while declaring the stack: ${messageOf(first)}`);
  }
  return { project, stack, stackUrn, resources, secretPlaceholders: [...placeholders.values()] };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface MockMonitorLike {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterRequest, callback: (err: unknown, res?: unknown) => void): void;
  registerResourceOutputs(req: unknown, callback: (err: unknown, res?: unknown) => void): void;
}

/** The parts of the SDK's RegisterResourceRequest read here. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getObject(): (StructPb.Struct & { toJavaScript(): unknown }) | undefined;
  getProtect(): boolean;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getAliasurnsList(): string[];
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getRetainondelete(): boolean;
}

function optionsOf(req: RegisterRequest): ResourceOptionsSeen {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((v, k) => {
    propertyDependencies[k] = v.getUrnsList();
  });
  const t = req.getCustomtimeouts();
  return {
    protect: req.getProtect(),
    ignoreChanges: req.getIgnorechangesList(),
    deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    aliases: req.getAliasurnsList(),
    customTimeouts: t ? { create: t.getCreate() || undefined, update: t.getUpdate() || undefined, delete: t.getDelete() || undefined } : undefined,
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    retainOnDelete: req.getRetainondelete(),
  };
}
