/**
 * The reviewers' gate: the real policy pack, over the offline plan, through the analyzer
 * protocol. Green exactly when `pulumi preview --policy-pack policies` would report no
 * mandatory violation for this stack — without cloud credentials.
 */
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import { dirname } from "node:path";
import { forgetResources } from "../../policies/engine-tap";
import { forgetStack, setRepoRoot } from "../../policies/support/stack-context";
import type { OfflineRun } from "../offline/run-program";
import { enginePreview, resourceRequests, stackRequest, type EnginePreview } from "./engine-requests";
import { policyPack, type Transport } from "./policy-host";

const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb") as typeof AnalyzerPb;
const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"))] })) as typeof StructPb;

export type Level = "advisory" | "mandatory" | "remediate" | "disabled";

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

/** Per-policy config as the CLI would pass it: level and properties (defaults from the schema, then overrides). */
export type PolicyConfig = Record<string, { enforcementLevel?: Level; [property: string]: unknown }>;

const LEVELS: Record<number, Level> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
const LEVEL_ENUM: Record<Level, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };

/** At most this many resources in flight, as the engine's parallelism would allow. */
const PARALLEL = 16;

export async function runGate(root: string, run: OfflineRun, userConfig: PolicyConfig = {}, transport?: Transport): Promise<GateResult> {
  return (await openGate(root, userConfig, { offlinePlan: true, transport })).gate(run);
}

export interface AnalyzeOptions {
  /**
   * The offline program (always true for `coop gate`); false replays what the engine sends
   * during a real `pulumi up`, where computed values may be known from state.
   */
  readonly offlinePlan: boolean;
  /** How requests reach the pack (cli/gate/policy-host.ts); COOP_GATE_TRANSPORT=grpc by default picks real gRPC. */
  readonly transport?: Transport;
}

/** Sends one preview's requests to the pack exactly as the engine would, and collects the verdict. */
export async function analyzePreview(root: string, stack: string, preview: EnginePreview, userConfig: PolicyConfig, opts: AnalyzeOptions): Promise<GateResult> {
  return (await openGate(root, userConfig, opts)).analyze(stack, preview);
}

export interface GateSession {
  /** Gates one stack's offline run. */
  gate(run: OfflineRun): Promise<GateResult>;
  /** Gates a preview as given (tests replay what the engine sends in other situations). */
  analyze(stack: string, preview: EnginePreview): Promise<GateResult>;
}

/**
 * Configures the pack once, as the engine does at the start of a run, for any number of stacks:
 * a hosting co-op's CI gates all of its member co-ops' stacks in one run.
 */
export async function openGate(root: string, userConfig: PolicyConfig = {}, opts: AnalyzeOptions = { offlinePlan: true }): Promise<GateSession> {
  setRepoRoot(root);
  const pack = await policyPack(opts.transport ?? (process.env.COOP_GATE_TRANSPORT === "grpc" ? "grpc" : "wire"));
  await pack.configure(configureRequest(await pack.getAnalyzerInfo(), userConfig, opts.offlinePlan));
  const analyze = async (stack: string, preview: EnginePreview): Promise<GateResult> => {
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
    forgetResources(preview.resources.map((r) => r.urn));
    forgetStack(stack);
    violations.sort((a, b) => levelRank(a.level) - levelRank(b.level) || a.policy.localeCompare(b.policy) || (a.urn ?? "").localeCompare(b.urn ?? ""));
    return { stack, passed: !violations.some((v) => v.level === "mandatory"), violations, analyzed: requests.length, perResourceMs };
  };
  return { gate: (run) => analyze(run.stack, enginePreview(run)), analyze };
}

function levelRank(l: Level): number {
  return l === "mandatory" ? 0 : l === "advisory" ? 1 : 2;
}

function diagnostics(res: AnalyzerPb.AnalyzeResponse): Violation[] {
  return res.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    urn: d.getUrn() || undefined,
    message: d.getMessage(),
    level: LEVELS[d.getEnforcementlevel()] ?? "mandatory",
  }));
}

/**
 * The Configure call the CLI makes: every policy with its level (its own unless the config
 * overrides it) and its properties (schema defaults, then the config's values). The gate adds
 * `offlinePlan: true` for the lock policy: this run is the offline program, where a computed
 * value is always unknown.
 */
function configureRequest(info: AnalyzerPb.AnalyzerInfo, userConfig: PolicyConfig, offlinePlan: boolean): AnalyzerPb.ConfigureAnalyzerRequest {
  const req = new analyzerPb.ConfigureAnalyzerRequest();
  const map = req.getPolicyconfigMap();
  for (const p of info.getPoliciesList()) {
    const name = p.getName();
    const defaults: Record<string, unknown> = {};
    const schema = p.getConfigschema()?.getProperties()?.toJavaScript() as Record<string, { default?: unknown }> | undefined;
    for (const [k, v] of Object.entries(schema ?? {})) if (v && typeof v === "object" && "default" in v) defaults[k] = v.default;
    const { enforcementLevel, ...overrides } = userConfig[name] ?? {};
    const props = { ...defaults, ...overrides, ...(name === "governance-resource-matches-lock" && offlinePlan ? { offlinePlan: true } : {}) };
    const c = new analyzerPb.PolicyConfig();
    c.setEnforcementlevel(enforcementLevel ? LEVEL_ENUM[enforcementLevel] : p.getEnforcementlevel());
    c.setProperties(structPb.Struct.fromJavaScript(props as Parameters<typeof structPb.Struct.fromJavaScript>[0]));
    map.set(name, c);
  }
  return req;
}
