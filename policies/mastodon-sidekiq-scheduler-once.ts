/**
 * Mastodon's scheduler queue runs its cron jobs (trends, cleanups, the media cache's vacuum):
 * Mastodon's scaling guide says it must never be processed by more than one Sidekiq process,
 * and without one they never run. With Sidekiq split over hosts by queue (stacks/growth.ts
 * placement) the stack must hold exactly one. A stack policy: only the whole stack shows it.
 *
 * A Sidekiq without `-q` processes every queue of config/sidekiq.yml, the scheduler included.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { parseImageRef } from "../kernel/image-ref";
import { isUnknown } from "../plan/view";
import { reportAt, unproxied } from "./support/report";
import { parseUrn } from "./support/stack-context";

export const NAME = "mastodon-sidekiq-scheduler-once";

const MASTODON = /(^|\/)mastodon\/mastodon$/;

/** Whether a container's command is Sidekiq, and the queues it processes ("all" without -q). */
export function sidekiqQueues(props: Record<string, unknown>): string[] | "all" | undefined {
  const image = props.image;
  const ref = typeof image === "string" && !isUnknown(image) ? parseImageRef(image) : undefined;
  if (!ref || !MASTODON.test(ref.repository)) return undefined;
  const command = props.command;
  if (!Array.isArray(command) || !command.some((c) => c === "sidekiq")) return undefined;
  const queues: string[] = [];
  command.forEach((c, i) => {
    if ((c === "-q" || c === "--queue") && typeof command[i + 1] === "string") queues.push(String(command[i + 1]).split(",")[0]);
    else if (typeof c === "string" && /^--queue=/.test(c)) queues.push(c.slice("--queue=".length).split(",")[0]);
  });
  return queues.length > 0 ? queues : "all";
}

export const mastodonSidekiqSchedulerOnce: StackValidationPolicy = {
  name: NAME,
  description: "Exactly one Sidekiq process of a Mastodon stack processes the scheduler queue.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "List 'scheduler' under the queues of exactly one worker host in placement.hosts of stacks/<stack>.yaml (or of none: the main host's Sidekiq then takes it), check with `coop gate --stack <stack>`, then `coop propose --stack <stack> --post`.",
  validateStack: (args, report) => {
    const perStack = new Map<string, { sidekiqs: number; schedulers: string[] }>();
    for (const r of args.resources) {
      if (r.type !== "docker:index/container:Container") continue;
      const queues = sidekiqQueues(unproxied(r.props));
      if (queues === undefined) continue;
      const { stack } = parseUrn(r.urn);
      const s = perStack.get(stack) ?? { sidekiqs: 0, schedulers: [] };
      s.sidekiqs++;
      if (queues === "all" || queues.includes("scheduler")) s.schedulers.push(r.name);
      perStack.set(stack, s);
    }
    for (const [stack, s] of perStack) {
      if (s.schedulers.length > 1)
        reportAt(
          report,
          "mandatory",
          `stack '${stack}' processes Mastodon's scheduler queue in ${s.schedulers.length} Sidekiq containers (${s.schedulers.join(", ")}): its cron jobs would run more than once`,
        );
      else if (s.schedulers.length === 0)
        reportAt(
          report,
          "mandatory",
          `stack '${stack}' runs Sidekiq but no container processes the scheduler queue: Mastodon's cron jobs would never run`,
        );
    }
  },
};
