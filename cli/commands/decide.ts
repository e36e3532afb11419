import { now } from "../../kernel/clock";
import { InputError } from "../../kernel/errors";
import { findMajorLines, type Evidence, type StandingTerms } from "../../rulebook";
import { detailsText, ratifiedNamesFor } from "../../rulebook/loomio/binding";
import { resolveStackName } from "../../stacks/load";
import type { Command, Context } from "../context";
import { stringFlag } from "../context";
import { governanceDraft, stackState, standingDraft, voteDraft, type Subject } from "../ledger/drafts";
import { type Draft, recordDraft, recordedLines, signatureState, type SoundLedger, soundLedger } from "../ledger/record";
import { fetchPollEvidence } from "../loomio/poll-evidence";
import { standingTermsFromFlags, subjectOf } from "./subjects";

export const command: Command = {
  name: "decide",
  summary: "record a closed Loomio poll (or a meeting's decision) that approves a change; writes the decision (and the new lock)",
  usage: `usage: coop decide [--stack NAME | --bylaws | --members | --code | --standing --classes LIST …]
                   (--poll KEY_OR_URL | --manual --meeting TEXT --minutes PATH --decided-on DATE)
                   [--key PATH] [--json]

Fetches the poll from the co-op's Loomio instance (governance/rules.yaml loomio.url; the API key
in LOOMIO_API_KEY goes nowhere else) and asks the rulebook whether it approves what changed:
the stack's plan rendered now (--stack), the working bylaws (--bylaws, judged by the previous
bylaws' rules for amending them), members list (--members, when it grants a role that can
sign) or code (--code, when the bylaws reserve its paths for a vote), or a standing decision.
The poll must be closed, in the co-op's group and open to all of it, offer exactly agree,
abstain, disagree and block, reach quorum and threshold without blocks, have closed at most
polls.maxAgeDays ago, and show the members the summary coop propose wrote (plain words, monthly
cost) with its binding lines. Only then does it write governance/decisions/<id>.json, the
versions it names (governance/objects/) and, for a stack, the new lock. Otherwise it names each
failed rule with the code coop verify would report, and writes nothing (exit 1).

While a stack holds emergency changes awaiting ratification, the poll must name every one of
them (the coop-ratifies line coop propose writes).

A decision counts once it has the signatures the bylaws require: add them with coop sign.

  --poll KEY_OR_URL   the poll's key or its address at the co-op's instance
  --manual            a decision taken at a meeting (a general assembly): its signatures and
                      minutes are the evidence
  --meeting TEXT      with --manual: which meeting decided
  --minutes PATH      with --manual: the minutes, committed in the repository (e.g. docs/minutes/…)
  --decided-on DATE   with --manual: the meeting's date (YYYY-MM-DD)
  --major "F A -> B"  with --manual: a major upgrade the meeting approved, e.g. "mastodon 4 -> 5"
  --ratifies IDS      with --manual: the emergency changes the meeting ratified (comma-separated)
  --key PATH          also sign the decision with this SSH key
  --json              print {subject, decision, kind, files, signatures}`,
  options: {
    poll: { type: "string" },
    manual: { type: "boolean" },
    meeting: { type: "string" },
    minutes: { type: "string" },
    "decided-on": { type: "string" },
    key: { type: "string" },
    bylaws: { type: "boolean" },
    members: { type: "boolean" },
    code: { type: "boolean" },
    standing: { type: "boolean" },
    classes: { type: "string" },
    stacks: { type: "string" },
    until: { type: "string" },
    major: { type: "string", multiple: true },
    ratifies: { type: "string" },
  },
  async run(ctx) {
    const poll = stringFlag(ctx, "poll");
    const manual = ctx.values.manual === true;
    if (!!poll === manual)
      throw new InputError(
        poll
          ? "--poll and --manual exclude each other"
          : "say how the decision was taken: --poll KEY_OR_URL, or --manual --meeting … --minutes … --decided-on …",
        "see coop decide --help",
      );
    const subject = subjectOf(ctx);
    const ledger = soundLedger(ctx.root);
    // Flags are checked before anything slow (rendering the plan, fetching the poll).
    const meeting = manual ? meetingEvidence(ctx) : undefined;
    const terms = subject === "standing" ? standingTermsFromFlags(ctx, ledger) : undefined;
    const stack = subject === "stack" ? resolveStackName(ctx.root, stringFlag(ctx, "stack")) : undefined;
    const state = stack ? await stackState(ledger, stack) : undefined;
    let evidence: Evidence;
    let decidedAt: string;
    let named: string[] = [];
    if (meeting) {
      evidence = meeting.evidence;
      decidedAt = meeting.decidedAt;
      named = meeting.ratifies;
    } else {
      const fetched = await fetchPollEvidence(ctx, ledger.inForce.rules, poll!);
      evidence = fetched.evidence;
      // An open poll is refused by the rulebook; its closing time is not known yet.
      decidedAt = fetched.facts.closedAt ?? now().toISOString();
      if (stack) named = ratifiedNamesFor(fetched.facts.details, stack);
      void detailsText;
    }
    const draft = draftFor(ledger, subject, { state, evidence, decidedAt, named, terms });
    const what = stack ? `a decision on stack '${stack}'` : `a ${subject} decision`;
    const r = recordDraft(ledger, draft, stringFlag(ctx, "key"), what);
    if (ctx.json)
      ctx.io.json({
        subject: stack ?? subject,
        passed: true,
        decision: r.record.id,
        kind: r.record.kind,
        files: r.files,
        signatures: signatureState(r),
      });
    else for (const line of recordedLines(r, `${r.record.kind} decision`)) ctx.io.out(line);
    return 0;
  },
};

function draftFor(
  ledger: SoundLedger,
  subject: Subject | "stack" | "standing",
  a: { state?: Awaited<ReturnType<typeof stackState>>; evidence: Evidence; decidedAt: string; named: string[]; terms?: StandingTerms },
): Draft {
  if (subject === "stack") return voteDraft(ledger, a.state!, a.evidence, a.decidedAt, a.named);
  if (subject === "standing") return standingDraft(ledger, a.terms!, a.evidence, a.decidedAt);
  return governanceDraft(ledger, subject, a.evidence, a.decidedAt);
}

function meetingEvidence(ctx: Context): { evidence: Evidence; decidedAt: string; ratifies: string[] } {
  const meeting = stringFlag(ctx, "meeting");
  const minutes = stringFlag(ctx, "minutes");
  const on = stringFlag(ctx, "decided-on");
  if (!meeting || !minutes || !on)
    throw new InputError(
      "--manual needs --meeting (which meeting decided), --minutes (the minutes, committed in the repository) and --decided-on (the meeting's date)",
      'e.g. --meeting "General assembly 2026-03-01" --minutes docs/minutes/2026-03-01.md --decided-on 2026-03-01',
    );
  if (!/^\d{4}-\d{2}-\d{2}$/.test(on) || Number.isNaN(Date.parse(`${on}T00:00:00Z`)))
    throw new InputError(`--decided-on must be a date such as 2026-03-01, got '${on}'`);
  if (Date.parse(`${on}T00:00:00Z`) > now().getTime())
    throw new InputError("--decided-on is in the future", "give the date the meeting took place");
  const majors = findMajorLines(((ctx.values.major as string[] | undefined) ?? []).map((m) => `coop-major: ${m}`).join("\n"));
  const ratifies = (stringFlag(ctx, "ratifies") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    evidence: { type: "meeting", meeting, decidedOn: on, minutes, ...(majors.length ? { majors } : {}) },
    decidedAt: `${on}T00:00:00.000Z`,
    ratifies,
  };
}
