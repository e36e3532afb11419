/**
 * Pulumi entry (Pulumi.yaml `main`): load stacks/<current stack>.yaml and declare the co-op's
 * components. Nothing else happens here; `coop plan` and `coop gate` load this same module
 * through the same `main` and run it offline.
 */
// First, so that nothing of the program resolves before the loader checks it (kernel/load-sources.cjs).
import "./kernel/start-program.cjs";
import * as pulumi from "@pulumi/pulumi";
import { declareCoop } from "./components/coop";
import { readStackSecrets } from "./stacks/config";
import { CoopError } from "./kernel/errors";
import { loadStackSpec } from "./stacks/load";
import { findRepoRoot } from "./kernel/repo";
import type { StackSpec } from "./stacks/schema";

/**
 * The program. The Pulumi CLI calls the exported function with no argument: the spec is read
 * from stacks/<stack>.yaml beside this file. `coop` passes the spec it planned (read from the
 * repository it checks, with any what-if edits), and then gets its errors as they are.
 */
function program(planned?: { readonly spec: StackSpec }): Record<string, pulumi.Input<unknown>> {
  const stack = pulumi.getStack();
  if (planned) return declareCoop({ stack, spec: planned.spec, secrets: readStackSecrets(planned.spec) }).outputs;
  try {
    const { spec } = loadStackSpec(findRepoRoot(__dirname), stack);
    return declareCoop({ stack, spec, secrets: readStackSecrets(spec) }).outputs;
  } catch (e) {
    // A RunError is shown to the user without a stack trace: the message says what to fix.
    if (e instanceof CoopError) throw new pulumi.RunError(e.hint ? `${e.message}\n  hint: ${e.hint}` : e.message);
    throw e;
  }
}

export = program;
