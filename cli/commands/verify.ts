import { now } from "../../kernel/clock";
import { InputError } from "../../kernel/errors";
import {
  admissionFindings,
  type Decision,
  type L,
  processOf,
  dedupe,
  errorsOf,
  type Finding,
  formatFinding,
  newRecordIds,
  stacksWithDecisions,
  verifyLedger,
} from "../../rulebook";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { approvedLedger } from "../ledger/approved";
import { loadLedgerFast } from "../ledger/load";
import { onlineFindings } from "../ledger/online";
import { workingPricesDigest } from "../ledger/record";

export const command: Command = {
  name: "verify",
  summary:
    "verify the whole governance record offline (and Loomio's polls with --online); judge a tree against the approved ledger with --approved",
  usage: `usage: coop verify [--stack NAME] [--approved DIR_OR_REVISION] [--online] [--json]

Checks, offline and without ssh-keygen, and failing closed on any file it cannot read:
- every file of the ledger against its format, and every stored version against its digest;
- the chains (one per stack, one for the bylaws, members and code) and the order of the whole
  ledger; each decision's signatures by the members and under the bylaws in force at its place;
- every poll's facts, recomputed from the Loomio answer kept in the record; every routine or
  emergency change, recomputed from the two approved states;
- the working governance/rules.yaml, members.yaml and the code equal to what the ledger approved
  last; each stack's lock equal to its latest decision's state; emergencies ratified in time.

  --stack NAME        report only what concerns this stack (it must exist)
  --approved DIR|REV  the ledger already approved (the base branch's checkout, or a git revision
                      such as origin/main): records it lacks are judged as they enter now (the
                      poll's age by this machine's clock, the summary members read, the price
                      table), and its records must be unchanged. CI runs the base branch's coop
                      with --tree <pull request> --approved .
  --online            also fetch every recorded poll again from the co-op's Loomio instance
                      (LOOMIO_API_KEY) and report any that changed since it was recorded
  --json              print {passed, decisions, stacks, new, polls?, findings:[…]}`,
  options: { approved: { type: "string" }, online: { type: "boolean" } },
  async run(ctx) {
    const started = process.hrtime.bigint();
    const ledger = await loadLedgerFast(ctx.root, ctx.env);
    const at = now();
    const stack = stringFlag(ctx, "stack");
    if (stack && !ledger.stacks.includes(stack) && !stacksWithDecisions(ledger).includes(stack)) {
      throw new InputError(
        `there is no stack '${stack}' (no spec and no decision)`,
        `stacks: ${[...new Set([...ledger.stacks, ...stacksWithDecisions(ledger)])].join(", ") || "none"}`,
      );
    }
    let findings: Finding[] = verifyLedger(ledger, at);
    let fresh = 0;
    const ref = stringFlag(ctx, "approved");
    if (ref) {
      const approved = approvedLedger(ctx.root, ref);
      try {
        const ids = newRecordIds(ledger, approved.ledger);
        fresh = ids.size;
        findings = [
          ...admissionFindings(ledger, ids, at, { approved: approved.ledger, pricesDigest: workingPricesDigest(ctx.root) }),
          ...findings,
        ];
      } finally {
        approved.cleanup();
      }
    }
    let polls: number | undefined;
    if (ctx.values.online) {
      const online = await onlineFindings(ctx, ledger);
      findings.push(...online.findings);
      polls = online.polls;
    }
    findings = dedupe(findings).sort((a, b) => (a.level === b.level ? 0 : a.level === "error" ? -1 : 1));
    if (stack) findings = findings.filter((f) => f.stack === stack || f.stack === undefined);
    const errors = errorsOf(findings);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const stacks = stacksWithDecisions(ledger);
    if (ctx.json) {
      ctx.io.json({
        passed: errors.length === 0,
        decisions: ledger.decisions.length,
        stacks,
        new: fresh,
        ...(polls !== undefined ? { polls } : {}),
        members: ledger.members?.value.members.length ?? 0,
        findings,
        ms: Math.round(ms),
      });
      return errors.length ? 1 : 0;
    }
    for (const f of findings) (f.level === "error" ? ctx.io.err : ctx.io.out)(formatFinding(f));
    const summary = `${ledger.decisions.length} decision${ledger.decisions.length === 1 ? "" : "s"}${ref ? ` (${fresh} new)` : ""}, ${stacks.length} stack${stacks.length === 1 ? "" : "s"}${polls !== undefined ? `, ${polls} poll${polls === 1 ? "" : "s"} fetched again` : ""} (${Math.round(ms)} ms)`;
    if (errors.length) {
      ctx.io.err(`coop: verification failed: ${errors.length} problem${errors.length === 1 ? "" : "s"} in ${summary}`);
      return 1;
    }
    // The founding and the first states are one founder's by design; the note is about decisions taken since.
    const alone = ledger.decisions.filter((d) => {
      if (d.decision.kind === "founding" || d.decision.kind === "genesis") return false;
      const p = processOf(ledger, d as L<Decision>);
      return "ok" in p && p.ok.requirement.count === 1;
    });
    if (alone.length)
      ctx.io.out(
        `note: ${alone.length} of ${ledger.decisions.length} decisions since the founding count with one member's signature (the bylaws allow it): for each, one person vouches that it was recorded as decided (${alone
          .slice(0, 5)
          .map((d) => d.id)
          .join(", ")}${alone.length > 5 ? ", …" : ""}).`,
      );
    ctx.io.out(`ledger verified: ${summary}`);
    return 0;
  },
};
