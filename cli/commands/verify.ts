import { errorsOf, formatFinding } from "../../rulebook/findings";
import { verifyLedgerFast } from "../ledger/load";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { nowIso } from "../ledger/record";

export const command: Command = {
  name: "verify",
  summary: "verify the whole governance record offline: formats, signatures, chains, locks",
  usage: `usage: coop verify [--stack NAME] [--json]

Checks, offline and without ssh-keygen: every governance file against its format; every
signature (OpenSSH sshsig over the canonical record) by a member's key, a member with the
role the decision needs, and enough of them; every poll's recorded evidence against the rules
it was recorded under; each stack's decisions as one unbroken, unforked chain; each approved
lock equal to the state its latest decision approved; emergency changes ratified in time.
Exit 1 names each failure (file, decision, reason) and how to fix it.

  --stack NAME   report only what concerns this stack
  --json         print {passed, decisions, locks, members, findings:[{code,level,message,remediation,file?,decision?,stack?}]}`,
  options: {},
  async run(ctx) {
    const started = process.hrtime.bigint();
    const ledger = await verifyLedgerFast(ctx.root, new Date(nowIso(ctx.env)), ctx.env);
    let findings = ledger.findings;
    const stack = stringFlag(ctx, "stack");
    if (stack) findings = findings.filter((f) => f.stack === stack || (f.stack === undefined && !f.decision));
    const errors = errorsOf(findings);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (ctx.json) {
      ctx.io.json({
        passed: errors.length === 0,
        decisions: ledger.decisions,
        locks: ledger.locks,
        members: ledger.members,
        findings,
        ms: Math.round(ms),
      });
      return errors.length ? 1 : 0;
    }
    for (const f of findings) (f.level === "error" ? ctx.io.err : ctx.io.out)(formatFinding(f));
    const summary = `${ledger.decisions} decision${ledger.decisions === 1 ? "" : "s"}, ${ledger.locks.length} lock${ledger.locks.length === 1 ? "" : "s"}, ${ledger.members} member${ledger.members === 1 ? "" : "s"} (${Math.round(ms)} ms)`;
    if (errors.length) {
      ctx.io.err(`coop: verification failed: ${errors.length} problem${errors.length === 1 ? "" : "s"} in ${summary}`);
      return 1;
    }
    ctx.io.out(`ledger verified: ${summary}`);
    return 0;
  },
};
