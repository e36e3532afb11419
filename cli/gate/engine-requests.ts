/**
 * Turns the offline program's registrations into the analyzer requests the Pulumi engine would
 * send for a preview of a new stack (the engine's step generator and analyzer plugin):
 * - Remediate then Analyze per resource, with the inputs after the provider's Check; Analyze
 *   drops the top-level internal keys (so the top-level `__defaults` only reaches Remediate),
 *   nested ones stay;
 * - secrets as wire secrets and unknowns as the engine's sentinel (the registrations already
 *   carry them that way);
 * - the resource options the engine sets, the parent, and the provider with its inputs;
 * - the engine's own resources: the root stack and a default provider per package that
 *   resources use without an explicit provider;
 * - AnalyzeStack with every resource's planned outputs, parents and dependencies.
 */
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { sdkProtos } from "../../kernel/sdk-internals";
import type { OfflineRun, RegisteredResource } from "../offline/run-program";
import { SECRET_SIG, SIG_KEY, STACK_REFERENCE_TYPE, UNKNOWN, isWireSecret } from "../../kernel/pulumi-wire";
import { ROOT_STACK_TYPE, isProviderType, packageOf } from "../offline/run-program";
import { checkedInputs } from "./provider-check";
import { defaultOptions } from "../offline/registrations";

const { analyzer: analyzerPb, struct: structPb } = sdkProtos();

type StructJs = Parameters<typeof StructPb.Struct.fromJavaScript>[0];

/** One resource as the engine presents it to analyzers. */
export interface EngineResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent: string;
  /** Inputs after the provider's Check, wire-encoded, including internal keys. */
  readonly checked: Record<string, unknown>;
  readonly options: RegisteredResource["options"];
  /** The provider resource's URN, for custom resources. */
  readonly providerUrn?: string;
  readonly dependencies: string[];
  readonly propertyDependencies: Record<string, string[]>;
  /**
   * Outputs known from state (an update's preview replayed by a test): sent in AnalyzeStack
   * beside the inputs. The offline program has none: a new stack's outputs are all unknown.
   */
  readonly outputs?: Record<string, unknown>;
  /** Read, not managed: the engine sends it to AnalyzeStack only. */
  readonly read?: true;
}

export interface EnginePreview {
  readonly resources: EngineResource[];
}

/** The engine's view of an offline run: its resources plus the ones the engine itself registers. */
export function enginePreview(run: OfflineRun): EnginePreview {
  const resources: EngineResource[] = [];
  const base = (r: Omit<EngineResource, "dependencies" | "propertyDependencies"> & Partial<EngineResource>): EngineResource => ({
    dependencies: [],
    propertyDependencies: {},
    ...r,
  });
  resources.push(
    base({
      urn: run.stackUrn,
      type: ROOT_STACK_TYPE,
      name: `${run.project}-${run.stack}`,
      custom: false,
      parent: "",
      checked: {},
      options: defaultOptions(),
    }),
  );

  const defaultProviders = new Set<string>();
  for (const r of run.resources) {
    if (r.read) {
      resources.push(
        base({
          urn: r.urn,
          type: r.type,
          name: r.name,
          custom: true,
          parent: r.parent,
          checked: r.inputs,
          options: r.options,
          outputs: readOutputs(r),
          read: true,
        }),
      );
      continue;
    }
    const providerUrn = r.custom && !isProviderType(r.type) ? r.providerUrn : undefined;
    // The engine registers a default provider (no parent) for resources without an explicit one.
    if (providerUrn && !r.provider && !defaultProviders.has(providerUrn)) {
      defaultProviders.add(providerUrn);
      const pkg = packageOf(r.type);
      const name = providerUrn.split("::").pop()!;
      const version = name.replace(/^default_/, "").replace(/_/g, ".");
      resources.push(
        base({
          urn: providerUrn,
          type: `pulumi:providers:${pkg}`,
          name,
          custom: true,
          parent: "",
          checked: defaultProviderInputs(pkg, version),
          options: defaultOptions(),
        }),
      );
    }
    resources.push({
      urn: r.urn,
      type: r.type,
      name: r.name,
      custom: r.custom,
      parent: r.parent,
      checked: liftSecrets(r.custom ? checkedInputs(r.type, r.inputs) : r.inputs),
      options: r.options,
      providerUrn,
      dependencies: r.options.dependencies,
      propertyDependencies: r.options.propertyDependencies,
    });
  }
  return { resources };
}

/**
 * The engine delivers secretness per top-level input: an input holding a secret anywhere arrives
 * wrapped as one secret, with the values inside plain (unknowns stay where they are). The
 * registrations keep the SDK's element-level secrets, so they are lifted here.
 */
export function liftSecrets(inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs))
    out[k] = k.startsWith("__") || isWireSecret(v) || !holdsSecret(v) ? v : { [SIG_KEY]: SECRET_SIG, value: withoutSecrets(v) };
  return out;
}

function holdsSecret(v: unknown): boolean {
  if (isWireSecret(v)) return true;
  if (Array.isArray(v)) return v.some(holdsSecret);
  return typeof v === "object" && v !== null && Object.values(v).some(holdsSecret);
}

function withoutSecrets(v: unknown): unknown {
  if (isWireSecret(v)) return withoutSecrets(v.value);
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecrets(x)]));
  return v;
}

/** A default provider's inputs come from stack config; credentials are secrets the gate never sees. */
function defaultProviderInputs(pkg: string, version: string): Record<string, unknown> {
  const inputs: Record<string, unknown> = { version };
  if (pkg === "hcloud") inputs.token = { [SIG_KEY]: SECRET_SIG, value: UNKNOWN };
  return inputs;
}

function withoutTopLevelInternalKeys(props: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) if (!k.startsWith("__")) out[k] = v;
  return out;
}

function optionsMessage(r: EngineResource): AnalyzerPb.AnalyzerResourceOptions {
  const o = new analyzerPb.AnalyzerResourceOptions();
  o.setProtect(r.options.protect);
  o.setIgnorechangesList(r.options.ignoreChanges);
  if (r.options.deleteBeforeReplace !== undefined) {
    o.setDeletebeforereplacedefined(true);
    o.setDeletebeforereplace(r.options.deleteBeforeReplace);
  }
  o.setAdditionalsecretoutputsList(r.options.additionalSecretOutputs);
  o.setAliasesList(r.options.aliases);
  const t = new analyzerPb.AnalyzerResourceOptions.CustomTimeouts();
  const seconds = (d?: string) => (d ? parseDuration(d) : 0);
  t.setCreate(seconds(r.options.customTimeouts?.create));
  t.setUpdate(seconds(r.options.customTimeouts?.update));
  t.setDelete(seconds(r.options.customTimeouts?.delete));
  o.setCustomtimeouts(t);
  if (r.parent) o.setParent(r.parent);
  return o;
}

/** "1h30m", "90s" → seconds (the SDK sends Go-style durations). */
function parseDuration(d: string): number {
  let total = 0;
  for (const [, n, unit] of d.matchAll(/([\d.]+)(h|m|s|ms)/g))
    total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 0.001 } as Record<string, number>)[unit];
  return total;
}

function providerMessage(byUrn: ReadonlyMap<string, EngineResource>, r: EngineResource): AnalyzerPb.AnalyzerProviderResource | undefined {
  const p = r.providerUrn ? byUrn.get(r.providerUrn) : undefined;
  if (!p) return undefined;
  const m = new analyzerPb.AnalyzerProviderResource();
  m.setUrn(p.urn);
  m.setType(p.type);
  m.setName(p.name);
  m.setProperties(structPb.Struct.fromJavaScript(p.checked as StructJs));
  return m;
}

export interface ResourceRequests {
  readonly resource: EngineResource;
  readonly remediate: AnalyzerPb.AnalyzeRequest;
  readonly analyze: AnalyzerPb.AnalyzeRequest;
}

/**
 * What a read resource holds in state. A StackReference's outputs are the builtin provider's
 * (`name`, `outputs`, `secretOutputNames`); the other stack's values cannot be known offline.
 */
function readOutputs(r: RegisteredResource): Record<string, unknown> {
  if (r.type === STACK_REFERENCE_TYPE) return { name: r.inputs.name, outputs: {}, secretOutputNames: [] };
  return {};
}

/** The Remediate and Analyze requests of every resource the program registers (reads are not analyzed), in registration order. */
export function resourceRequests(preview: EnginePreview): ResourceRequests[] {
  const byUrn = new Map(preview.resources.map((r) => [r.urn, r]));
  return preview.resources
    .filter((r) => !r.read)
    .map((r) => {
      const all = structPb.Struct.fromJavaScript(r.checked as StructJs);
      // Analyze gets the same values without the top-level internal keys: share them, do not rebuild.
      const visible = new structPb.Struct();
      all.getFieldsMap().forEach((v, k) => {
        if (!k.startsWith("__")) visible.getFieldsMap().set(k, v);
      });
      const make = (props: StructPb.Struct) => {
        const req = new analyzerPb.AnalyzeRequest();
        req.setUrn(r.urn);
        req.setType(r.type);
        req.setName(r.name);
        req.setProperties(props);
        req.setOptions(optionsMessage(r));
        const provider = providerMessage(byUrn, r);
        if (provider) req.setProvider(provider);
        return req;
      };
      return { resource: r, remediate: make(all), analyze: make(visible) };
    });
}

/** The AnalyzeStack request: every resource's planned outputs (for a new stack: its inputs, computed outputs unknown). */
export function stackRequest(preview: EnginePreview): AnalyzerPb.AnalyzeStackRequest {
  const byUrn = new Map(preview.resources.map((r) => [r.urn, r]));
  const req = new analyzerPb.AnalyzeStackRequest();
  req.setResourcesList(
    preview.resources.map((r) => {
      const m = new analyzerPb.AnalyzerResource();
      m.setUrn(r.urn);
      m.setType(r.type);
      m.setName(r.name);
      m.setProperties(structPb.Struct.fromJavaScript({ ...withoutTopLevelInternalKeys(r.checked), ...(r.outputs ?? {}) } as StructJs));
      m.setOptions(optionsMessage(r));
      const provider = providerMessage(byUrn, r);
      if (provider) m.setProvider(provider);
      if (r.parent) m.setParent(r.parent);
      m.setDependenciesList(r.dependencies);
      const deps = m.getPropertydependenciesMap();
      for (const [k, urns] of Object.entries(r.propertyDependencies)) {
        const d = new analyzerPb.AnalyzerPropertyDependencies();
        d.setUrnsList(urns);
        deps.set(k, d);
      }
      return m;
    }),
  );
  return req;
}
