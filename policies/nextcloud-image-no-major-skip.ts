/**
 * Nextcloud upgrades one major version at a time: its upgrader refuses to skip one, and a
 * failed upgrade leaves the instance in maintenance mode. Checked against the approved lock
 * before a vote; once approved, the decision's recorded changes are checked too
 * (governance-lock-approved, finding nextcloud-major-step).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { approvedImageStep } from "./support/image-steps";
import { forType, reportAt } from "./support/report";

export const NAME = "nextcloud-image-no-major-skip";

export const nextcloudImageNoMajorSkip: ResourceValidationPolicy = {
  name: NAME,
  description: "A Nextcloud container never moves more than one major version from the approved one, and never back.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Set services.nextcloud.version in stacks/<stack>.yaml to the latest release of the next major version only, see the step with `coop plan --stack <stack>` and propose it with `coop propose --stack <stack> --post`; deploy it, then propose the next (docs/runbook/upgrade-nextcloud.md).",
  validateResource: forType("docker:index/container:Container", (args, report) => {
    const step = approvedImageStep(args);
    if (step && step.family === "nextcloud" && (step.to > step.from + 1 || step.to < step.from)) {
      reportAt(
        report,
        "mandatory",
        `${args.name} would move Nextcloud from major version ${step.from} to ${step.to}; it upgrades one major version at a time`,
        args.urn,
      );
    }
  }),
};
