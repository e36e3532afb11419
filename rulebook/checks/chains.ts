/**
 * The ledger's chains: one per stack (the decisions that move its approved state) and one for
 * governance (bylaws, members, code, standing decisions). Each decision names the one before it;
 * a chain must start once, never fork, never break, and be recorded in order.
 */
import type { Finding } from "../findings";
import type { Ledger, LoadedDecision } from "../ledger/load";
import { type GovernanceDecision, isGovernanceDecision, isStackDecision, type StackDecision } from "../records/decision";
import { base } from "./common";

export type L<D> = LoadedDecision & { readonly decision: D };

export interface Chain<D> {
  /** From the first decision to the last, when the chain is sound up to there. */
  readonly order: ReadonlyArray<L<D>>;
  readonly position: ReadonlyMap<string, number>;
  /** The last decision; undefined when the chain forks or has no start. */
  readonly head?: L<D>;
  readonly findings: Finding[];
}

const restore = (file: string) =>
  `decisions are never deleted or edited: restore the ledger from git (git restore governance/); the file in question: ${file}`;

function link<D extends { previous: string | null; recordedAt: string }>(
  all: ReadonlyArray<L<D>>,
  what: string,
  belongs: (d: LoadedDecision) => boolean,
  byId: ReadonlyMap<string, LoadedDecision>,
  extra: (d: L<D>, prev: L<D>) => Finding[],
): Chain<D> {
  const findings: Finding[] = [];
  const next = new Map<string | null, Array<L<D>>>();
  for (const d of all) {
    const list = next.get(d.decision.previous) ?? [];
    list.push(d);
    next.set(d.decision.previous, list);
    if (d.decision.previous === null) continue;
    const prev = byId.get(d.decision.previous);
    if (!prev || !belongs(prev)) {
      findings.push({
        ...base(d),
        field: "previous",
        code: "chain-broken",
        level: "error",
        message: `it follows '${d.decision.previous}', which ${prev ? `is not a decision of ${what}` : "does not exist"}`,
        remediation: restore(d.file),
      });
      continue;
    }
    const p = prev as L<D>;
    findings.push(...extra(d, p));
    if (Date.parse(d.decision.recordedAt) < Date.parse(p.decision.recordedAt)) {
      findings.push({
        ...base(d),
        field: "recordedAt",
        code: "recorded-out-of-order",
        level: "error",
        message: `it was recorded ${d.decision.recordedAt}, before '${p.id}' (recorded ${p.decision.recordedAt}), which it follows`,
        remediation: `coop writes recordedAt itself, so the record was edited: ${restore(d.file)}`,
      });
    }
  }
  for (const [prev, list] of next) {
    if (list.length > 1) {
      findings.push({
        file: list[1].file,
        decision: list[1].id,
        stack: "stack" in list[1].decision ? (list[1].decision as { stack: string }).stack : undefined,
        code: prev === null ? "chain-no-genesis" : "chain-fork",
        level: "error",
        message:
          prev === null
            ? `${what} has ${list.length} first decisions (${list.map((d) => d.id).join(", ")})`
            : `${what} forks: ${list.map((d) => d.id).join(" and ")} both follow '${prev}'`,
        remediation:
          "keep one branch: the later decision must be recorded again after the other (rerun coop decide/approve on top of the merged ledger and collect its signatures again)",
      });
    }
  }
  const roots = next.get(null) ?? [];
  if (all.length > 0 && roots.length === 0) {
    findings.push({
      ...base(all[0]),
      code: "chain-no-genesis",
      level: "error",
      message: `no decision of ${what} is its first (previous: null)`,
      remediation: restore(all[0].file),
    });
  }
  const order: Array<L<D>> = [];
  let forked = roots.length !== 1;
  if (roots.length === 1) {
    const seen = new Set<string>();
    let cur: L<D> | undefined = roots[0];
    while (cur && !seen.has(cur.id)) {
      seen.add(cur.id);
      order.push(cur);
      const after: Array<L<D>> = next.get(cur.id) ?? [];
      if (after.length > 1) forked = true;
      cur = after.length === 1 ? after[0] : undefined;
    }
    for (const d of all) {
      if (!seen.has(d.id) && !findings.some((f) => f.decision === d.id)) {
        findings.push({
          ...base(d),
          field: "previous",
          code: "chain-broken",
          level: "error",
          message: `it is not reachable from the first decision of ${what}`,
          remediation: restore(d.file),
        });
      }
    }
  }
  return { order, position: new Map(order.map((d, i) => [d.id, i])), head: forked ? undefined : order[order.length - 1], findings };
}

const stackCache = new WeakMap<Ledger, Map<string, Chain<StackDecision>>>();

export function stackChain(ledger: Ledger, stack: string): Chain<StackDecision> {
  let perLedger = stackCache.get(ledger);
  if (!perLedger) {
    perLedger = new Map();
    stackCache.set(ledger, perLedger);
  }
  const hit = perLedger.get(stack);
  if (hit) return hit;
  const mine = ledger.decisions.filter((d) => isStackDecision(d.decision) && d.decision.stack === stack) as Array<L<StackDecision>>;
  const chain = link<StackDecision>(
    mine,
    `stack '${stack}'`,
    (d) => isStackDecision(d.decision) && d.decision.stack === stack,
    ledger.byId,
    (d, prev) =>
      d.decision.replaces !== prev.decision.digest
        ? [
            {
              ...base(d),
              field: "replaces",
              code: "chain-replaces-mismatch",
              level: "error",
              message: `it replaces ${d.decision.replaces?.slice(0, 12) ?? "nothing"}…, but '${prev.id}' approved ${prev.decision.digest.slice(0, 12)}…`,
              remediation: restore(d.file),
            },
          ]
        : [],
  );
  for (const d of mine) {
    const dec = d.decision;
    if (dec.previous === null && dec.replaces !== null) {
      chain.findings.push({
        ...base(d),
        field: "replaces",
        code: "chain-replaces-mismatch",
        level: "error",
        message: "the first decision of a stack replaces nothing, but this one names a replaced state",
        remediation: restore(d.file),
      });
    }
    if (dec.kind === "ratification" && dec.digest !== dec.replaces) {
      chain.findings.push({
        ...base(d),
        field: "digest",
        code: "chain-replaces-mismatch",
        level: "error",
        message: "a ratification keeps the state it ratifies, but this one names another",
        remediation: restore(d.file),
      });
    }
    if (dec.kind !== "genesis" && dec.kind !== "change" && dec.previous === null) {
      chain.findings.push({
        ...base(d),
        field: "previous",
        code: "new-stack-needs-vote",
        level: "error",
        message: `a ${dec.kind} decision cannot be a stack's first state`,
        remediation: `a stack's first state is approved by a vote: coop propose --stack ${dec.stack} --post, then coop decide --stack ${dec.stack} --poll <key>`,
      });
    }
  }
  perLedger.set(stack, chain);
  return chain;
}

/** Every stack that has a decision, sorted. */
export function stacksWithDecisions(ledger: Ledger): string[] {
  return [...new Set(ledger.decisions.flatMap((d) => (isStackDecision(d.decision) ? [d.decision.stack] : [])))].sort();
}

const govCache = new WeakMap<Ledger, Chain<GovernanceDecision>>();

/** What each governance kind may change; the founding sets everything. */
const MAY_CHANGE: Record<Exclude<GovernanceDecision["kind"], "founding">, ReadonlyArray<"rules" | "members" | "code">> = {
  bylaws: ["rules"],
  members: ["members"],
  code: ["code"],
  standing: [],
};

export function governanceChain(ledger: Ledger): Chain<GovernanceDecision> {
  const hit = govCache.get(ledger);
  if (hit) return hit;
  const all = ledger.decisions.filter((d) => isGovernanceDecision(d.decision)) as Array<L<GovernanceDecision>>;
  const chain = link<GovernanceDecision>(
    all,
    "the governance chain",
    (d) => isGovernanceDecision(d.decision),
    ledger.byId,
    (d, prev) => {
      const out: Finding[] = [];
      if (d.decision.kind === "founding") {
        out.push({
          ...base(d),
          code: "governance-kind-mismatch",
          level: "error",
          message: "a founding starts the governance chain; this one follows another entry",
          remediation: restore(d.file),
        });
        return out;
      }
      const may = MAY_CHANGE[d.decision.kind];
      for (const what of ["rules", "members", "code"] as const) {
        const changed = d.decision[what] !== prev.decision[what];
        if (changed && !may.includes(what)) {
          out.push({
            ...base(d),
            field: what,
            code: "governance-kind-mismatch",
            level: "error",
            message: `a ${d.decision.kind} decision changes the ${what === "rules" ? "bylaws" : what === "members" ? "members list" : "code"}, which only a ${what === "rules" ? "bylaws" : what} decision may`,
            remediation: `restore the record from git (git restore ${d.file}); each change is decided by its own process`,
          });
        }
        if (!changed && may.includes(what)) {
          out.push({
            ...base(d),
            field: what,
            code: "governance-kind-mismatch",
            level: "error",
            message: `a ${d.decision.kind} decision that changes nothing`,
            remediation: `restore the record from git (git restore ${d.file})`,
          });
        }
      }
      return out;
    },
  );
  for (const d of all) {
    if (d.decision.kind !== "founding" && d.decision.previous === null) {
      chain.findings.push({
        ...base(d),
        field: "previous",
        code: "chain-no-genesis",
        level: "error",
        message: `a ${d.decision.kind} decision cannot start the governance chain; only the founding does`,
        remediation: restore(d.file),
      });
    }
  }
  govCache.set(ledger, chain);
  return chain;
}
