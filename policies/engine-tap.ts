/**
 * What the engine sends the pack, seen before @pulumi/policy's handlers interpret it.
 *
 * The policy SDK hides three things the governance policies need, so the pack taps its own
 * gRPC service (the requests are unchanged, only observed — except policy config that tries
 * to lower a governance policy, which is raised back to mandatory and remembered):
 * - Analyze requests carry secrets as wire secrets; the SDK unwraps them, so a policy cannot
 *   tell a secret from a plaintext value. The raw properties are kept per URN.
 * - The engine strips top-level internal keys from Analyze requests, so bridged providers'
 *   `__defaults` list never reaches a resource policy; it does reach Remediate, which the
 *   engine calls for every resource just before Analyze. The list is kept per URN.
 * - Configure may set any policy's enforcement level, including "disabled", which makes the
 *   SDK skip the policy entirely — a silent bypass for a governance policy.
 */
import { type AnalyzerHandlers, tapAnalyzerService } from "../kernel/sdk-internals";
import { levelNumber, levelOfNumber } from "./support/enforcement-levels";

export interface ConfigTampering {
  readonly policy: string;
  readonly requested: string;
}

interface TapState {
  /** The Analyze request's properties, converted to plain values only when a policy asks. */
  rawInputs: Map<string, StructLike | Record<string, unknown>>;
  topLevelDefaults: Map<string, string[]>;
  tampering: ConfigTampering[];
  configured: boolean;
}

const state: TapState = { rawInputs: new Map(), topLevelDefaults: new Map(), tampering: [], configured: false };

let served: Readonly<AnalyzerHandlers> | undefined;

/**
 * The analyzer service's handlers as registered (with this tap in front): what every gRPC
 * call of the engine reaches. `coop gate` calls them with the engine's requests directly.
 */
export function servedHandlers(): Readonly<AnalyzerHandlers> | undefined {
  return served;
}

const configureListeners: Array<() => void> = [];

/**
 * Runs `fn` whenever the engine configures the pack, which it does once at the start of every
 * preview or update: the moment to forget what an earlier run read from the repository.
 */
export function onConfigure(fn: () => void): void {
  configureListeners.push(fn);
}

/** Raw Analyze properties of a resource (secrets still wrapped), if the engine sent them. */
export function rawInputsOf(urn: string): Record<string, unknown> | undefined {
  const raw = state.rawInputs.get(urn);
  if (raw === undefined || !isStruct(raw)) return raw;
  const plain = (raw.toJavaScript() ?? {}) as Record<string, unknown>;
  state.rawInputs.set(urn, plain);
  return plain;
}

function isStruct(v: unknown): v is StructLike {
  return typeof (v as StructLike).toJavaScript === "function";
}

/** Drops what was kept for these resources (one run may cover many stacks). */
export function forgetResources(urns: readonly string[]): void {
  for (const urn of urns) {
    state.rawInputs.delete(urn);
    state.topLevelDefaults.delete(urn);
  }
}

/** The top-level `__defaults` a bridged provider's Check listed for this resource, if seen. */
export function topLevelDefaultsOf(urn: string): string[] | undefined {
  return state.topLevelDefaults.get(urn);
}

/** Attempts, in the last Configure call, to lower a governance policy. */
export function configTampering(): readonly ConfigTampering[] {
  return state.tampering;
}

interface StructLike {
  toJavaScript(): unknown;
  getFieldsMap(): { get(key: string): { toJavaScript(): unknown } | undefined };
}
interface AnalyzeRequestLike {
  getUrn(): string;
  getProperties(): StructLike | undefined;
}
interface PolicyConfigLike {
  getEnforcementlevel(): number;
  setEnforcementlevel(level: number): void;
}
interface ConfigureRequestLike {
  getPolicyconfigMap(): { forEach(cb: (v: PolicyConfigLike, k: string) => void): void };
}

const MANDATORY = levelNumber("mandatory");

/**
 * Wraps the analyzer service handlers the next PolicyPack registers. `governancePolicies`
 * are the policies whose enforcement level config may not lower.
 */
export function installEngineTap(governancePolicies: ReadonlySet<string>): () => void {
  return tapAnalyzerService((handlers) => {
    const tapped: AnalyzerHandlers = { ...handlers };
    if (handlers.analyze) {
      tapped.analyze = (call, callback) => {
        const req = call.request as AnalyzeRequestLike;
        state.rawInputs.set(req.getUrn(), req.getProperties() ?? {});
        return handlers.analyze(call, callback);
      };
    }
    if (handlers.remediate) {
      tapped.remediate = (call, callback) => {
        const req = call.request as AnalyzeRequestLike;
        const defaults = req.getProperties()?.getFieldsMap().get("__defaults")?.toJavaScript();
        if (Array.isArray(defaults))
          state.topLevelDefaults.set(
            req.getUrn(),
            defaults.filter((d): d is string => typeof d === "string"),
          );
        return handlers.remediate(call, callback);
      };
    }
    if (handlers.configure) {
      tapped.configure = (call, callback) => {
        const req = call.request as ConfigureRequestLike;
        const tampering: ConfigTampering[] = [];
        req.getPolicyconfigMap().forEach((v, name) => {
          if (governancePolicies.has(name) && v.getEnforcementlevel() !== MANDATORY) {
            tampering.push({ policy: name, requested: levelOfNumber(v.getEnforcementlevel()) ?? String(v.getEnforcementlevel()) });
            v.setEnforcementlevel(MANDATORY);
          }
        });
        state.tampering = tampering;
        state.configured = true;
        state.rawInputs.clear();
        state.topLevelDefaults.clear();
        for (const fn of configureListeners) fn();
        return handlers.configure(call, callback);
      };
    }
    served = tapped;
    return tapped;
  });
}
