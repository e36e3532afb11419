/**
 * The secrets a stack reads from Pulumi config, and which specs need them. Kept apart from
 * config.ts (which reads them through the Pulumi SDK) so that checks which only ask "is the key
 * set?" — the readiness check, the offline plan — need not load the SDK.
 *
 * Keys live in the project's namespace (the `name` in Pulumi.yaml), e.g.
 *   pulumi config set --secret coop-infra:mailRelayPassword
 */
import type { StackSpec } from "./schema";

export interface SecretConfigKey {
  readonly key: string;
  readonly description: string;
  /** Whether this spec needs the key set. */
  readonly neededBy: (spec: StackSpec) => boolean;
}

export const SECRET_CONFIG_KEYS: readonly SecretConfigKey[] = [
  {
    key: "mailRelayPassword",
    description: "Password at the outbound mail relay (services.mail.relay).",
    neededBy: (spec) => spec.services.mail.enabled && spec.services.mail.relay.host !== null,
  },
  {
    key: "alertsMatrixToken",
    description: "Access token of the Matrix account that posts alerts (alerts.matrix).",
    neededBy: (spec) => spec.alerts.enabled && spec.alerts.matrix !== null,
  },
  {
    key: "alertsWebhookUrl",
    description: "The webhook address alerts are POSTed to (alerts.webhook); it holds the webhook's credential.",
    neededBy: (spec) => spec.alerts.enabled && spec.alerts.webhook,
  },
  {
    key: "mastodonAdminToken",
    description:
      "Mastodon access token with the scopes admin:read:domain_blocks admin:write:domain_blocks (and admin:read:domain_allows admin:write:domain_allows for domainAllows), for services.mastodon.federation (README, Federation).",
    neededBy: (spec) => {
      const m = spec.services.mastodon;
      return m.enabled && m.federation.domainBlocks.length + m.federation.domainAllows.length > 0;
    },
  },
  // Hetzner creates S3 keys in its Console only (Security → S3 credentials).
  {
    key: "objectStorageAccessKey",
    description: "Access key of the Hetzner Object Storage S3 credentials (objectStorage).",
    neededBy: (spec) => spec.objectStorage.enabled,
  },
  {
    key: "objectStorageSecretKey",
    description: "Secret key of the Hetzner Object Storage S3 credentials (objectStorage).",
    neededBy: (spec) => spec.objectStorage.enabled,
  },
];
