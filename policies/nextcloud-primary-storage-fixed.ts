/**
 * Nextcloud's primary storage (the data volume or a bucket) is chosen at install and never
 * switched: Nextcloud does not move the files, so they become unreachable. Checked against the
 * approved lock before a vote; the rulebook refuses to record such a change at all
 * (finding nextcloud-storage-switch, rulebook/changes/primary-storage.ts).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describeSwitch, primaryStorageSwitches } from "../rulebook/changes/primary-storage";
import type { Json } from "../kernel/json";
import { forType, reportAt, unproxied } from "./support/report";
import { lockOf, parseUrn } from "./support/stack-context";

export const NAME = "nextcloud-primary-storage-fixed";

export const nextcloudPrimaryStorageFixed: ResourceValidationPolicy = {
  name: NAME,
  description: "An installed Nextcloud keeps the primary storage it was installed with (data volume or bucket).",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Set objectStorage.nextcloudPrimary in stacks/<stack>.yaml back to what the stack was installed with and check with `coop gate --stack <stack>`; to move files into a bucket, install a new Nextcloud stack with it set (docs/runbook/growth.md).",
  validateResource: forType("docker:index/container:Container", (args, report) => {
    const state = lockOf(parseUrn(args.urn).stack);
    if (!("lock" in state)) return;
    const approved = state.lock.resources.filter((r) => r.urn === args.urn);
    const proposed = [{ urn: args.urn, inputs: unproxied(args.props) as Record<string, Json> }];
    for (const s of primaryStorageSwitches({ resources: approved }, { resources: proposed }))
      reportAt(report, "mandatory", describeSwitch(s), args.urn);
  }),
};
