/**
 * The coop-infra policy pack: `pulumi preview|up --policy-pack policies`.
 * This module only constructs the pack; the policies live in their own modules (pack.ts).
 */
import { PolicyPack } from "@pulumi/policy";
import { installEngineTap } from "./engine-tap";
import { GOVERNANCE_POLICY_NAMES, PACK_NAME, POLICIES } from "./pack";

const uninstall = installEngineTap(GOVERNANCE_POLICY_NAMES);
try {
  new PolicyPack(PACK_NAME, {
    description: "Every change to the co-op's infrastructure matches a desired state the members approved, under the co-op's own rules.",
    policies: POLICIES,
  });
} finally {
  uninstall();
}
