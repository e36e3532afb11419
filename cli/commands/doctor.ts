import { InputError } from "../../kernel/errors";
import { resolveStackName } from "../../stacks/load";
import { checkReadiness, renderReadiness } from "../../stacks/readiness";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { gatherReadiness, parseResolver } from "../readiness/inputs";

export const command: Command = {
  name: "doctor",
  summary:
    "before a real deploy: every value that cannot work for real (example addresses, keys, domain, placeholders, missing secrets), with its fix",
  usage: `usage: coop doctor [--stack NAME] [--online [--resolver IP]] [--json]

Checks that stacks/<stack>.yaml can work on a real Hetzner deploy, beyond what the schema can
know: SSH sources in documentation or private ranges (RFC 5737, RFC 3849, RFC 1918 …), the
example co-op's SSH keys (their private halves are published in test/fixtures/keys) in the spec
or in governance/members.yaml, the example domain or any reserved one (.example, .test,
example.com), the mail relay placeholder, admins' keys that do not parse, and secrets the spec
needs that Pulumi.<stack>.yaml does not hold (only whether each key is there and encrypted is
read; no value is ever printed). Each finding comes with its fix. The deploy workflow runs it
first, before anything is created or billed.

  --stack NAME     the stack (optional when exactly one spec exists)
  --online         also ask DNS whether the domain exists and is delegated to Hetzner DNS
                   (dns.provider: hetzner); one lookup with a time-out
  --resolver IP    with --online: ask this resolver (e.g. 9.9.9.9) instead of the system's
  --json           print {stack, ready, online, findings:[{id, level, file, line?, field?, message, fix}]}

Exit 0 when ready (warnings allowed), 1 when not ready, 2 on bad input.`,
  options: { online: { type: "boolean" }, resolver: { type: "string" } },
  async run(ctx) {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const online = ctx.values.online === true;
    const resolverText = stringFlag(ctx, "resolver");
    if (resolverText !== undefined && !online) throw new InputError("--resolver is used only with --online", `add --online`);
    const resolver = resolverText === undefined ? undefined : parseResolver(resolverText);
    const input = await gatherReadiness(ctx.root, stack, { online, dns: { resolver } });
    const findings = checkReadiness(input);
    const ready = !findings.some((f) => f.level === "error");
    if (ctx.json) ctx.io.json({ stack, ready, online, findings });
    else ctx.io.out(renderReadiness(stack, findings, !online && input.spec.host.target === "hetzner"));
    return ready ? 0 : 1;
  },
};
