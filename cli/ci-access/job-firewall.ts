/**
 * The deploy job's own way in: a Hetzner firewall that admits SSH from the job's address only,
 * applied by label selector to the servers of the approved lock, and removed when the job ends.
 *
 * It is not part of the governed state on purpose. The governed firewall (host.sshSources)
 * stays exactly as the members approved it; the job firewall adds one /32 (or /128) on port 22
 * for the minutes a deploy runs, for a job that already holds the read-write token — so it
 * lets no one in who could not already change everything. Pure: what to create, what to
 * select, what counts as a job firewall. The calls are in access.ts.
 */
import { hostNetwork, specialRangeOf } from "../../kernel/address-ranges";
import { InputError } from "../../kernel/errors";
import type { Lock } from "../../plan/lock";
import { type CreateFirewall, type FirewallResource, labelSelector } from "../hetzner/client";

/** Marks a firewall as a deploy job's; no governed resource carries it. */
export const JOB_LABEL = "coop-infra/ci-access";
export const JOB_LABEL_VALUE = "ssh";
/** Job firewalls' names start with this; nothing else is ever removed as a job firewall. */
export const JOB_NAME_PREFIX = "coop-ci-";

export const SERVER_TYPE = "hcloud:index/server:Server";

export interface AccessTarget {
  readonly stack: string;
  /** The approved servers' names, for messages. */
  readonly servers: readonly string[];
  /** One label selector per distinct label set of the approved servers. */
  readonly selectors: readonly string[];
  /** Labels every job firewall of this stack carries: the servers' common labels and JOB_LABEL. */
  readonly jobLabels: Readonly<Record<string, string>>;
}

/**
 * Which servers the job must reach: the Hetzner servers of the approved lock, found by their
 * labels — so the job firewall also reaches a server this very deploy creates or replaces.
 * Undefined when the stack has no Hetzner server (e.g. host.target: local).
 */
export function accessTarget(stack: string, lock: Lock): AccessTarget | undefined {
  const servers = lock.resources.filter((r) => r.type === SERVER_TYPE);
  if (servers.length === 0) return undefined;
  const labelSets = servers.map((s) => {
    const labels = s.inputs.labels;
    const entries =
      labels && typeof labels === "object" && !Array.isArray(labels)
        ? Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string" && !e[1].startsWith("<"))
        : [];
    if (entries.length === 0)
      throw new InputError(
        `the approved server ${String(s.inputs.name ?? s.name)} of stack ${stack} has no labels, so no firewall can select it`,
        "the program labels every server (coop-infra/coop, coop-infra/stack); plan and approve the stack again (`coop plan`, `coop propose`)",
      );
    return Object.fromEntries(entries);
  });
  const common = Object.fromEntries(Object.entries(labelSets[0]).filter(([k, v]) => labelSets.every((l) => l[k] === v)));
  return {
    stack,
    servers: servers.map((s) => String(s.inputs.name ?? s.name)),
    selectors: [...new Set(labelSets.map(labelSelector))],
    jobLabels: { ...common, [JOB_LABEL]: JOB_LABEL_VALUE },
  };
}

/** The job's address as a single-address network; refuses what is never a runner's public address. */
export function sourceNetwork(address: string): string {
  const text = address.trim();
  const network = hostNetwork(text);
  if (!network)
    throw new InputError(
      `--source '${address}' is not an IP address`,
      'give the job\'s public address, e.g. --source "$(curl -fsS4 https://api.ipify.org)"',
    );
  const special = specialRangeOf(network);
  if (special)
    throw new InputError(
      `--source ${text} is in ${special.purpose} (${special.source}), not a public address the server would see`,
      "give the job's public address as the internet sees it, e.g. from `curl -fsS4 https://api.ipify.org`",
    );
  return network;
}

const RUN_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/** A run identifier safe in a firewall's name, e.g. GitHub's `<run id>-<attempt>`. */
export function checkRunId(run: string): string {
  if (!RUN_RE.test(run))
    throw new InputError(
      `--run '${run}' is not a run identifier`,
      "letters, digits, '.', '_' and '-', at most 40, e.g. --run \"$GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT\"",
    );
  return run;
}

/** The job firewall: SSH (tcp/22) from the given networks only. */
export function jobFirewall(target: AccessTarget, sources: readonly string[], run: string): CreateFirewall {
  const name = `${JOB_NAME_PREFIX}${target.stack}-${run}`.slice(0, 128);
  return {
    name,
    labels: target.jobLabels,
    rules: [
      {
        direction: "in",
        protocol: "tcp",
        port: "22",
        source_ips: [...sources],
        description: `SSH for deploy job ${run}; removed when the job ends`.slice(0, 255),
      },
    ],
  };
}

export function selectorResources(target: AccessTarget): FirewallResource[] {
  return target.selectors.map((selector) => ({ type: "label_selector", label_selector: { selector } }));
}

/** Whether a listed firewall is one of this stack's job firewalls (never the governed one). */
export function isJobFirewall(fw: { name: string; labels: Readonly<Record<string, string>> }, target: AccessTarget): boolean {
  return fw.name.startsWith(JOB_NAME_PREFIX) && Object.entries(target.jobLabels).every(([k, v]) => fw.labels[k] === v);
}

/** What to remove a firewall from: its applied_to entries, without the read-only resource lists. */
export function appliedResources(applied: readonly FirewallResource[]): FirewallResource[] {
  return applied.map((a) =>
    a.type === "server" && a.server
      ? { type: "server", server: { id: a.server.id } }
      : { type: "label_selector", label_selector: { selector: a.label_selector?.selector ?? "" } },
  );
}
