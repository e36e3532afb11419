import { now } from "../../kernel/clock";
import {
  emergencyStatuses,
  errorsOf,
  judgeSignatures,
  type L,
  type Decision,
  governanceChain,
  loadLedger,
  processOf,
  stackChain,
  stacksWithDecisions,
  verifyLedger,
} from "../../rulebook";
import { hasAnyRole, isActive } from "../../rulebook/records/members";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { makePlan } from "../plan/planning";

interface Item {
  readonly what: string;
  readonly next: string;
}

export const command: Command = {
  name: "status",
  summary: "what's next: per stack, the approved state against the working one, unsigned decisions, emergencies and deadlines",
  usage: `usage: coop status [--stack NAME] [--json]

For each stack: whether the plan rendered now is the approved state (or what a vote must
approve), and the emergency changes awaiting ratification with their deadlines; for the
ledger: decisions still missing signatures and who can add them, and whether the working
bylaws, members list and code are the approved versions. Each item names the command to run.

  --stack NAME   only this stack (and the ledger)
  --json         print {stacks:[{stack, approved, planned, pending:[…]}], ledger:[{what, next}]}`,
  options: {},
  async run(ctx) {
    const ledger = loadLedger(ctx.root);
    const at = now();
    const only = stringFlag(ctx, "stack");
    const stacks = [...new Set([...ledger.stacks, ...stacksWithDecisions(ledger)])].filter((s) => !only || s === only).sort();
    const findings = verifyLedger(ledger, at);
    const perStack: Array<{ stack: string; approved: string | null; planned: string | null; items: Item[] }> = [];
    for (const stack of stacks) {
      const items: Item[] = [];
      const head = stackChain(ledger, stack).head;
      let planned: string | null = null;
      if (ledger.stacks.includes(stack)) {
        try {
          const plan = await makePlan(ctx.root, stack);
          planned = plan.digest;
          if (!head) items.push({ what: "no approved state yet", next: `coop propose --stack ${stack} --post` });
          else if (plan.digest !== head.decision.digest)
            items.push({
              what: `the plan differs from the approved state (${plan.changes.length} resource${plan.changes.length === 1 ? "" : "s"} change)`,
              next: `coop plan --stack ${stack}; then coop propose --stack ${stack} --post`,
            });
        } catch (e) {
          items.push({ what: `the spec does not plan: ${(e as Error).message.split("\n")[0]}`, next: `coop plan --stack ${stack}` });
        }
      }
      // A stack whose record has a problem (other than signatures still to come) is not deployable,
      // whatever its plan says; the ledger's own fix comes with it (an overdue emergency is said below).
      const problems = errorsOf(findings).filter(
        (f) => f.stack === stack && f.code !== "signatures-insufficient" && f.code !== "emergency-overdue",
      );
      if (problems.length)
        items.push({
          what: `not deployable: ${problems.length} problem${problems.length === 1 ? "" : "s"} in its record (first: ${problems[0].file ? `${problems[0].file}: ` : ""}${problems[0].message})`,
          next: problems[0].remediation,
        });
      for (const s of emergencyStatuses(ledger, stack)) {
        if (s.ratified) continue;
        const overdue = s.deadline && at > s.deadline;
        items.push({
          what: `emergency change ${s.emergency.id} (${s.emergency.decision.reason}) ${overdue ? "was not ratified by" : "awaits ratification by"} ${s.deadline?.toISOString().slice(0, 10) ?? "?"}${overdue ? ": deploys are stopped" : ""}`,
          next: s.tried.length
            ? `coop verify --stack ${stack} (its ratification ${s.tried[0].r.id} does not count yet)`
            : `coop propose --stack ${stack} --post`,
        });
      }
      perStack.push({ stack, approved: head?.decision.digest ?? null, planned, items });
    }
    const general: Item[] = [];
    for (const d of ledger.decisions) {
      const p = processOf(ledger, d as L<Decision>);
      if (!("ok" in p)) continue;
      const v = judgeSignatures(d, p.ok.version.members, p.ok.requirement, p.ok.label, p.ok.mustSign);
      if (v.satisfied) continue;
      if (v.findings.some((f) => f.code === "signature-invalid")) {
        // Changed after signing: another signature would vouch for what nobody checked.
        general.push({ what: `${d.id} was changed after it was signed (a signature does not verify)`, next: `git restore ${d.file}` });
        continue;
      }
      const can = p.ok.version.members.members.members
        .filter((m) => isActive(m) && hasAnyRole(m, p.ok.requirement.roles) && !v.signers.includes(m.name))
        .map((m) => m.name);
      general.push({
        what: `${d.id} has ${v.signers.length} of ${p.ok.requirement.count} signatures (${p.ok.requirement.roles.join(" or ")}${can.length ? `; ${can.join(", ")} can sign` : "; nobody else can sign it"})`,
        next: `coop sign ${d.id} --key ~/.ssh/id_ed25519`,
      });
    }
    const codes = new Set(errorsOf(findings).map((f) => f.code));
    if (codes.has("rules-unapproved"))
      general.push({
        what: "governance/rules.yaml differs from the approved bylaws",
        next: "coop propose --bylaws --post (or git restore governance/rules.yaml)",
      });
    if (codes.has("members-unapproved"))
      general.push({
        what: "governance/members.yaml differs from the approved members list",
        next: "coop approve --members, or coop propose --members --post for a role",
      });
    if (codes.has("code-unapproved"))
      general.push({
        what: "the code differs from the approved version",
        next: "coop propose --code (shows what changed), then coop approve --code",
      });
    const other = errorsOf(findings).filter(
      (f) =>
        ![
          "signatures-insufficient",
          "signature-invalid",
          "rules-unapproved",
          "members-unapproved",
          "code-unapproved",
          "emergency-overdue",
        ].includes(f.code),
    );
    if (other.length)
      general.push({
        what: `${other.length} other problem${other.length === 1 ? "" : "s"} in the ledger (first: ${other[0].file ? `${other[0].file}: ` : ""}${other[0].message})`,
        next: "coop verify",
      });
    // Only an empty ledger is a fresh fork's: a ledger with records but no founding lost a file.
    if (governanceChain(ledger).order.length === 0)
      general.push(
        ledger.decisions.length === 0
          ? { what: "the ledger has no founding", next: "coop init" }
          : { what: "the ledger's founding is missing", next: "git restore governance/decisions" },
      );
    if (ctx.json) {
      ctx.io.json({
        stacks: perStack.map((s) => ({ stack: s.stack, approved: s.approved, planned: s.planned, pending: s.items })),
        ledger: general,
      });
      return 0;
    }
    for (const s of perStack) {
      ctx.io.out(`stack ${s.stack}:${s.items.length === 0 ? " deployable as approved" : ""}`);
      for (const i of s.items) ctx.io.out(`  - ${i.what}\n      → ${i.next}`);
    }
    ctx.io.out(general.length ? "ledger:" : "ledger: nothing waits");
    for (const i of general) ctx.io.out(`  - ${i.what}\n      → ${i.next}`);
    return 0;
  },
};
