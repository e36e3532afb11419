/**
 * What an offline run of the program records: every resource registration as the engine would
 * receive it (inputs with secrets and unknowns in their wire form, and the resource options).
 */
import type { TwinRegistration } from "../../plan/view";

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

/** The options of a resource registered or read with none set (the engine's defaults). */
export function defaultOptions(): ResourceOptionsSeen {
  return {
    protect: false,
    ignoreChanges: [],
    additionalSecretOutputs: [],
    aliases: [],
    dependencies: [],
    propertyDependencies: {},
    retainOnDelete: false,
  };
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
  /** Serialized inputs: secrets as {SIG_KEY: SECRET_SIG, value} (kernel/pulumi-wire.ts), unknowns as UNKNOWN. */
  readonly inputs: Record<string, unknown>;
  readonly options: ResourceOptionsSeen;
  /**
   * A resource the program reads instead of managing (a StackReference, a `.get`): the engine
   * never sends it to Analyze, only to AnalyzeStack, with the ID it was read by.
   */
  readonly read?: { readonly id: string };
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
