/**
 * What holds the co-op's data or identity (servers, volumes, IP addresses, backup boxes, DNS
 * zones, data volumes) is protected twice: by Hetzner's delete protection and by Pulumi's
 * `protect`, so neither a console click nor a program change deletes it.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { reportAt, unproxied } from "./support/report";

export const NAME = "hcloud-stateful-delete-protected";

/** Hetzner resources with state, and whether they also have rebuild protection. */
const HETZNER_STATEFUL: Readonly<Record<string, { rebuild: boolean }>> = {
  "hcloud:index/server:Server": { rebuild: true },
  "hcloud:index/volume:Volume": { rebuild: false },
  "hcloud:index/primaryIp:PrimaryIp": { rebuild: false },
  "hcloud:index/storageBox:StorageBox": { rebuild: false },
  "hcloud:index/zone:Zone": { rebuild: false },
};

/** Docker volumes that hold no data worth keeping: logs, and config rewritten on every deploy. */
const DISPOSABLE_VOLUME = /-(logs|config)$/;

export const hcloudStatefulDeleteProtected: ResourceValidationPolicy = {
  name: NAME,
  description: "Servers, volumes, addresses, backup boxes, DNS zones and data volumes are delete-protected at Hetzner and in Pulumi.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Keep deleteProtection (and rebuildProtection for servers) and the `protect` option on these resources in their components (components/host/, backup/, dns/, shared/datastores.ts); check with `coop gate --stack <stack>`. Removing one is a decision of its own: `coop plan --stack <stack>` shows it, `coop propose --stack <stack> --post` puts it to the members.",
  validateResource: (args, report) => {
    const hetzner = HETZNER_STATEFUL[args.type];
    if (hetzner) {
      const props = unproxied(args.props);
      const missing = [
        ...(props.deleteProtection === true ? [] : ["Hetzner delete protection"]),
        ...(hetzner.rebuild && props.rebuildProtection !== true ? ["Hetzner rebuild protection"] : []),
        ...(args.opts.protect ? [] : ["Pulumi's protect option"]),
      ];
      if (missing.length) reportAt(report, "mandatory", `${args.name} holds state but lacks ${missing.join(", ")}`, args.urn);
      return;
    }
    if (args.type === "docker:index/volume:Volume") {
      const name = unproxied(args.props).name;
      if (typeof name === "string" && !DISPOSABLE_VOLUME.test(name) && !args.opts.protect) {
        reportAt(report, "mandatory", `${args.name} holds data but lacks Pulumi's protect option`, args.urn);
      }
    }
  },
};
