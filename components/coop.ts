/**
 * Declares one stack of a co-op from its spec: the host and the services on it. The Pulumi
 * entry (index.ts) and the offline plan (cli) both call this, so what is planned and approved
 * offline is exactly what `pulumi up` deploys.
 *
 * Order matters only where one component needs another's outputs:
 *   host → proxy (routes are plain data from the spec) → mail (uses the proxy's certificates)
 *   → mastodon, nextcloud (send through mail) → dns (needs the host's IPs and the DKIM key)
 *   → backup (saves what the services declare).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackSecrets } from "../stacks/config";
import { enabledServices, type StackSpec } from "../stacks/schema";
import { Host, type HostArgs } from "./host";
import type { BackupSource, DockerHostRef, SmtpSender, WebRoute } from "./interfaces";
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
  const namePrefix = resourcePrefix(spec.coop.name, stack);

  // --- host ---------------------------------------------------------------------------------
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
          namePrefix,
          labels: { "coop-infra/coop": labelValue(spec.coop.name), "coop-infra/stack": labelValue(stack) },
        };
  const host = new Host("host", hostArgs);
  const dockerHost: DockerHostRef = { provider: host.dockerProvider, namePrefix, target: host.target };
  const outputs: Record<string, pulumi.Input<unknown>> = {
    target: host.target,
    ...(host.ipv4 ? { ipv4: host.ipv4, ipv6: host.ipv6 } : {}),
  };

  // --- web routes: plain data from the spec, pushed by each service's section -------------------
  const routes: WebRoute[] = [];

  // --- proxy --------------------------------------------------------------------------------
  // Set here: the Docker volume holding Caddy's certificates (the mail server reads its own).
  let certificatesVolume: pulumi.Input<string> | undefined;

  // --- mail ---------------------------------------------------------------------------------
  // Set here: the SMTP accounts Mastodon and Nextcloud send through (this stack's mail server,
  // or the mail stack's through a StackReference).
  let smtpSenders: Partial<Record<"mastodon" | "nextcloud", SmtpSender>> = {};

  // --- mastodon, nextcloud ------------------------------------------------------------------

  // --- dns ----------------------------------------------------------------------------------

  // --- backup -------------------------------------------------------------------------------
  // Each service section pushes what must be saved.
  const backupSources: BackupSource[] = [];

  void [dockerHost, routes, certificatesVolume, smtpSenders, backupSources]; // until every section uses them
  return { host, outputs };
}
