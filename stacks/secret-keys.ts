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
