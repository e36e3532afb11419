/**
 * The questions the gate asks of the ledger:
 * - ledgerFindings: is the ledger itself sound and does the working tree match what it approved
 *   (every file readable — it fails closed —, the governance chain and its entries, the order of
 *   the whole ledger, the working bylaws, members list and code equal to the governance head's,
 *   nothing dated in the future);
 * - stackFindings: is this stack's lock the head of a sound chain whose state rests on valid
 *   decisions, with no emergency left unratified past its deadline (the policy pack, per stack);
 * - verifyLedger: all of it, for every stack and every decision (`coop verify`).
 */
import { dedupe, type Finding, type FindingCode } from "../findings";
import type { Ledger } from "../ledger/load";
import type { Lock } from "../../plan/lock";
import { governanceChain, type L, stackChain, stacksWithDecisions } from "./chains";
import { CLOCK_TOLERANCE_MS, voteAgain } from "./common";
import { emergencyFindings, emergencyStatuses } from "./emergencies";
import { orderFindings } from "./order";
import { recordFindings } from "./record";
import type { StackDecision } from "../records/decision";
import { RULES_FILE } from "../records/rules";
import { MEMBERS_FILE } from "../records/members";

function problemFindings(ledger: Ledger): Finding[] {
  return ledger.problems.map((p) => {
    const code: FindingCode =
      p.file === RULES_FILE
        ? "rules-missing"
        : p.file === MEMBERS_FILE
          ? "members-missing"
          : /^governance\/approved\/.+\.lock\.json$/.test(p.file)
            ? "lock-invalid"
            : "schema";
    return {
      file: p.file,
      line: p.line,
      col: p.col,
      field: p.field,
      code,
      level: "error",
      message: p.message,
      remediation: p.hint ?? `restore it from git (git restore ${p.file})`,
    };
  });
}

/** The working bylaws, members list and code against the governance chain's head. */
function workingFindings(ledger: Ledger): Finding[] {
  const gov = governanceChain(ledger);
  const head = gov.head;
  if (!head) {
    if (gov.order.length === 0 && gov.findings.length === 0) {
      return [
        {
          file: "governance/decisions",
          code: "chain-no-genesis",
          level: "error",
          message: "the ledger has no founding: nothing approves the bylaws, the members list or the code",
          remediation: "a fork starts its own ledger with coop init",
        },
      ];
    }
    return [];
  }
  const out: Finding[] = [];
  const h = head.decision;
  if (ledger.rules && ledger.rules.digest !== h.rules) {
    out.push({
      file: RULES_FILE,
      code: "rules-unapproved",
      level: "error",
      message: `governance/rules.yaml is not the version of the bylaws the ledger approved last ('${head.id}'); a change to the bylaws is decided under the bylaws in force`,
      remediation:
        "propose it: coop propose --bylaws --post, then coop decide --bylaws --poll <key>; or undo the edit (git restore governance/rules.yaml)",
    });
  }
  if (ledger.members && ledger.members.digest !== h.members) {
    out.push({
      file: MEMBERS_FILE,
      code: "members-unapproved",
      level: "error",
      message: `governance/members.yaml is not the members list the ledger approved last ('${head.id}')`,
      remediation:
        "record it: coop approve --members (routine membership changes), or coop propose --members --post for a role; or undo the edit (git restore governance/members.yaml)",
    });
  }
  const code = ledger.code();
  if ("problem" in code) {
    out.push({
      file: code.problem.file,
      code: "code-unapproved",
      level: "error",
      message: `the code cannot be read to check it: ${code.problem.message}`,
      remediation: code.problem.hint ?? "run coop from a clone of the repository",
    });
  } else if (code.digest !== h.code) {
    out.push({
      file: ".",
      code: "code-unapproved",
      level: "error",
      message: `the code (sha256 ${code.digest.slice(0, 12)}…) is not the version the ledger approved last ('${head.id}' approved ${h.code.slice(0, 12)}…)`,
      remediation:
        "coop propose --code shows what changed; the admins approve it with coop approve --code (or the members vote: coop propose --code --post); to discard local edits: git status, then git restore <file>",
    });
  }
  return out;
}

function futureFindings(ledger: Ledger, now: Date): Finding[] {
  return ledger.decisions
    .filter(
      (d) =>
        Date.parse(d.decision.recordedAt) > now.getTime() + CLOCK_TOLERANCE_MS ||
        Date.parse(d.decision.decidedAt) > now.getTime() + CLOCK_TOLERANCE_MS,
    )
    .map((d) => ({
      file: d.file,
      decision: d.id,
      stack: "stack" in d.decision ? (d.decision as { stack: string }).stack : undefined,
      field: "recordedAt",
      code: "recorded-in-future" as const,
      level: "error" as const,
      message: `it is dated ${d.decision.recordedAt}, after the verifier's clock (${now.toISOString()})`,
      remediation: `coop dates records itself: restore the ledger from git (git restore ${d.file}) and check the recording machine's clock`,
    }));
}

const ledgerCache = new WeakMap<Ledger, { at: number; findings: Finding[] }>();

/** Whether the ledger as a whole is sound and approves the working tree. */
export function ledgerFindings(ledger: Ledger, now: Date): Finding[] {
  const hit = ledgerCache.get(ledger);
  if (hit && hit.at === now.getTime()) return hit.findings;
  const gov = governanceChain(ledger);
  const findings = dedupe([
    ...problemFindings(ledger),
    ...gov.findings,
    ...gov.order.flatMap((d) => recordFindings(ledger, d)),
    ...orderFindings(ledger),
    ...workingFindings(ledger),
    ...futureFindings(ledger, now),
  ]);
  ledgerCache.set(ledger, { at: now.getTime(), findings });
  return findings;
}

/** Whether a decision approved its stack's whole state (its vote or founders saw all of it). */
function approvesWholeState(d: StackDecision): boolean {
  return d.kind === "change" || d.kind === "ratification" || d.kind === "genesis";
}

/** The chain's decisions the current state rests on: from the latest back to the last that approved the whole state. */
export function stateSegment(order: ReadonlyArray<L<StackDecision>>): Array<L<StackDecision>> {
  const out: Array<L<StackDecision>> = [];
  for (let i = order.length - 1; i >= 0; i--) {
    out.push(order[i]);
    if (approvesWholeState(order[i].decision)) break;
  }
  return out;
}

/**
 * Whether `lock` (the stack's lock file) is the head of a sound chain whose state rests on valid
 * decisions: the policy pack's question, per stack. Includes ledgerFindings: any unreadable file
 * or unapproved working file refuses every stack.
 */
export function stackFindings(ledger: Ledger, stack: string, lock: Lock | undefined, now: Date): Finding[] {
  const findings: Finding[] = [...ledgerFindings(ledger, now)];
  const file = `governance/approved/${stack}.lock.json`;
  const chain = stackChain(ledger, stack);
  findings.push(...chain.findings);
  const head = chain.head;
  if (!lock) {
    findings.push({
      file,
      stack,
      code: "lock-missing",
      level: "error",
      message: head ? `stack '${stack}' has decisions but no lock file` : `stack '${stack}' has no approved state`,
      remediation: head
        ? `restore it from git (git restore ${file})`
        : `the members approve its first state: ${voteAgain({ kind: "change", stack } as never)}`,
    });
    return dedupe(findings);
  }
  if (lock.stack !== stack || (ledger.project !== undefined && lock.project !== ledger.project)) {
    findings.push({
      file,
      stack,
      code: "lock-other-stack",
      level: "error",
      message: `the lock is for ${lock.project}/${lock.stack}, not ${ledger.project ?? "?"}/${stack}`,
      remediation: `restore it from git (git restore ${file})`,
    });
  }
  if (!head || head.decision.digest !== lock.digest) {
    const approving = chain.order.filter((d) => d.decision.digest === lock.digest);
    const elsewhere = ledger.decisions.find(
      (d) => "digest" in d.decision && d.decision.digest === lock.digest && "stack" in d.decision && d.decision.stack !== stack,
    );
    if (elsewhere) {
      findings.push({
        file,
        stack,
        decision: elsewhere.id,
        code: "lock-other-stack",
        level: "error",
        message: `the lock's state was approved by '${elsewhere.id}', a decision for another stack`,
        remediation: `restore it from git (git restore ${file})`,
      });
    } else if (approving.length > 0 && head) {
      findings.push({
        file,
        stack,
        decision: head.id,
        code: "lock-not-latest",
        level: "error",
        message: `the lock is the state '${approving[approving.length - 1].id}' approved, but the latest decision '${head.id}' approved ${head.decision.digest.slice(0, 12)}…: deploying it would roll the stack back`,
        remediation: `restore it from git (git restore ${file}); locks are written with their decision`,
      });
    } else if (head || chain.order.length === 0) {
      findings.push({
        file,
        stack,
        code: "lock-unbacked",
        level: "error",
        message: `no decision approved this lock (sha256 ${lock.digest.slice(0, 12)}…)${head ? `; the latest decision '${head.id}' approved ${head.decision.digest.slice(0, 12)}…` : ""}`,
        remediation: `restore it from git (git restore ${file}), or let the members approve the plan: coop propose --stack ${stack} --post`,
      });
    }
    return dedupe(findings);
  }
  for (const d of stateSegment(chain.order)) findings.push(...recordFindings(ledger, d));
  // An unratified emergency before the last vote is still part of the state nobody voted on.
  for (const s of emergencyStatuses(ledger, stack)) if (!s.ratified) findings.push(...recordFindings(ledger, s.emergency));
  findings.push(...emergencyFindings(ledger, stack, now));
  return dedupe(findings);
}

/** Every check over the whole ledger: `coop verify`. */
export function verifyLedger(ledger: Ledger, now: Date): Finding[] {
  const findings: Finding[] = [...ledgerFindings(ledger, now)];
  const stacks = new Set([...stacksWithDecisions(ledger), ...ledger.locks.keys()]);
  for (const stack of [...stacks].sort()) {
    const broken = ledger.problems.some((p) => p.file === `governance/approved/${stack}.lock.json`);
    if (broken) continue;
    findings.push(...stackFindings(ledger, stack, ledger.locks.get(stack)?.lock, now));
  }
  for (const d of ledger.decisions) findings.push(...recordFindings(ledger, d));
  for (const stack of ledger.stacks) {
    if (!stacks.has(stack)) {
      findings.push({
        stack,
        file: `stacks/${stack}.yaml`,
        code: "lock-missing",
        level: "warning",
        message: `stack '${stack}' has no approved state yet; it cannot be deployed`,
        remediation: `coop propose --stack ${stack} --post, then coop decide --stack ${stack} --poll <key>`,
      });
    }
  }
  return dedupe(findings).sort((a, b) => (a.level === b.level ? 0 : a.level === "error" ? -1 : 1));
}
