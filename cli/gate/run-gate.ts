/**
 * The reviewers' gate: the real policy pack, over the offline plan, through the analyzer
 * protocol. Green exactly when `pulumi preview --policy-pack policies` would report no
 * mandatory violation for this stack — without cloud credentials.
 */
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { readProjectName } from "../../kernel/repo";
import { sdkProtos } from "../../kernel/sdk-internals";
import {
  ENFORCEMENT_LEVELS,
  type EnforcementLevel,
  isEnforcementLevel,
  levelNumber,
  levelOfNumber,
} from "../../policies/support/enforcement-levels";
import type { OfflineRun } from "../offline/run-program";
import { enginePreview, resourceRequests, stackRequest, type EnginePreview } from "./engine-requests";
import { policyPack, type Transport } from "./policy-host";

export type Level = EnforcementLevel;

export interface Violation {
  readonly policy: string;
  readonly urn?: string;
  readonly message: string;
  readonly level: Level;
}

export interface GateResult {
  readonly stack: string;
  readonly passed: boolean;
  readonly violations: Violation[];
  /** Resources sent to Analyze (the program's and the engine's own). */
  readonly analyzed: number;
  /** Wall time of each Analyze round trip (Remediate + Analyze), in ms. */
  readonly perResourceMs: number[];
}

/**
 * The JSON file given to `pulumi … --policy-pack-config`, in either form the CLI accepts per
 * entry: a level (`"disabled"`), or properties with an optional `enforcementLevel`. The key
 * `all` sets the level of every policy. Typed loosely on purpose: it is read from a file, and
 * parsePolicyConfig decides what is valid, as the CLI does.
 */
export type PolicyConfig = Record<string, unknown>;

/** A policy config the CLI would refuse; the message names the entry. */
export class PolicyConfigError extends Error {}

/** One entry of the file once read: what it sets, nothing filled in yet. */
export interface PolicyConfigEntry {
  readonly level?: Level;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/**
 * Reads a `--policy-pack-config` document with the CLI's rules (pkg/resource/analyzer config
 * parsing in pulumi/pulumi): a string is an enforcement level and must be a valid one; an object
 * may carry `enforcementLevel` (a valid level string) beside its properties; any other value is
 * refused. Entries that set nothing are dropped. An empty document (null) is no config, as the
 * CLI treats an empty file.
 */
export function parsePolicyConfig(data: unknown): Map<string, PolicyConfigEntry> {
  const entries = new Map<string, PolicyConfigEntry>();
  if (data === null || data === undefined) return entries;
  if (typeof data !== "object" || Array.isArray(data)) throw new PolicyConfigError('expected a JSON object of policy names (or "all")');
  const valid = ENFORCEMENT_LEVELS.join(", ");
  for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
    if (typeof value === "string") {
      if (!isEnforcementLevel(value)) throw new PolicyConfigError(`entry "${name}": "${value}" is not an enforcement level (${valid})`);
      entries.set(name, { level: value });
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new PolicyConfigError(
        `entry "${name}": ${JSON.stringify(value)} is not a valid value; give an enforcement level (${valid}) or an object of properties`,
      );
    }
    const { enforcementLevel, ...properties } = value as Record<string, unknown>;
    // The CLI checks the key's presence, so `"enforcementLevel": null` is refused too.
    if ("enforcementLevel" in value && !isEnforcementLevel(enforcementLevel)) {
      throw new PolicyConfigError(
        `entry "${name}": enforcementLevel ${JSON.stringify(enforcementLevel)} is not an enforcement level (${valid})`,
      );
    }
    const hasProps = Object.keys(properties).length > 0;
    if (enforcementLevel === undefined && !hasProps) continue;
    entries.set(name, {
      ...(isEnforcementLevel(enforcementLevel) ? { level: enforcementLevel } : {}),
      ...(hasProps ? { properties } : {}),
    });
  }
  return entries;
}

interface Reconciled {
  level?: Level;
  properties: Record<string, unknown>;
}

/**
 * What the CLI sends to Configure: every policy at its own level with its schema defaults, then
 * each config layered on top (the pack's initial config, then the user's). Within a layer `all`
 * sets every entry's level first and the named entries override it, whatever their order in the
 * file. Entries naming no policy are passed on too, as the CLI does; one that ends without a
 * level makes the CLI fail before the run, so it is refused here as well.
 */
export function reconcilePolicyConfig(
  policies: ReadonlyArray<{ readonly name: string; readonly level: Level; readonly defaults: Readonly<Record<string, unknown>> }>,
  layers: ReadonlyArray<ReadonlyMap<string, PolicyConfigEntry>>,
): Map<string, { level: Level; properties: Record<string, unknown> }> {
  const result = new Map<string, Reconciled>(policies.map((p) => [p.name, { level: p.level, properties: { ...p.defaults } }]));
  for (const layer of layers) {
    const all = layer.get("all")?.level;
    if (all) for (const r of result.values()) r.level = all;
    for (const [name, given] of layer) {
      const r = result.get(name) ?? { properties: {} };
      if (given.level) r.level = given.level;
      Object.assign(r.properties, given.properties ?? {});
      result.set(name, r);
    }
  }
  const out = new Map<string, { level: Level; properties: Record<string, unknown> }>();
  for (const [name, r] of result) {
    if (!r.level)
      throw new PolicyConfigError(
        `entry "${name}" names no policy of the pack and sets no enforcement level; pulumi refuses such a config`,
      );
    out.set(name, { level: r.level, properties: r.properties });
  }
  return out;
}

/** At most this many resources in flight, as the engine's parallelism would allow. */
const PARALLEL = 16;

export async function runGate(root: string, run: OfflineRun, userConfig: PolicyConfig = {}, transport?: Transport): Promise<GateResult> {
  const session = await openGate(root, userConfig, { offlinePlan: true, transport });
  try {
    return await session.gate(run);
  } finally {
    session.close();
  }
}

export interface AnalyzeOptions {
  /**
   * The offline program (always true for `coop gate`); false replays what the engine sends
   * during a real `pulumi up`, where computed values may be known from state.
   */
  readonly offlinePlan: boolean;
  /** How requests reach the pack (cli/gate/policy-host.ts); COOP_GATE_TRANSPORT (grpc, cli) picks another by default. */
  readonly transport?: Transport;
}

/** Sends one preview's requests to the pack exactly as the engine would, and collects the verdict. */
export async function analyzePreview(
  root: string,
  stack: string,
  preview: EnginePreview,
  userConfig: PolicyConfig,
  opts: AnalyzeOptions,
): Promise<GateResult> {
  const session = await openGate(root, userConfig, opts);
  try {
    return await session.analyze(stack, preview);
  } finally {
    session.close();
  }
}

export interface GateSession {
  /** Gates one stack's offline run. */
  gate(run: OfflineRun): Promise<GateResult>;
  /** Gates a preview as given (tests replay what the engine sends in other situations). */
  analyze(stack: string, preview: EnginePreview): Promise<GateResult>;
  /** Stops the pack if it runs in its own process. */
  close(): void;
}

const TRANSPORTS: ReadonlySet<string> = new Set<Transport>(["wire", "grpc", "cli"]);

function defaultTransport(): Transport {
  const t = process.env.COOP_GATE_TRANSPORT;
  return t && TRANSPORTS.has(t) ? (t as Transport) : "wire";
}

/**
 * Starts the pack and configures it once, as the engine does at the start of a run (the plugin's
 * info, the pack's policies, their config), for any number of stacks: a hosting co-op's CI gates
 * all of its member co-ops' stacks in one run. Each stack is announced (ConfigureStack, which
 * the engine sends when it boots a stack's pack) before its resources.
 */
export async function openGate(
  root: string,
  userConfig: PolicyConfig = {},
  opts: AnalyzeOptions = { offlinePlan: true },
): Promise<GateSession> {
  const host = await policyPack(opts.transport ?? defaultTransport());
  const pack = host.calls;
  try {
    host.useRepository(root);
    await pack.getPluginInfo();
    await pack.configure(configureRequest(await pack.getAnalyzerInfo(), userConfig, opts.offlinePlan));
  } catch (e) {
    host.close();
    throw e;
  }
  const project = readProjectName(root);
  const analyze = async (stack: string, preview: EnginePreview): Promise<GateResult> => {
    await pack.configureStack(stackConfigureRequest(stack, project));
    const requests = resourceRequests(preview);
    const violations: Violation[] = [];
    const perResourceMs: number[] = new Array(requests.length);
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const i = next++;
        const { remediate, analyze: request } = requests[i];
        const t0 = performance.now();
        await pack.remediate(remediate);
        const res = await pack.analyze(request);
        perResourceMs[i] = performance.now() - t0;
        violations.push(...diagnostics(res));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, requests.length) }, worker));
    violations.push(...diagnostics(await pack.analyzeStack(stackRequest(preview))));
    host.forget(
      stack,
      preview.resources.map((r) => r.urn),
    );
    violations.sort(
      (a, b) => levelRank(a.level) - levelRank(b.level) || a.policy.localeCompare(b.policy) || (a.urn ?? "").localeCompare(b.urn ?? ""),
    );
    return { stack, passed: !violations.some((v) => v.level === "mandatory"), violations, analyzed: requests.length, perResourceMs };
  };
  return { gate: (run) => analyze(run.stack, enginePreview(run)), analyze, close: () => host.close() };
}

/** The engine's ConfigureStack for a preview of `stack` (no organization, tags or config offline). */
function stackConfigureRequest(stack: string, project: string): AnalyzerPb.AnalyzerStackConfigureRequest {
  const req = new (sdkProtos().analyzer.AnalyzerStackConfigureRequest)();
  req.setStack(stack);
  req.setProject(project);
  req.setDryRun(true);
  return req;
}

function levelRank(l: Level): number {
  return l === "mandatory" ? 0 : l === "advisory" ? 1 : 2;
}

function diagnostics(res: AnalyzerPb.AnalyzeResponse): Violation[] {
  return res.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    urn: d.getUrn() || undefined,
    message: d.getMessage(),
    level: levelOfNumber(d.getEnforcementlevel()) ?? "mandatory",
  }));
}

/**
 * The Configure call the CLI makes (reconcilePolicyConfig): every policy with its level and
 * properties, plus whatever else the config names. The gate adds `offlinePlan: true` for the
 * lock policy: this run is the offline program, where a computed value is always unknown.
 */
function configureRequest(
  info: AnalyzerPb.AnalyzerInfo,
  userConfig: PolicyConfig,
  offlinePlan: boolean,
): AnalyzerPb.ConfigureAnalyzerRequest {
  const policies = info.getPoliciesList().map((p) => {
    const defaults: Record<string, unknown> = {};
    const schema = p.getConfigschema()?.getProperties()?.toJavaScript() as Record<string, { default?: unknown }> | undefined;
    for (const [k, v] of Object.entries(schema ?? {})) if (v && typeof v === "object" && "default" in v) defaults[k] = v.default;
    return { name: p.getName(), level: levelOfNumber(p.getEnforcementlevel()) ?? "mandatory", defaults };
  });
  const initial = new Map<string, PolicyConfigEntry>();
  info.getInitialconfigMap().forEach((c, name) => {
    initial.set(name, {
      level: levelOfNumber(c.getEnforcementlevel()),
      properties: (c.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
    });
  });
  const reconciled = reconcilePolicyConfig(policies, [initial, parsePolicyConfig(userConfig)]);
  const { analyzer: analyzerPb, struct: structPb } = sdkProtos();
  const req = new analyzerPb.ConfigureAnalyzerRequest();
  const map = req.getPolicyconfigMap();
  for (const [name, { level, properties }] of reconciled) {
    const props = { ...properties, ...(name === "governance-resource-matches-lock" && offlinePlan ? { offlinePlan: true } : {}) };
    const c = new analyzerPb.PolicyConfig();
    c.setEnforcementlevel(levelNumber(level));
    c.setProperties(structPb.Struct.fromJavaScript(props as Parameters<typeof structPb.Struct.fromJavaScript>[0]));
    map.set(name, c);
  }
  return req;
}
