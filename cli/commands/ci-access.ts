import { InputError } from "../../kernel/errors";
import { lockFile, readLock } from "../../plan/lock";
import { resolveStackName } from "../../stacks/load";
import { closeAccess, openAccess } from "../ci-access/access";
import { accessTarget, checkRunId, sourceNetwork } from "../ci-access/job-firewall";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { HetznerClient, hetznerConfigFromEnv } from "../hetzner/client";

export const command: Command = {
  name: "ci-access",
  summary: "open SSH to the stack's servers for this deploy job only (a job firewall), and close it again",
  usage: `usage: coop ci-access open --stack NAME --source ADDRESS [--source ADDRESS] [--run ID] [--json]
       coop ci-access close --stack NAME [--json]

The deploy job runs on runners whose addresses change, while the governed firewall admits SSH
only from host.sshSources. \`open\` creates a separate firewall that admits SSH (tcp/22) from
the job's own address only, and applies it by label selector to the servers of the approved
lock (governance/approved/<stack>.lock.json) — also to a server this deploy creates. It first
removes any job firewall an earlier run left behind. \`close\` removes every job firewall of
the stack. The governed firewall is never touched. The deploy workflow opens before
\`pulumi preview\` and always closes at the end, also after a failure or a cancel.

Needs HCLOUD_TOKEN (a Read & Write API token of the project); HCLOUD_ENDPOINT as for the
hcloud provider.

  --stack NAME       the stack (optional when exactly one spec exists)
  --source ADDRESS   open: the job's public address (e.g. from \`curl -fsS4 https://api.ipify.org\`);
                     repeat for its IPv6 address
  --run ID           open: names the firewall (default: $GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT)
  --json             print {stack, action, firewall?, sources?, selectors?, servers?, removed}

Exit 0 when done (also when there is nothing to open or close), 1 when Hetzner refused or did
not answer, 2 on bad input.`,
  options: { source: { type: "string", multiple: true }, run: { type: "string" } },
  positionals: true,
  async run(ctx) {
    const [action, ...extra] = ctx.positionals;
    if (action !== "open" && action !== "close")
      throw new InputError(
        action ? `coop ci-access takes 'open' or 'close', not '${action}'` : "coop ci-access needs 'open' or 'close'",
        "e.g. coop ci-access open --stack prod --source 20.1.2.3",
      );
    if (extra.length > 0) throw new InputError(`coop ci-access ${action} takes no argument '${extra[0]}'`);
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const rawSources = (ctx.values.source as string[] | undefined) ?? [];
    if (action === "close" && (rawSources.length > 0 || ctx.values.run !== undefined))
      throw new InputError("--source and --run are for `open`", `coop ci-access close --stack ${stack}`);
    if (action === "open" && rawSources.length === 0)
      throw new InputError("--source is needed: the job's public address", 'e.g. --source "$(curl -fsS4 https://api.ipify.org)"');
    const sources = [...new Set(rawSources.map(sourceNetwork))];
    const run = checkRunId(stringFlag(ctx, "run") ?? defaultRunId(ctx.env));

    const lock = readLock(ctx.root, stack);
    if (!lock)
      throw new InputError(
        `stack ${stack} has no approved state (${lockFile(stack)})`,
        `approve one first: coop propose --stack ${stack} --post`,
      );
    const target = accessTarget(stack, lock);
    if (!target) {
      if (ctx.json) ctx.io.json({ stack, action, removed: [], servers: [] });
      else ctx.io.out(`Stack ${stack} has no Hetzner server in its approved state: nothing to ${action}.`);
      return 0;
    }
    const client = new HetznerClient(hetznerConfigFromEnv(ctx.env), { log: (m) => ctx.io.err(`coop: ${m}`) });

    if (action === "close") {
      const removed = await closeAccess(client, target);
      if (ctx.json) ctx.io.json({ stack, action, removed });
      else
        ctx.io.out(
          removed.length === 0
            ? `No job firewall of stack ${stack} is left; SSH is open only to host.sshSources.`
            : `Removed ${removed.map((f) => `${f.name} (id ${f.id})`).join(", ")}; SSH is open only to host.sshSources again.`,
        );
      return 0;
    }

    const opened = await openAccess(client, target, sources, run);
    if (ctx.json) {
      ctx.io.json({
        stack,
        action,
        firewall: opened.firewall,
        sources: opened.sources,
        selectors: opened.selectors,
        servers: opened.servers,
        removed: opened.removedStale,
      });
      return 0;
    }
    if (opened.removedStale.length > 0)
      ctx.io.out(`Removed leftovers of earlier runs: ${opened.removedStale.map((f) => `${f.name} (id ${f.id})`).join(", ")}.`);
    ctx.io.out(
      [
        `SSH (tcp/22) is open for ${opened.sources.join(", ")} through job firewall ${opened.firewall.name} (id ${opened.firewall.id}),`,
        `applied to the servers labelled ${opened.selectors.join(" / ")}: ${opened.servers.length ? opened.servers.join(", ") : `none yet (${target.servers.join(", ")} gets it when this deploy creates it)`}.`,
        `It is not part of the approved state; \`coop ci-access close --stack ${stack}\` removes it (the deploy workflow always does).`,
      ].join("\n"),
    );
    return 0;
  },
};

function defaultRunId(env: NodeJS.ProcessEnv): string {
  const id = env.GITHUB_RUN_ID?.trim();
  if (id) return `${id}-${env.GITHUB_RUN_ATTEMPT?.trim() || "1"}`;
  return `local-${Math.floor(Date.now() / 1000)}`;
}
