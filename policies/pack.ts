/**
 * The policies of the pack. Only index.ts constructs the PolicyPack (the SDK allows one per
 * process and starts a gRPC server); everything else imports the policies from here.
 */
import type { Policies } from "@pulumi/policy";
import { dockerContainerDatabaseNotPublished } from "./docker-container-database-not-published";
import { dockerContainerEnvSecretsNotPlaintext } from "./docker-container-env-secrets-not-plaintext";
import { dockerContainerImagePinned } from "./docker-container-image-pinned";
import { dockerImageMajorUpgradeNamed } from "./docker-image-major-upgrade-named";
import { governanceLockApproved } from "./governance-lock-approved";
import { governancePolicyConfigLocked } from "./governance-policy-config-locked";
import { governanceResourceMatchesLock } from "./governance-resource-matches-lock";
import { governanceStackComputedSources } from "./governance-stack-computed-values-match-sources";
import { governanceStackNoUnapprovedDeletions } from "./governance-stack-no-unapproved-deletions";
import { governanceStackReferencesMatchLock } from "./governance-stack-references-match-lock";
import { hcloudFirewallSshRestricted } from "./hcloud-firewall-ssh-restricted";
import { hcloudStatefulDeleteProtected } from "./hcloud-stateful-delete-protected";
import { nextcloudImageNoMajorSkip } from "./nextcloud-image-no-major-skip";
import { nextcloudPrimaryStorageFixed } from "./nextcloud-primary-storage-fixed";
import { mastodonSidekiqSchedulerOnce } from "./mastodon-sidekiq-scheduler-once";
import { stackBackupsEnabled } from "./stack-backups-enabled";

export const PACK_NAME = "coop-infra-governance";

export const GOVERNANCE_POLICIES: Policies = [
  governanceResourceMatchesLock,
  governanceLockApproved,
  governanceStackNoUnapprovedDeletions,
  governanceStackComputedSources,
  governanceStackReferencesMatchLock,
  governancePolicyConfigLocked,
];

export const BASELINE_POLICIES: Policies = [
  dockerContainerImagePinned,
  dockerContainerEnvSecretsNotPlaintext,
  dockerContainerDatabaseNotPublished,
  dockerImageMajorUpgradeNamed,
  hcloudFirewallSshRestricted,
  hcloudStatefulDeleteProtected,
  nextcloudImageNoMajorSkip,
  nextcloudPrimaryStorageFixed,
  mastodonSidekiqSchedulerOnce,
  stackBackupsEnabled,
];

export const POLICIES: Policies = [...GOVERNANCE_POLICIES, ...BASELINE_POLICIES];

export const GOVERNANCE_POLICY_NAMES: ReadonlySet<string> = new Set(GOVERNANCE_POLICIES.map((p) => p.name));
