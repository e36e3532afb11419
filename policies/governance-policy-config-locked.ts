/**
 * Policy config must not lower a governance policy. The engine tap already raises such a
 * level back to mandatory; this makes the attempt itself fail the run, loudly.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configTampering, onConfigure } from "./engine-tap";
import { reportAt } from "./support/report";

export const NAME = "governance-policy-config-locked";

/** Stacks already told about this run's config; a new Configure is a new run with its own config. */
const reported = new Set<string>();
onConfigure(() => reported.clear());

export const governancePolicyConfigLocked: ResourceValidationPolicy = {
  name: NAME,
  description: "The policy pack's config does not lower or disable a governance policy.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    'In the JSON file CI passes to `--policy-pack-config`, remove every level below mandatory for the governance-* policies, including one set through `all` (or give each governance policy "mandatory" explicitly); check the file with `coop gate --stack <stack> --policy-config <file>`.',
  validateResource: (args, report) => {
    const tampering = configTampering();
    if (tampering.length === 0) return;
    // Once per stack is enough to fail the run; whichever resource the engine analyzes first.
    const stack = args.urn.split("::")[0];
    if (reported.has(stack)) return;
    reported.add(stack);
    for (const t of tampering) {
      reportAt(
        report,
        "mandatory",
        `policy config asked to run ${t.policy} as '${t.requested}'; governance policies always run as mandatory, so the config is refused`,
        args.urn,
      );
    }
  },
};
