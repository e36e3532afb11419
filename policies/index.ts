/**
 * The coop-infra policy pack: `pulumi preview|up --policy-pack policies`, started through
 * main.cjs (package.json `main`). This module only constructs the pack; the policies live in
 * their own modules (pack.ts).
 */
import { PolicyPack } from "@pulumi/policy";
import { forgetResources, installEngineTap, servedHandlers } from "./engine-tap";
import { GOVERNANCE_POLICY_NAMES, PACK_NAME, POLICIES } from "./pack";
import { forgetStack, setRepoRoot } from "./support/stack-context";

const uninstall = installEngineTap(GOVERNANCE_POLICY_NAMES);
try {
  new PolicyPack(PACK_NAME, {
    description: "Every change to the co-op's infrastructure matches a desired state the members approved, under the co-op's own rules.",
    policies: POLICIES,
  });
} finally {
  uninstall();
}

/**
 * What `coop gate` uses when it loads the pack in its own process (through the same entry as
 * the CLI); the engine ignores a pack's exports. The handlers are the ones the gRPC server
 * serves, so a request reaches the policies exactly as one from the engine would.
 */
export const inProcess = {
  handlers: servedHandlers(),
  /** Reads the co-op's record from another repository than the pack's own (tests, benchmarks, a fork's data). */
  useRepository: setRepoRoot,
  /** Drops what one stack's run kept: `coop gate --all` checks many stacks in one run. */
  forget(stack: string, urns: readonly string[]): void {
    forgetResources(urns);
    forgetStack(stack);
  },
};
