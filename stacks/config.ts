/**
 * The secrets a stack reads from Pulumi config. Everything else comes from the spec; secrets
 * never do. Generated secrets (database passwords, keys) are not listed here: the components
 * create them with @pulumi/random and @pulumi/tls.
 *
 * Keys live in the project's namespace (the `name` in Pulumi.yaml), e.g.
 *   pulumi config set --secret coop-infra:mailRelayPassword
 */
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../kernel/errors";
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
];

export interface StackSecrets {
  readonly mailRelayPassword?: pulumi.Output<string>;
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
