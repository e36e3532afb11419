/**
 * The policies of the pack. Only index.ts constructs the PolicyPack (the SDK allows one per
 * process and starts a gRPC server); everything else imports the policies from here.
 */
import type { Policies } from "@pulumi/policy";
import { governancePolicyConfigLocked } from "./governance-policy-config-locked";
import { governanceResourceMatchesLock } from "./governance-resource-matches-lock";
import { governanceStackNoUnapprovedDeletions } from "./governance-stack-no-unapproved-deletions";

export const PACK_NAME = "coop-infra-governance";

export const GOVERNANCE_POLICIES: Policies = [governanceResourceMatchesLock, governanceStackNoUnapprovedDeletions, governancePolicyConfigLocked];

export const BASELINE_POLICIES: Policies = [];

export const POLICIES: Policies = [...GOVERNANCE_POLICIES, ...BASELINE_POLICIES];

export const GOVERNANCE_POLICY_NAMES: ReadonlySet<string> = new Set(GOVERNANCE_POLICIES.map((p) => p.name));
