import { InputError } from "../../kernel/errors";
import { resolveStackName } from "../../stacks/load";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { emergencyDraft, stackState } from "../ledger/drafts";
import { recordDraft, recordedLines, signatureState, soundLedger } from "../ledger/record";

export const command: Command = {
  name: "emergency",
  summary: "record an emergency change applied before a vote (needs the bylaws' emergency signatures; to be ratified by a deadline)",
  usage: `usage: coop emergency --stack NAME --reason TEXT [--key PATH] [--json]

For when the co-op cannot wait for a vote (a security fix, a broken server): records the plan
rendered now as an emergency decision and makes it the approved lock. It counts once it has the
signatures governance/rules.yaml sets under emergency.signatures, and stays flagged until the
members ratify it; emergency.ratificationDays after it was recorded the flag becomes a violation
that stops deploys. To ratify: coop propose --stack NAME --post, then coop decide --stack NAME
--poll <key>. Until it is ratified, every proposal for the stack names it, and coop decide
refuses a poll that does not.

  --reason TEXT   why it could not wait (members will read this)
  --key PATH      also sign it with this SSH key
  --json          print {stack, decision, digest, files, signatures}`,
  options: { reason: { type: "string" }, key: { type: "string" } },
  async run(ctx) {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const reason = stringFlag(ctx, "reason")?.trim();
    if (!reason)
      throw new InputError(
        "--reason is required",
        'say why it could not wait, e.g. --reason "Mastodon security release, remote code execution"',
      );
    const ledger = soundLedger(ctx.root);
    const state = await stackState(ledger, stack);
    if (state.tip.lock && state.tip.lock.digest === state.lock.digest)
      throw new InputError(`nothing changes: the plan of '${stack}' is the approved state`);
    const r = recordDraft(ledger, emergencyDraft(ledger, state, reason), stringFlag(ctx, "key"), `an emergency change of '${stack}'`);
    const days = ledger.inForce.rules.emergency.ratificationDays;
    const by = new Date(Date.parse(r.record.recordedAt) + days * 86_400_000).toISOString();
    if (ctx.json)
      ctx.io.json({
        stack,
        passed: true,
        decision: r.record.id,
        digest: state.lock.digest,
        ratifyBy: by,
        files: r.files,
        signatures: signatureState(r),
      });
    else {
      for (const line of recordedLines(r, "emergency decision")) ctx.io.out(line);
      ctx.io.out(
        `The members must ratify it by ${by.slice(0, 10)}: coop propose --stack ${stack} --post, then coop decide --stack ${stack} --poll <key>.`,
      );
    }
    return 0;
  },
};
