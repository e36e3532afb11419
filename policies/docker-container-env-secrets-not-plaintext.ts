/**
 * Container environment entries that look like secrets carry Pulumi secrets (generated or set
 * with `pulumi config set --secret`), never a plaintext value written into the program or the
 * spec, where it would land in the repository, the lock and every log.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { rawInputsOf } from "./engine-tap";
import { isUnknown, isWireSecret } from "./view";
import { forType, reportAt } from "./support/report";
import { looksSecret } from "./support/secret-names";

export const NAME = "docker-container-env-secrets-not-plaintext";

export const dockerContainerEnvSecretsNotPlaintext: ResourceValidationPolicy = {
  name: NAME,
  description: "Secret-looking container environment entries (passwords, keys, tokens) are Pulumi secrets, not plaintext.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Generate the value in the component (@pulumi/random, @pulumi/tls) or read it with `pulumi config set --secret coop-infra:<key>` (stacks/config.ts); never write it into the spec or the code.",
  validateResource: forType("docker:index/container:Container", (args, report) => {
    if (args.type !== "docker:index/container:Container") return;
    const envs = rawInputsOf(args.urn)?.envs;
    // Secretness lifted to the whole list covers every entry in it.
    if (envs === undefined || isWireSecret(envs) || isUnknown(envs) || !Array.isArray(envs)) return;
    for (const entry of envs) {
      if (isWireSecret(entry) || isUnknown(entry) || typeof entry !== "string") continue;
      const eq = entry.indexOf("=");
      const name = eq > 0 ? entry.slice(0, eq) : entry;
      if (eq > 0 && entry.length > eq + 1 && looksSecret(name)) {
        reportAt(report, "mandatory", `${args.name} sets ${name} to a plaintext value; it must come from a generated or config secret`, args.urn);
      }
    }
  }),
};
