/**
 * Pulumi entry: load stacks/<current stack>.yaml and declare the co-op's components.
 * Nothing else happens here; `coop plan` runs the same declaration offline.
 */
import * as pulumi from "@pulumi/pulumi";
import { declareCoop } from "./components/coop";
import { readStackSecrets } from "./stacks/config";
import { CoopError } from "./kernel/errors";
import { loadStackSpec } from "./stacks/load";
import { findRepoRoot } from "./kernel/repo";

function declare(): Record<string, pulumi.Input<unknown>> {
  const stack = pulumi.getStack();
  try {
    const { spec } = loadStackSpec(findRepoRoot(__dirname), stack);
    return declareCoop({ stack, spec, secrets: readStackSecrets(spec) }).outputs;
  } catch (e) {
    // A RunError is shown to the user without a stack trace: the message says what to fix.
    if (e instanceof CoopError) throw new pulumi.RunError(e.hint ? `${e.message}\n  hint: ${e.hint}` : e.message);
    throw e;
  }
}

export = declare();
