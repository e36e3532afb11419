/**
 * Wherever the co-op keeps state on a Hetzner server, the stack backs it up off the server.
 * A stack policy: it needs to see the whole stack (the engine runs it at the end of a preview).
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { reportAt } from "./support/report";
import { parseUrn } from "./support/stack-context";

export const NAME = "stack-backups-enabled";

export const stackBackupsEnabled: StackValidationPolicy = {
  name: NAME,
  description: "A stack that keeps data on a Hetzner server backs it up to a Storage Box.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Set backups.enabled: true in stacks/<stack>.yaml (the default), then `coop plan` and `coop propose`.",
  validateStack: (args, report) => {
    const stacks = new Map<string, { server: boolean; data: boolean; backup: boolean; box: boolean }>();
    for (const r of args.resources) {
      const { stack } = parseUrn(r.urn);
      const s = stacks.get(stack) ?? { server: false, data: false, backup: false, box: false };
      if (r.type === "hcloud:index/server:Server") s.server = true;
      if (r.type === "docker:index/volume:Volume") s.data = true;
      if (r.type === "coop:backup:Backup") s.backup = true;
      if (r.type === "hcloud:index/storageBox:StorageBox" && r.parent?.type === "coop:backup:Backup") s.box = true;
      stacks.set(stack, s);
    }
    for (const [stack, s] of stacks) {
      if (s.server && s.data && !(s.backup && s.box)) {
        reportAt(report, "mandatory", `stack '${stack}' keeps data on a Hetzner server but declares no backup to a Storage Box`);
      }
    }
  },
};
