/**
 * Opening and closing the deploy job's SSH access through the Hetzner API (job-firewall.ts
 * decides what; this module makes the calls, in an order that never leaves a firewall behind
 * that the next run could not find and remove).
 */
import type { HetznerClient } from "../hetzner/client";
import { HetznerError } from "../hetzner/client";
import { type AccessTarget, appliedResources, isJobFirewall, jobFirewall, selectorResources } from "./job-firewall";
import { labelSelector } from "../hetzner/client";

export interface Timing {
  /** How long a label selector may take to reach the servers, or to let go of them. */
  readonly settleMs?: number;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ClosedFirewall {
  readonly id: number;
  readonly name: string;
}

export interface OpenedAccess {
  readonly firewall: { readonly id: number; readonly name: string };
  readonly sources: readonly string[];
  readonly selectors: readonly string[];
  /** The servers that exist now and have the firewall applied; a server this deploy creates gets it when created. */
  readonly servers: readonly string[];
  /** Leftover job firewalls of earlier runs, removed first. */
  readonly removedStale: readonly ClosedFirewall[];
}

const defaults = (t: Timing) => ({
  settleMs: t.settleMs ?? 90_000,
  pollMs: t.pollMs ?? 1000,
  sleep: t.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
});

/** Removes every job firewall of the stack: from its resources first, then deletes it. */
export async function closeAccess(client: HetznerClient, target: AccessTarget, timing: Timing = {}): Promise<ClosedFirewall[]> {
  const { settleMs, pollMs, sleep } = defaults(timing);
  const selector = labelSelector(target.jobLabels);
  const found = (await client.listFirewalls(selector)).filter((f) => isJobFirewall(f, target));
  const closed: ClosedFirewall[] = [];
  for (const fw of found) {
    const started = Date.now();
    let current = fw;
    for (;;) {
      if (current.applied_to.length > 0) {
        const actions = await client.removeFromResources(current.id, appliedResources(current.applied_to));
        await client.waitForActions(actions, `removing firewall ${current.name} from the servers`);
      }
      const result = await client.deleteFirewall(current.id);
      if (result !== "in-use") break;
      // A label selector lets go of its servers asynchronously ("up to a few seconds").
      if (Date.now() - started > settleMs)
        throw new HetznerError(
          `firewall ${current.name} (id ${current.id}) is still applied after ${Math.round(settleMs / 1000)} s, so it cannot be deleted`,
          `remove it in the Hetzner Console (Firewalls → ${current.name} → Resources, then Delete), or re-run the job`,
        );
      await sleep(pollMs);
      const again = (await client.listFirewalls(selector)).find((f) => f.id === current.id);
      if (!again) break;
      current = again;
    }
    closed.push({ id: fw.id, name: fw.name });
  }
  return closed;
}

/**
 * Removes leftovers of earlier runs, creates the job firewall, applies it to the stack's
 * servers by label selector, and waits until every existing server has it applied. On a
 * failure after the firewall exists, it removes it again before reporting the failure.
 */
export async function openAccess(
  client: HetznerClient,
  target: AccessTarget,
  sources: readonly string[],
  run: string,
  timing: Timing = {},
): Promise<OpenedAccess> {
  const { settleMs, pollMs, sleep } = defaults(timing);
  const removedStale = await closeAccess(client, target, timing);
  const spec = jobFirewall(target, sources, run);
  const { firewall, actions } = await client.createFirewall(spec);
  try {
    await client.waitForActions(actions, `creating firewall ${spec.name}`);
    const applying = await client.applyToResources(firewall.id, selectorResources(target));
    await client.waitForActions(applying, `applying firewall ${spec.name} to the servers`);
    const started = Date.now();
    for (;;) {
      const servers = (await Promise.all(target.selectors.map((s) => client.listServers(s)))).flat();
      const pending = servers.filter((s) => !s.public_net.firewalls.some((f) => f.id === firewall.id && f.status === "applied"));
      if (pending.length === 0)
        return {
          firewall: { id: firewall.id, name: firewall.name },
          sources,
          selectors: target.selectors,
          servers: servers.map((s) => s.name),
          removedStale,
        };
      if (Date.now() - started > settleMs)
        throw new HetznerError(
          `firewall ${spec.name} is not applied to ${pending.map((s) => s.name).join(", ")} after ${Math.round(settleMs / 1000)} s`,
          "re-run the job; if it happens again, look at the firewall in the Hetzner Console (Firewalls)",
        );
      await sleep(pollMs);
    }
  } catch (e) {
    try {
      await closeAccess(client, target, timing);
    } catch {
      // The failure that got us here is the one to report; the workflow's closing step and the
      // next run both remove what is left.
    }
    throw e;
  }
}
