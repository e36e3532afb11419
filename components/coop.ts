/**
 * Declares one stack of a co-op from its spec: the host and the services on it. The Pulumi
 * entry (index.ts) and the offline plan (cli) both call this, so what is planned and approved
 * offline is exactly what `pulumi up` deploys.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackSecrets } from "../stacks/config";
import { enabledServices, type StackSpec } from "../stacks/schema";
import { Host, type HostArgs } from "./host";
import { labelValue, resourcePrefix } from "./naming";
import { publicPorts } from "./ports";

export interface CoopArgs {
  readonly stack: string;
  readonly spec: StackSpec;
  readonly secrets: StackSecrets;
}

export interface CoopStack {
  readonly host: Host;
  /** Stack outputs, exported by index.ts. */
  readonly outputs: Record<string, pulumi.Input<unknown>>;
}

export function declareCoop({ stack, spec }: CoopArgs): CoopStack {
  const services = enabledServices(spec);
  const hostArgs: HostArgs =
    spec.host.target === "local"
      ? { target: "local", dockerHost: spec.host.dockerHost }
      : {
          target: "hetzner",
          serverType: spec.host.serverType,
          location: spec.host.location,
          image: spec.host.image,
          volumeSizeGb: spec.host.volumeSizeGb,
          sshSources: spec.host.sshSources,
          admins: spec.host.admins,
          publicPorts: publicPorts(services),
          namePrefix: resourcePrefix(spec.coop.name, stack),
          labels: { "coop-infra/coop": labelValue(spec.coop.name), "coop-infra/stack": labelValue(stack) },
        };
  const host = new Host("host", hostArgs);
  return {
    host,
    outputs: {
      target: host.target,
      ...(host.ipv4 ? { ipv4: host.ipv4, ipv6: host.ipv6 } : {}),
    },
  };
}
