/**
 * What a record must pass to enter the ledger, judged by the ledger already approved and the
 * verifier's clock — the one rulebook every command asks before it writes (`decide`, `approve`,
 * `emergency`, `propose`, `sign`) and that `coop verify --approved <dir>` applies to a pull
 * request's new records. Beyond everything `recordFindings` checks at the record's place:
 * - the poll closed at most the bylaws' maxAgeDays before now (not before a date the record gives);
 * - nothing is dated in the future; a new governance entry saw the stacks' current heads;
 * - the summary members read (plain words, monthly cost) is what the ledger reproduces now, and
 *   appears verbatim in the poll; the cost came from the approved price table;
 * - a routine change's standing decision is still in force;
 * - records the approved ledger holds are unchanged (signatures may only be added).
 */
import type { Ledger, LoadedDecision } from "../ledger/load";
import { detailsText, findSummaryDigests } from "../loomio/binding";
import { MalformedPoll } from "../loomio/poll-facts";
import { dedupe, type Finding } from "../findings";
import { canonicalJson, sha256Hex } from "../../kernel/json";
import type { Decision, EmergencyDecision, GovernanceDecision, StackDecision, StandingDecision } from "../records/decision";
import { isStackDecision, ratifiedIds } from "../records/decision";
import { bylawsSummary, codeSummary, membersSummary, standingSummary } from "../summary/governance-summary";
import { stackSummary, type EmergencyState } from "../summary/stack-summary";
import { governanceChain, type L, stackChain } from "./chains";
import { orderFindings } from "./order";
import { base, CLOCK_TOLERANCE_MS, voteAgain } from "./common";
import { pollKeyAt, recordedFacts } from "./evidence";
import { recordFindings } from "./record";
import { objectFor, versionAfter } from "./versions";
import { verifyLedger } from "./verdict";
import { signaturePayload } from "../records/decision";

export interface AdmissionOptions {
  /** Digest of the working price table (plan/prices), which a new cost must come from. */
  readonly pricesDigest?: string;
  /** The ledger already approved (the base branch); records it lacks are new. */
  readonly approved?: Ledger;
}

/** A ledger with `records` added (and the versions they name staged), for judging drafts before they are written. */
export function withRecords(
  ledger: Ledger,
  records: readonly Decision[],
  objects: ReadonlyArray<{ kind: Parameters<Ledger["objects"]["withStaged"]>[0][number]["kind"]; value: unknown }> = [],
): Ledger {
  const added: LoadedDecision[] = records.map((d) => ({ id: d.id, file: `governance/decisions/${d.id}.json`, decision: d }));
  const ids = new Set(added.map((d) => d.id));
  const decisions = [...ledger.decisions.filter((d) => !ids.has(d.id)), ...added].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ...ledger, decisions, byId: new Map(decisions.map((d) => [d.id, d])), objects: ledger.objects.withStaged(objects) };
}

/** The summary a record must carry, rendered again from the stored versions (undefined when it cannot be). */
export function expectedSummary(ledger: Ledger, d: L<Decision>): string | undefined {
  const dec = d.decision;
  const get = <K extends "lock" | "rules" | "members" | "code" | "prices">(kind: K, digest: string) => {
    const r = objectFor(ledger, d, kind, digest, kind);
    return "ok" in r ? r.ok : undefined;
  };
  if (isStackDecision(dec)) {
    const s = dec as StackDecision;
    const after = get("lock", s.digest);
    const before = s.replaces ? get("lock", s.replaces) : null;
    const pricesDigest = s.kind === "change" || s.kind === "ratification" ? s.prices : undefined;
    const prices = pricesDigest ? get("prices", pricesDigest) : undefined;
    if (!after || before === undefined) return undefined;
    // Only votes show a cost: what nobody voted on carries its plain words alone.
    if (pricesDigest && !prices) return undefined;
    const emergencies: EmergencyState[] = [];
    for (const id of ratifiedIds(s)) {
      const e = ledger.byId.get(id)?.decision as EmergencyDecision | undefined;
      if (e?.kind !== "emergency") return undefined;
      const eb = e.replaces ? get("lock", e.replaces) : null;
      const ea = get("lock", e.digest);
      if (!ea || eb === undefined) return undefined;
      emergencies.push({ id, reason: e.reason, recordedAt: e.recordedAt, before: eb, after: ea });
    }
    return stackSummary({ stack: s.stack, before, after, prices, emergencies });
  }
  const g = dec as GovernanceDecision;
  if (g.kind === "founding" || g.previous === null) return undefined;
  const prev = ledger.byId.get(g.previous)?.decision as GovernanceDecision | undefined;
  if (!prev) return undefined;
  switch (g.kind) {
    case "bylaws": {
      const a = get("rules", prev.rules);
      const b = get("rules", g.rules);
      return a && b ? bylawsSummary(a, b) : undefined;
    }
    case "members": {
      const a = get("members", prev.members);
      const b = get("members", g.members);
      return a && b ? membersSummary(a, b) : undefined;
    }
    case "code": {
      const a = get("code", prev.code);
      const b = get("code", g.code);
      return b ? codeSummary(a, b) : undefined;
    }
    case "standing": {
      const v = versionAfter(ledger, g.previous);
      if (!("ok" in v)) return undefined;
      const st = g as StandingDecision;
      return standingSummary(
        st.terms,
        Object.fromEntries(Object.entries(v.ok.rules.standing.classes).map(([k, c]) => [k, c?.description ?? ""])),
      );
    }
  }
}

/** Lines of text as members see them: line endings and trailing spaces do not matter. */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .trim();
}

function summaryFindings(ledger: Ledger, d: L<Decision>): Finding[] {
  const dec = d.decision;
  if (dec.kind === "founding") return [];
  const want = expectedSummary(ledger, d);
  if (want === undefined) return []; // the missing version is reported by recordFindings
  const findings: Finding[] = [];
  const at = (message: string): Finding => ({
    ...base(d),
    field: "summary",
    code: "summary-mismatch",
    level: "error",
    message,
    remediation: `the members vote on what coop shows them: ${voteAgain(dec)}`,
  });
  if (normalizeText(dec.summary) !== normalizeText(want)) findings.push(at("its summary is not what the ledger's versions say it changes"));
  if ("evidence" in dec && dec.evidence?.type === "loomio-poll") {
    const v =
      "stack" in dec
        ? versionAfter(ledger, (dec as StackDecision).under)
        : versionAfter(ledger, (dec as GovernanceDecision).previous ?? d.id);
    const key = "ok" in v ? pollKeyAt(dec.evidence.url, v.ok.rules.loomio.url) : undefined;
    const facts = recordedFacts(dec.evidence, key);
    if (!(facts instanceof MalformedPoll)) {
      const details = normalizeText(detailsText(facts.details));
      const block = normalizeText(detailsText(want));
      if (!details.includes(block))
        findings.push(at(`poll ${facts.key} does not show members this summary (plain words and monthly cost) of what it approves`));
      else if (!findSummaryDigests(facts.details).includes(sha256Hex(normalizeText(want))))
        findings.push(at(`poll ${facts.key} carries no coop-summary line for this summary`));
    }
  }
  return findings;
}

/** The records of `candidate` that `approved` does not hold. */
export function newRecordIds(candidate: Ledger, approved: Ledger): Set<string> {
  return new Set(candidate.decisions.filter((d) => !approved.byId.has(d.id)).map((d) => d.id));
}

/** Records of the approved ledger changed or removed (signatures may only be added). */
function rewrittenFindings(candidate: Ledger, approved: Ledger): Finding[] {
  const out: Finding[] = [];
  for (const a of approved.decisions) {
    const c = candidate.byId.get(a.id);
    const restore = `the approved ledger only grows: restore it from the base branch (git restore --source=<base> ${a.file})`;
    if (!c) {
      out.push({
        file: a.file,
        decision: a.id,
        code: "ledger-rewritten",
        level: "error",
        message: "the approved ledger holds this decision, but it was removed",
        remediation: restore,
      });
      continue;
    }
    if (signaturePayload(c.decision) !== signaturePayload(a.decision)) {
      out.push({
        file: a.file,
        decision: a.id,
        code: "ledger-rewritten",
        level: "error",
        message: "the record differs from the approved ledger's",
        remediation: restore,
      });
      continue;
    }
    const kept = new Set(c.decision.signatures.map((s) => canonicalJson(s)));
    if (a.decision.signatures.some((s) => !kept.has(canonicalJson(s)))) {
      out.push({
        file: a.file,
        decision: a.id,
        code: "ledger-rewritten",
        level: "error",
        message: "a signature the approved ledger holds was removed or changed",
        remediation: restore,
      });
    }
  }
  return out;
}

/** A new governance entry saw at least the stacks' approved heads. */
function seenFindings(candidate: Ledger, approved: Ledger, d: L<GovernanceDecision>): Finding[] {
  const out: Finding[] = [];
  for (const stack of new Set(
    approved.decisions.flatMap((x) => (isStackDecision(x.decision) ? [(x.decision as StackDecision).stack] : [])),
  )) {
    const head = stackChain(approved, stack).head;
    if (!head) continue;
    const chain = stackChain(candidate, stack);
    const seen = d.decision.seen[stack];
    const pos = seen ? chain.position.get(seen) : undefined;
    const headPos = chain.position.get(head.id);
    if (headPos !== undefined && (pos === undefined || pos < headPos)) {
      out.push({
        ...base(d),
        field: `seen.${stack}`,
        code: "order-inconsistent",
        level: "error",
        message: `it was recorded on an outdated ledger: stack '${stack}' has '${head.id}', which it did not see`,
        remediation: `record it again on top of the current ledger: ${voteAgain(d.decision)}`,
      });
    }
  }
  return out;
}

/**
 * The findings of the new records of `candidate`, as they enter the ledger now. With
 * `options.approved`, also everything verify says about the whole candidate ledger that the
 * approved one did not already say, and whether the approved records are intact.
 */
export function admissionFindings(candidate: Ledger, newIds: ReadonlySet<string>, now: Date, options: AdmissionOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const order = newIds.size > 0 ? orderFindings(candidate) : [];
  for (const id of newIds) {
    const d = candidate.byId.get(id) as L<Decision> | undefined;
    if (!d) continue;
    findings.push(...recordFindings(candidate, d, now));
    findings.push(...summaryFindings(candidate, d));
    // Its place: what the chains and the ledger's order say about it (a fork, an emergency as a stack's first state…).
    const chain = isStackDecision(d.decision) ? stackChain(candidate, d.decision.stack) : governanceChain(candidate);
    findings.push(...chain.findings.filter((f) => f.decision === id), ...order.filter((f) => f.decision === id));
    const dec = d.decision;
    if (Date.parse(dec.recordedAt) > now.getTime() + CLOCK_TOLERANCE_MS) {
      findings.push({
        ...base(d),
        field: "recordedAt",
        code: "recorded-in-future",
        level: "error",
        message: `it is dated ${dec.recordedAt}, after the verifier's clock (${now.toISOString()})`,
        remediation: "coop dates records itself: check the recording machine's clock and record it again",
      });
    }
    if ((dec.kind === "change" || dec.kind === "ratification") && options.pricesDigest && dec.prices !== options.pricesDigest) {
      findings.push({
        ...base(d),
        field: "prices",
        code: "prices-mismatch",
        level: "error",
        message: "its monthly cost came from another price table than the approved one (plan/prices)",
        remediation: `propose it again with the current prices: ${voteAgain(dec)}`,
      });
    }
    if (dec.kind === "routine") {
      const s = candidate.byId.get(dec.standing)?.decision;
      if (s?.kind === "standing" && s.terms.until && now.getTime() > Date.parse(s.terms.until)) {
        findings.push({
          ...base(d),
          field: "standing",
          code: "standing-expired",
          level: "error",
          message: `standing decision '${s.id}' ended ${s.terms.until.slice(0, 10)}`,
          remediation: `this change needs a vote: ${voteAgain(dec)}`,
        });
      }
    }
    if (options.approved && "seen" in dec) findings.push(...seenFindings(candidate, options.approved, d as L<GovernanceDecision>));
  }
  if (options.approved) {
    findings.push(...rewrittenFindings(candidate, options.approved));
    // Everything else verify says about the candidate ledger (chains, order, working files, code).
    findings.push(...verifyLedger(candidate, now));
  }
  // A governance head that moved makes every decision recorded under the old one stale (order).
  void governanceChain;
  return dedupe(findings);
}
