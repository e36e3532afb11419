/**
 * Runs the co-op's Pulumi program offline: Pulumi's mock runtime, in preview mode, with no
 * engine, provider or cloud account. It records every resource registration exactly as the
 * engine would receive it (the serialized inputs, with secrets and unknowns encoded as on the
 * wire, and the resource options), which is what the desired-state view and the policy gate
 * are computed from.
 *
 * What differs from a real preview is handled here:
 * - config secrets are injected as recognisable per-run placeholders, and generated secret
 *   outputs (random passwords and bytes, private keys, outputs a resource marks secret) are
 *   answered with per-run placeholders too, so strings built around them stay known and the
 *   view can mask exactly the secret part by where it comes from (see plan/view.ts);
 *   other computed outputs (IDs, IPs) stay unknown, as at a first preview;
 * - the program runs a second time with other placeholders (the twin), so text derived from
 *   a secret (a hash, a key parsed from a PEM) shows as the part that differs; the twin also
 *   answers resource IDs and IPv4 addresses with recognisable values, so the view can record
 *   which output a value unknown at preview is computed from (`ssh://coop@<the IP's address>`);
 * - the engine writes the SDK package's version into an explicit provider's inputs
 *   (SetProviderVersion), and hands resources without an explicit provider to its default
 *   provider `default_<version>`: both are recorded as the engine would see them;
 * - the mock monitor derives child URNs from the parent's last type only, while the engine
 *   uses the parent's whole qualified type; URNs are computed the engine's way here.
 */
import { generateKeyPairSync, randomBytes, randomInt, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import type * as ResourcePb from "@pulumi/pulumi/proto/resource_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import { declareCoop, type CoopArgs } from "../../components/coop";
import { SECRET_CONFIG_KEYS, readStackSecrets } from "../../stacks/config";
import type { OutputRef, TwinRegistration } from "../../plan/view";
import { CoopError, InputError } from "../../kernel/errors";
import type { StackSpec } from "../../stacks/schema";

const resourcePb = require("@pulumi/pulumi/proto/resource_pb") as typeof ResourcePb;
const structPb = require(
  require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [dirname(require.resolve("@pulumi/pulumi/proto/resource_pb"))] }),
) as typeof StructPb;

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

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
  /** The provider the engine hands a custom resource to: the explicit one, or its default provider. */
  readonly providerUrn?: string;
  /** Placeholders answered for generated secret outputs (output name → placeholder). */
  readonly generatedOutputs?: Readonly<Record<string, string>>;
  /** The same registration in the twin run (other placeholders), when one was made. */
  readonly twin?: TwinRegistration;
  /** Outputs the twin run answered with recognisable values (output name → value). */
  readonly tracedOutputs?: Readonly<Record<string, string>>;
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
  /**
   * Also run the twin, which the view needs to find text derived from secrets; the gate only
   * replays the first run. Default: on for the co-op's program, off for a substitute (a test's
   * stand-in program may count what it declares).
   */
  readonly twin?: boolean;
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

export async function runProgramOffline({
  project,
  stack,
  spec,
  declare = declareCoop,
  twin = declare === declareCoop,
}: RunOptions): Promise<OfflineRun> {
  if (running) throw new Error("runProgramOffline: one offline run at a time (the Pulumi runtime is process-global)");
  running = true;
  try {
    const first = await runOnce(project, stack, spec, declare, 0);
    if (!twin) return first;
    return withTwin(first, await runOnce(project, stack, spec, declare, 1));
  } finally {
    running = false;
  }
}

/** Attaches each registration of the twin run to the same URN's registration of the first. */
function withTwin(first: OfflineRun, second: OfflineRun): OfflineRun {
  const config = second.secretPlaceholders;
  const generated = second.resources.flatMap((r) => Object.values(r.generatedOutputs ?? {}));
  const traced: Array<readonly [string, OutputRef]> = second.resources.flatMap((r) =>
    Object.entries(r.tracedOutputs ?? {}).map(([output, value]) => [value, { urn: r.urn, output }] as const),
  );
  const byUrn = new Map(second.resources.map((r) => [r.urn, r]));
  const resources = first.resources.map((r) => {
    const t = byUrn.get(r.urn);
    return t ? { ...r, twin: { inputs: t.inputs, config, generated, traced } } : r;
  });
  return { ...first, resources };
}

async function runOnce(
  project: string,
  stack: string,
  spec: StackSpec,
  declare: (args: CoopArgs) => unknown,
  generation: number,
): Promise<OfflineRun> {
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
  let tracedCount = 0;

  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: undefined as unknown as string, state: args.custom ? { ...args.inputs } : {} }),
      call: (args) => {
        throw new InputError(
          `the program called the provider function ${args.token}, which cannot run offline`,
          "declare resources from the spec instead of looking them up",
        );
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
    const type = req.getType();
    const urn = monitor.newUrn(parent, type, req.getName());
    const custom = req.getCustom();
    const inputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const version = req.getVersion() || packageVersion(packageOf(type));
    // The engine's SetProviderVersion: an explicit provider's inputs carry the SDK's version.
    if (custom && isProviderType(type) && inputs.version === undefined) inputs.version = version;
    const generated = custom ? generatedSecretOutputs(type, inputs, req.getAdditionalsecretoutputsList(), generation) : {};
    const traced = custom && generation === 1 && !isProviderType(type) ? tracedOutputs(type, inputs, ++tracedCount) : {};
    resources.push({
      urn,
      type,
      name: req.getName(),
      custom,
      parent: parent || stackUrn,
      provider: req.getProvider() || undefined,
      providerUrn: custom && !isProviderType(type) ? providerUrnOf(req.getProvider(), stack, project, type, version) : undefined,
      ...(Object.keys(generated).length > 0 ? { generatedOutputs: generated } : {}),
      ...(Object.keys(traced).length > 0 ? { tracedOutputs: traced } : {}),
      inputs,
      options: optionsOf(req),
    });
    const res = new resourcePb.RegisterResourceResponse();
    res.setUrn(urn);
    res.setId(traced.id ?? "");
    const object = custom ? (req.getObject() ?? new structPb.Struct()) : new structPb.Struct();
    for (const [k, v] of Object.entries({ ...generated, ...traced }))
      if (k !== "id") object.getFieldsMap().set(k, structPb.Value.fromJavaScript(v));
    res.setObject(object);
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
      throw new InputError(
        `the program did not finish declaring the stack within ${DRAIN_TIMEOUT_MS / 1000} s`,
        "an Output that never resolves offline (a lookup, a wait on a deployed resource) keeps it waiting; rerun with COOP_DEBUG=1 and report it",
      );
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

export function isProviderType(type: string): boolean {
  return type.startsWith("pulumi:providers:");
}

export function packageOf(type: string): string {
  return isProviderType(type) ? type.slice("pulumi:providers:".length) : type.split(":")[0];
}

const sdkVersions = new Map<string, string>();

/** The provider SDK package's version (what it sends as the version option), "0.0.0" if it has none. */
export function packageVersion(pkg: string): string {
  let v = sdkVersions.get(pkg);
  if (!v) {
    try {
      const file = require.resolve(`@pulumi/${pkg}/package.json`);
      v = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      v = "0.0.0";
    }
    sdkVersions.set(pkg, v);
  }
  return v;
}

/** The engine's default provider for a package at a version: `default_1_41_0`, no parent. */
export function defaultProviderUrn(stack: string, project: string, pkg: string, version: string): string {
  return `urn:pulumi:${stack}::${project}::pulumi:providers:${pkg}::default_${version.replace(/[.-]/g, "_")}`;
}

/** The provider URN of a custom resource: the explicit reference "<urn>::<id>", or the engine's default. */
function providerUrnOf(ref: string, stack: string, project: string, type: string, version: string): string {
  return ref ? ref.slice(0, ref.lastIndexOf("::")) : defaultProviderUrn(stack, project, packageOf(type), version);
}

/**
 * Recognisable values for the outputs other resources' inputs are most often computed from:
 * the ID (Hetzner IDs are numbers, so programs convert them) and an IPv4 primary IP's address.
 * Numbered in registration order, so every plan of the same program answers the same values.
 * Outputs that programs parse (public keys, IPv6 networks) stay unknown.
 */
export function tracedOutputs(type: string, inputs: Record<string, unknown>, n: number): Record<string, string> {
  const out: Record<string, string> = { id: String(TRACE_ID_BASE + n) };
  if (type === "hcloud:index/primaryIp:PrimaryIp" && inputs.type === "ipv4")
    out.ipAddress = `198.18.${Math.floor(n / 150) % 250}.${100 + (n % 150)}`; // 3-digit last octet: no trace address is a prefix of another
  return out;
}

/** IDs 7 100 000 001 …: ten digits, far above what the program writes itself. */
const TRACE_ID_BASE = 7_100_000_000;

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random letters and digits: passes the checks a program makes of a generated password or salt. */
function alnum(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** Long enough that a placeholder never occurs by chance in other text. */
const MIN_PLACEHOLDER = 16;

function lengthOf(inputs: Record<string, unknown>, fallback: number): number {
  return typeof inputs.length === "number" && Number.isFinite(inputs.length) ? Math.max(inputs.length, MIN_PLACEHOLDER) : fallback;
}

/**
 * Placeholders for a resource's generated secret outputs: what the program may read and
 * interpolate (random results and bytes, private keys, any output the resource marks secret).
 * Keys are real keys of the requested kind, since programs parse them (a VAPID key from the
 * PEM); the twin run (generation 1) gets different ones.
 */
export function generatedSecretOutputs(
  type: string,
  inputs: Record<string, unknown>,
  secretOutputs: readonly string[],
  generation: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (type === "random:index/randomPassword:RandomPassword" || type === "random:index/randomString:RandomString")
    out.result = alnum(lengthOf(inputs, 32));
  if (type === "random:index/randomBytes:RandomBytes") {
    const n = Math.max(typeof inputs.length === "number" ? inputs.length : 32, 8);
    out.hex = randomBytes(n).toString("hex");
    out.base64 = randomBytes(n).toString("base64");
  }
  if (type === "tls:index/privateKey:PrivateKey") {
    const key = privateKey(inputs, generation);
    if (key) {
      out.privateKeyPem = key.export(pemFormatOf(key)) as string;
      out.privateKeyPemPkcs8 = key.export({ type: "pkcs8", format: "pem" }) as string;
    }
    out.privateKeyOpenssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(48).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
  }
  for (const name of secretOutputs) {
    if (!(name in out) && inputs[name] === undefined) out[name] = `coop-generated-secret-${randomBytes(16).toString("hex")}`;
  }
  for (const name of Object.keys(out)) if (inputs[name] !== undefined) delete out[name]; // an input the program set is not generated
  return out;
}

function pemFormatOf(key: KeyObject): { type: "pkcs1" | "sec1" | "pkcs8"; format: "pem" } {
  // The tls provider's privateKeyPem: PKCS#1 for RSA, SEC 1 for ECDSA, PKCS#8 for Ed25519.
  const type = key.asymmetricKeyType === "rsa" ? "pkcs1" : key.asymmetricKeyType === "ec" ? "sec1" : "pkcs8";
  return { type, format: "pem" };
}

const CURVES: Readonly<Record<string, string>> = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };

/**
 * Keys per kind and generation, made once per process: a key made here is as unknowable to the
 * program as a fresh one; the two generations always differ. RSA placeholders are small: only
 * their PEM shape matters to the program, and a 2048-bit key costs ~150 ms per generation.
 */
const PLACEHOLDER_RSA_BITS = 512;
const keys = new Map<string, KeyObject>();

function privateKey(inputs: Record<string, unknown>, generation: number): KeyObject | undefined {
  const algorithm = inputs.algorithm;
  const bits = typeof inputs.rsaBits === "number" ? inputs.rsaBits : 2048;
  const curve = CURVES[typeof inputs.ecdsaCurve === "string" ? inputs.ecdsaCurve : "P224"];
  const id = `${String(algorithm)}:${bits}:${curve}:${generation}`;
  let key = keys.get(id);
  if (key) return key;
  if (algorithm === "RSA") key = generateKeyPairSync("rsa", { modulusLength: PLACEHOLDER_RSA_BITS }).privateKey;
  else if (algorithm === "ECDSA" && curve) key = generateKeyPairSync("ec", { namedCurve: curve }).privateKey;
  else if (algorithm === "ED25519") key = generateKeyPairSync("ed25519").privateKey;
  if (key) keys.set(id, key);
  return key;
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
  getVersion(): string;
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
    customTimeouts: t
      ? { create: t.getCreate() || undefined, update: t.getUpdate() || undefined, delete: t.getDelete() || undefined }
      : undefined,
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    retainOnDelete: req.getRetainondelete(),
  };
}
