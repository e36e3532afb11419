/**
 * The stack's approved lock is backed by a valid decision of the members: the chain of
 * decisions from the stack's first, each signed by the members the bylaws require, the latest
 * approving exactly this lock, its poll (or meeting) passing the bylaws, its major upgrades
 * named, and no emergency change left unratified past its deadline.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { formatFinding } from "../rulebook";
import { isUngoverned } from "./governance-resource-matches-lock";
import { reportAt } from "./support/report";
import { lockVerdict, parseUrn } from "./support/stack-context";

export const NAME = "governance-lock-approved";

export const governanceLockApproved: ResourceValidationPolicy = {
  name: NAME,
  description: "The stack's approved lock is backed by a valid, signed decision of the members under the co-op's rules.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Run `coop verify` to see what is wrong with the record. A missing or unsigned decision: `coop sign <decision> --key <your key>`. A lock no decision approved: restore it from git, or let the members approve the plan (`coop propose --stack <stack> --post`, then `coop decide`).",
  validateResource: (args, report) => {
    if (isUngoverned(args.type, args.urn, args.opts?.parent)) return;
    const { stack } = parseUrn(args.urn);
    for (const f of lockVerdict(stack)) {
      // An emergency change awaiting ratification within its deadline is a warning; every
      // other finding stops the deploy.
      reportAt(report, f.level === "error" ? "mandatory" : "advisory", formatFinding(f), args.urn);
    }
  },
};
