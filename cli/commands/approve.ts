import { CheckFailed, InputError } from "../../kernel/errors";
import { checkChangeClass, type ChangeClass, changeRecordsOf, changesBetween } from "../../rulebook";
import { resolveStackName } from "../../stacks/load";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { governanceDraft, routineDraft, stackState } from "../ledger/drafts";
import { recordDraft, recordedLines, signatureState, soundLedger } from "../ledger/record";
import { subjectOf } from "./subjects";

export const command: Command = {
  name: "approve",
  summary:
    "record what needs signatures but no vote: a routine change under a standing decision, routine membership changes, a new version of the code",
  usage: `usage: coop approve --stack NAME --standing ID [--key PATH] [--json]
       coop approve --members [--key PATH] [--json]
       coop approve --code [--key PATH] [--json]

--stack … --standing ID: records a routine decision. The change from the approved state, as
coop recomputes it, must fall entirely into a class that standing decision ID pre-approved for
this stack (e.g. image-patch: only pinned images, each moving up by a patch version). It counts
once it has the signatures governance/rules.yaml sets for that class.

--members: records the working governance/members.yaml as the new members list, when the change
is routine membership under the bylaws in force: members join without a role that can sign,
members leave, a member replaces their own key (they sign it with their previous key). Granting
or taking a role that can sign needs a vote: coop propose --members --post.

--code: records the working tree's code as the approved code (everything except stack specs and
the ledger), with the signatures governance/rules.yaml sets under code.signatures. When the change
touches paths the bylaws reserve for a vote (code.voteWhenChanged), the members decide it:
coop propose --code --post.

  --standing ID   the standing decision (coop decide --standing … recorded it)
  --key PATH      also sign it with this SSH key
  --json          print {subject, decision, files, signatures}`,
  options: { standing: { type: "string" }, key: { type: "string" }, members: { type: "boolean" }, code: { type: "boolean" } },
  async run(ctx) {
    const subject = subjectOf(ctx, ["stack", "members", "code"]);
    const ledger = soundLedger(ctx.root);
    const key = stringFlag(ctx, "key");
    if (subject !== "stack") {
      if (stringFlag(ctx, "standing")) throw new InputError(`--standing belongs to routine changes of a stack, not to --${subject}`);
      const r = recordDraft(
        ledger,
        governanceDraft(ledger, subject as "members" | "code", undefined, undefined),
        key,
        `the ${subject} change`,
      );
      if (ctx.json) ctx.io.json({ subject, passed: true, decision: r.record.id, files: r.files, signatures: signatureState(r) });
      else for (const line of recordedLines(r, `${subject} decision`)) ctx.io.out(line);
      return 0;
    }
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const standingId = stringFlag(ctx, "standing");
    if (!standingId)
      throw new InputError(
        "--standing is required",
        "name the standing decision that pre-approved this class of change, e.g. --standing standing-0001-image-patch",
      );
    const standing = ledger.byId.get(standingId)?.decision;
    if (standing?.kind !== "standing")
      throw new InputError(
        `there is no standing decision '${standingId}'`,
        "coop verify lists the decisions; standing decisions are recorded with coop decide --standing",
      );
    const state = await stackState(ledger, stack);
    if (!state.tip.lock)
      throw new CheckFailed(
        `stack '${stack}' has no approved state yet; its first state needs a vote`,
        `coop propose --stack ${stack} --post`,
      );
    // The class is the rulebook's to judge; the command only picks which of the standing classes to claim.
    const changes = changeRecordsOf(changesBetween(state.tip.lock, state.lock));
    const cls = standing.terms.classes.find((c) => checkChangeClass(c as ChangeClass, changes).ok) ?? standing.terms.classes[0];
    const r = recordDraft(
      ledger,
      routineDraft(ledger, state, standingId, cls as "image-patch"),
      key,
      `a routine change of '${stack}' under ${standingId}`,
    );
    if (ctx.json)
      ctx.io.json({ subject: stack, passed: true, decision: r.record.id, class: cls, files: r.files, signatures: signatureState(r) });
    else for (const line of recordedLines(r, `routine decision (${cls}, under ${standingId})`)) ctx.io.out(line);
    return 0;
  },
};
