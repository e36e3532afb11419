/**
 * Runs the co-op's Pulumi program offline: Pulumi's mock runtime, in preview mode, with no
 * engine, provider or cloud account. It records every resource registration exactly as the
 * engine would receive it (the serialized inputs, with secrets and unknowns encoded as on the
 * wire, and the resource options), which is what the desired-state view and the policy gate
 * are computed from. The program is loaded through its entry, as the Pulumi CLI loads it
 * (program-entry.ts).
 *
 * What differs from a real preview is handled here and beside it:
 * - config secrets are injected as recognisable per-run placeholders, and generated secret
 *   outputs (random passwords and bytes, private keys, outputs a resource marks secret) are
 *   answered with per-run placeholders too (secret-placeholders.ts), so strings built around
 *   them stay known and the view can mask exactly the secret part by where it comes from (see
 *   plan/view.ts); other computed outputs (IDs, IPs) stay unknown, as at a first preview;
 * - the program runs a second time with other placeholders (the twin), so text derived from
 *   a secret (a hash, a key parsed from a PEM) shows as the part that differs; the twin also
 *   answers resource IDs and IPv4 addresses with recognisable values (traced-outputs.ts), so the
 *   view can record which output a value unknown at preview is computed from
 *   (`ssh://coop@<the IP's address>`);
 * - registrations are answered and recorded as the engine would (monitor.ts), with the
 *   provider the engine hands each resource to (providers.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { CoopArgs } from "../../components/coop";
import { CoopError, InputError } from "../../kernel/errors";
import { waitForRegistrations } from "../../kernel/sdk-internals";
import type { OutputRef } from "../../plan/view";
import { SECRET_CONFIG_KEYS, readStackSecrets } from "../../stacks/config";
import type { StackSpec } from "../../stacks/schema";
import { answerRegistrations } from "./monitor";
import { messageOf, trapProgramFailures } from "./program-failures";
import { loadProgram } from "./program-entry";
import { ROOT_STACK_TYPE, type OfflineRun, type RegisteredResource } from "./registrations";
import { configSecretPlaceholder } from "./secret-placeholders";

// What importers of the offline run use, from the modules that define it.
export { trapProgramFailures } from "./program-failures";
export { defaultProviderUrn, isProviderType, packageOf, packageVersion } from "./providers";
export * from "./registrations";
export { generatedSecretOutputs } from "./secret-placeholders";
export { tracedOutputs } from "./traced-outputs";

export interface RunOptions {
  readonly project: string;
  readonly stack: string;
  readonly spec: StackSpec;
  /** The declaration to run instead of the co-op's program (a test's stand-in). */
  readonly declare?: (args: CoopArgs) => unknown;
  /**
   * Also run the twin, which the view needs to find text derived from secrets; the gate only
   * replays the first run. Default: on for the co-op's program, off for a substitute (a test's
   * stand-in program may count what it declares).
   */
  readonly twin?: boolean;
}

let running = false;

/** How long the offline program may take to register its resources (the example needs < 1 s). */
const DRAIN_TIMEOUT_MS = 120_000;

export async function runProgramOffline({ project, stack, spec, declare, twin = declare === undefined }: RunOptions): Promise<OfflineRun> {
  if (running) throw new Error("runProgramOffline: one offline run at a time (the Pulumi runtime is process-global)");
  running = true;
  try {
    const run = declare ? (args: CoopArgs) => declare(args) : programOf(loadProgram());
    const first = await runOnce(project, stack, spec, run, 0);
    if (!twin) return first;
    return withTwin(first, await runOnce(project, stack, spec, run, 1));
  } finally {
    running = false;
  }
}

/** The co-op's program, given the spec coop planned; it reads its secrets from config like under the CLI. */
function programOf(program: ReturnType<typeof loadProgram>): (args: CoopArgs) => unknown {
  return ({ spec }) => program({ spec });
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
    const p = configSecretPlaceholder(project, k.key);
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
  answerRegistrations({ project, stack, stackUrn, generation, resources });

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
    const drained = waitForRegistrations();
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
