/**
 * A Mastodon or Postgres major upgrade migrates the co-op's data one way. The decision that
 * approves it must name it (the proposal's `coop-major:` line): before the vote this policy
 * flags the step against the approved lock; after it, governance-lock-approved checks the
 * decision's recorded changes (finding major-unnamed).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { majorLine } from "../rulebook/changes/majors";
import { approvedImageStep } from "./support/image-steps";
import { forType, reportAt } from "./support/report";

export const NAME = "docker-image-major-upgrade-named";

export const dockerImageMajorUpgradeNamed: ResourceValidationPolicy = {
  name: NAME,
  description: "A Mastodon or Postgres major upgrade is approved by a decision that names it.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Propose it with `coop propose --stack <stack> --post`, which names the upgrade in the proposal; record the poll with `coop decide`. Take a backup first (docs/runbook/upgrade-mastodon.md).",
  validateResource: forType("docker:index/container:Container", (args, report) => {
    const step = approvedImageStep(args);
    if (step && step.family !== "nextcloud") {
      reportAt(
        report,
        "mandatory",
        `${args.name} would be a major upgrade (${majorLine(step)}) that no decision has approved yet; the decision must name it`,
        args.urn,
      );
    }
  }),
};
