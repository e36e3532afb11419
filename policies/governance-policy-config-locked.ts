/**
 * Policy config must not lower a governance policy. The engine tap already raises such a
 * level back to mandatory; this makes the attempt itself fail the run, loudly.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configTampering } from "./engine-tap";
import { reportAt } from "./support/report";

export const NAME = "governance-policy-config-locked";

const reported = new Set<string>();

export const governancePolicyConfigLocked: ResourceValidationPolicy = {
  name: NAME,
  description: "The policy pack's config does not lower or disable a governance policy.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "Remove the enforcementLevel override for governance-* policies from the policy config (--policy-pack-config).",
  validateResource: (args, report) => {
    const tampering = configTampering();
    if (tampering.length === 0) return;
    // Once per stack is enough to fail the run; whichever resource the engine analyzes first.
    const stack = args.urn.split("::")[0];
    if (reported.has(stack)) return;
    reported.add(stack);
    for (const t of tampering) {
      reportAt(report, "mandatory", `policy config asked to run ${t.policy} as '${t.requested}'; governance policies always run as mandatory, so the config is refused`, args.urn);
    }
  },
};
