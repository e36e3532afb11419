/**
 * Reading the secrets a stack needs from Pulumi config (the keys: secret-keys.ts). Everything
 * else comes from the spec; secrets never do. Generated secrets (database passwords, keys) are
 * not config: the components create them with @pulumi/random and @pulumi/tls.
 */
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../kernel/errors";
import type { StackSpec } from "./schema";
import { SECRET_CONFIG_KEYS } from "./secret-keys";

export { SECRET_CONFIG_KEYS, type SecretConfigKey } from "./secret-keys";

export interface StackSecrets {
  readonly mailRelayPassword?: pulumi.Output<string>;
  readonly alertsMatrixToken?: pulumi.Output<string>;
  readonly alertsWebhookUrl?: pulumi.Output<string>;
  readonly mastodonAdminToken?: pulumi.Output<string>;
  readonly objectStorageAccessKey?: pulumi.Output<string>;
  readonly objectStorageSecretKey?: pulumi.Output<string>;
}

/** The secrets this spec needs, read from the stack's config; a missing one is an input error. */
export function readStackSecrets(spec: StackSpec, config: pulumi.Config = new pulumi.Config()): StackSecrets {
  const out: Record<string, pulumi.Output<string>> = {};
  for (const k of SECRET_CONFIG_KEYS) {
    if (!k.neededBy(spec)) continue;
    const value = config.getSecret(k.key);
    if (value === undefined) {
      throw new InputError(
        `the stack needs the secret config value ${config.name}:${k.key}: ${k.description}`,
        `set it with: pulumi config set --secret ${config.name}:${k.key}`,
      );
    }
    out[k.key] = value;
  }
  return out as StackSecrets;
}
