/**
 * The members' record as data: every decision with what it changed in plain words (the
 * rulebook's summary, reproduced from the ledger's stored versions), the vote and the rules that
 * judged it, who signed; the emergencies awaiting ratification; the monthly cost of every
 * approved state; each stack's federation block list; whether the ledger verifies, and when.
 * `coop site` renders it as HTML, `coop site --json` prints it, `coop report` reads a year of it.
 * Everything here is asked of the rulebook; nothing is decided again.
 */
import { join } from "node:path";
import { parse } from "yaml";
import { readRegularText, SIZE_LIMITS } from "../../kernel/safe-read";
import { estimateMonthlyCost } from "../../plan/cost";
import type { Lock } from "../../plan/lock";
import { type PriceTable, readPriceTable } from "../../plan/prices";
import {
  type Decision,
  describeRequirement,
  emergencyStatuses,
  errorsOf,
  expectedSummary,
  type Finding,
  judgeSignatures,
  type L,
  type Ledger,
  loadLedger,
  normalizeText,
  pollFactsFromResponse,
  processOf,
  ratifiedIds,
  stackChain,
  stacksWithDecisions,
  verifyLedger,
} from "../../rulebook";
import { atLeastShare, blocksInWords } from "../../rulebook/summary/proposal-rules";

export const RECORD_FORMAT = 1;

export interface VoteView {
  /** The poll's address, only when it is an http(s) address (anything else is not linked). */
  readonly url: string | null;
  readonly title: string | null;
  readonly closedAt: string | null;
  readonly voters: number;
  readonly decidedVoters: number;
  /** Null when the stored answer shows no counts. */
  readonly counts: { agree: number; abstain: number; disagree: number; block: number } | null;
}

export interface DecisionView {
  readonly id: string;
  readonly kind: string;
  /** What it is about: "stack prod", "the bylaws", … */
  readonly subject: string;
  readonly stack: string | null;
  /** A heading for people: the poll's title, the meeting, the emergency's reason, or the kind. */
  readonly title: string;
  readonly decidedAt: string;
  readonly recordedAt: string;
  /** What changed, in the rulebook's plain words (Markdown as members read it in the proposal). */
  readonly summary: string;
  /** Whether `summary` is reproduced from the ledger's versions (false: the record's own text). */
  readonly summaryReproduced: boolean;
  /** The process of the bylaws that judged it, in words; null when the ledger cannot place it. */
  readonly process: string | null;
  /** The rules it was judged by, one sentence each. */
  readonly rules: string[];
  readonly signatures: { readonly required: string | null; readonly signers: string[]; readonly satisfied: boolean };
  readonly vote: VoteView | null;
  readonly meeting: { readonly meeting: string; readonly decidedOn: string; readonly minutes: string } | null;
  readonly reason: string | null;
  readonly ratifies: string[];
  /** For an emergency change: the decision that ratified it, if any, and the deadline the bylaws set. */
  readonly ratifiedBy: string | null;
  readonly deadline: string | null;
  /** The monthly cost of the stack before and after (stack decisions). */
  readonly monthlyCost: { readonly before: number | null; readonly after: number; readonly prices: string } | null;
  /** Whether the ledger finds nothing wrong with this decision. */
  readonly valid: boolean;
}

export interface PendingEmergencyView {
  readonly id: string;
  readonly stack: string;
  readonly reason: string;
  readonly recordedAt: string;
  readonly deadline: string | null;
  readonly overdue: boolean;
}

export interface CostPoint {
  readonly decision: string;
  readonly from: string;
  readonly monthly: number;
  readonly unpriced: number;
  /** The date of the price table it was priced with. */
  readonly prices: string;
}

export interface StackCosts {
  readonly stack: string;
  readonly currency: string;
  readonly vat: string;
  readonly points: CostPoint[];
}

export interface BlockView {
  readonly domain: string;
  readonly severity: string | null;
  readonly reason: string | null;
}

export interface FederationView {
  readonly stack: string;
  readonly blocks: BlockView[];
  /** Entries that could not be read (shown as a count, never echoed). */
  readonly unreadable: number;
}

export interface SiteRecord {
  readonly format: typeof RECORD_FORMAT;
  readonly coop: { readonly name: string; readonly project: string };
  /** When the ledger was verified for this record (the clock). */
  readonly asOf: string;
  readonly ledger: {
    readonly verified: boolean;
    readonly errors: number;
    readonly warnings: number;
    /** The errors' messages (the rulebook's, which never echo file content), at most 50. */
    readonly problems: string[];
  };
  readonly decisions: DecisionView[];
  readonly emergencies: PendingEmergencyView[];
  readonly costs: StackCosts[];
  readonly federation: FederationView[];
}

const SUBJECTS: Record<string, string> = {
  founding: "the founding",
  bylaws: "the bylaws",
  members: "the members list",
  code: "the code",
  standing: "a standing decision",
};

const KIND_TITLES: Record<string, string> = {
  genesis: "First approved state",
  change: "Change",
  routine: "Routine change",
  emergency: "Emergency change",
  ratification: "Ratification of emergency changes",
  founding: "Founding of the co-op's record",
  bylaws: "Change of the bylaws",
  members: "Change of the members list",
  code: "New version of the code",
  standing: "Standing decision",
};

const MAX_PROBLEMS = 50;
const MAX_BLOCKS = 10_000;
const MAX_TEXT = 2000;

function httpUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

function voteOf(d: Decision): VoteView | null {
  if (!("evidence" in d) || !d.evidence || d.evidence.type !== "loomio-poll") return null;
  const ev = d.evidence;
  let facts: ReturnType<typeof pollFactsFromResponse> | undefined;
  try {
    facts = pollFactsFromResponse(ev.answer);
  } catch {
    facts = undefined;
  }
  return {
    url: httpUrl(ev.url),
    title: facts?.title ?? null,
    closedAt: facts?.closedAt ?? null,
    voters: facts?.votersCount ?? 0,
    decidedVoters: facts?.decidedVotersCount ?? 0,
    counts: facts?.counts ? { ...facts.counts } : null,
  };
}

function rulesOf(ledger: Ledger, d: L<Decision>): { process: string | null; rules: string[]; required: string | null } {
  const p = processOf(ledger, d);
  if (!("ok" in p)) return { process: null, rules: [], required: null };
  const rules: string[] = [];
  const dec = d.decision;
  if (dec.kind === "routine") {
    const description = p.ok.version.rules.standing.classes[dec.class]?.description;
    rules.push(
      `the change is only of the class ${dec.class}${description ? ` ("${description.replace(/\.$/, "")}")` : ""}, as computed from the change itself, under the standing decision ${dec.standing}`,
    );
  }
  if (p.ok.poll) {
    const quorum = atLeastShare(p.ok.poll.quorum);
    const threshold = atLeastShare(p.ok.poll.threshold);
    rules.push(quorum ? `${quorum} of the members invited vote (abstaining counts as voting)` : "no minimum turnout");
    rules.push(threshold ? `${threshold} of the agree and disagree votes are agree` : "no share of agree votes required");
    rules.push(blocksInWords(p.ok.poll.blocksAllowed));
    rules.push(`the poll closed at most ${p.ok.poll.maxAgeDays} days before it was recorded`);
  }
  const required = describeRequirement(p.ok.requirement);
  const r = p.ok.requirement;
  const roles = r.roles.join(" or ");
  rules.push(r.count === 1 ? `one member with role ${roles} signs it` : `${r.count} different members with role ${roles} sign it`);
  return { process: p.ok.label, rules, required };
}

function titleOf(d: Decision, vote: VoteView | null): string {
  if (vote?.title) return vote.title;
  if ("evidence" in d && d.evidence?.type === "meeting") return `${KIND_TITLES[d.kind]} (${d.evidence.meeting})`;
  if (d.kind === "emergency") return `Emergency change: ${d.reason}`;
  const stack = "stack" in d ? ` on stack ${d.stack}` : "";
  return `${KIND_TITLES[d.kind] ?? d.kind}${stack}`;
}

function lockOf(ledger: Ledger, digest: string | null): Lock | null | undefined {
  if (digest === null) return null;
  try {
    return ledger.objects.get("lock", digest);
  } catch {
    return undefined;
  }
}

function pricesOf(ledger: Ledger, digest: string): PriceTable | undefined {
  try {
    return ledger.objects.get("prices", digest);
  } catch {
    return undefined;
  }
}

/**
 * Each approved state of each stack, priced: with the price table the decision's vote showed, or
 * the one of the latest vote before it in the chain, or (for states no vote priced) today's table.
 */
function costsOf(ledger: Ledger, stacks: readonly string[], working: PriceTable | undefined): StackCosts[] {
  const out: StackCosts[] = [];
  for (const stack of stacks) {
    let table = working;
    let own: PriceTable | undefined;
    const points: CostPoint[] = [];
    for (const d of stackChain(ledger, stack).order) {
      if ("prices" in d.decision && typeof d.decision.prices === "string") own = pricesOf(ledger, d.decision.prices) ?? own;
      table = own ?? working;
      const lock = lockOf(ledger, d.decision.digest);
      if (!lock || !table) continue;
      const e = estimateMonthlyCost(lock.resources, table);
      points.push({ decision: d.id, from: d.decision.recordedAt, monthly: e.total, unpriced: e.unpriced.length, prices: table.asOf });
    }
    if (points.length && table) out.push({ stack, currency: table.currency, vat: table.vat, points });
  }
  return out;
}

function text(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.slice(0, MAX_TEXT) : null;
}

/**
 * A blocked domain as Mastodon shows it to the public: with `obfuscate`, the middle half of its
 * characters (dots kept) become stars, as Mastodon's DomainBlock#public_domain does, so the
 * published record reveals no more than the co-op's own About page.
 */
export function publicDomain(domain: string, obfuscate: boolean): string {
  if (!obfuscate) return domain;
  const visible = Math.floor(domain.length / 4);
  return [...domain].map((c, i) => (i > visible && i < domain.length - visible && c !== "." ? "*" : c)).join("");
}

/**
 * The public block list of `services.mastodon.federation`, read defensively: the field may be
 * absent, a list, or an object holding one (domainBlocks, or blocks); entries are a domain or an
 * object with `domain`, `severity`, `obfuscate` and a public reason. Private comments are never
 * read, and an obfuscated domain is never kept whole.
 */
export function federationOf(spec: unknown): { blocks: BlockView[]; unreadable: number } | undefined {
  const fed = (spec as { services?: { mastodon?: { federation?: unknown } } } | null)?.services?.mastodon?.federation;
  if (fed === undefined || fed === null) return undefined;
  const list = Array.isArray(fed)
    ? fed
    : typeof fed === "object"
      ? ((fed as Record<string, unknown>).domainBlocks ?? (fed as Record<string, unknown>).blocks)
      : undefined;
  if (!Array.isArray(list)) return { blocks: [], unreadable: 1 };
  const blocks: BlockView[] = [];
  let unreadable = 0;
  for (const entry of list.slice(0, MAX_BLOCKS)) {
    if (typeof entry === "string" && text(entry)) {
      blocks.push({ domain: entry.slice(0, 253), severity: null, reason: null });
      continue;
    }
    const o = entry as Record<string, unknown> | null;
    const domain = o && typeof o === "object" ? text(o.domain) : null;
    if (!domain) {
      unreadable++;
      continue;
    }
    blocks.push({
      domain: publicDomain(domain.slice(0, 253), o?.obfuscate === true),
      // Mastodon's default, and the spec's: a block without a severity limits.
      severity: text(o?.severity) ?? "silence",
      reason: text(o?.publicComment) ?? text(o?.public_comment) ?? text(o?.publicReason) ?? text(o?.reason),
    });
  }
  unreadable += Math.max(0, list.length - MAX_BLOCKS);
  blocks.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
  return { blocks, unreadable };
}

function readSpec(root: string, stack: string): unknown {
  const file = `stacks/${stack}.yaml`;
  try {
    return parse(readRegularText(join(root, file), SIZE_LIMITS.config, file), { maxAliasCount: 100 });
  } catch {
    // A spec that is missing, too large, not a regular file or not YAML has nothing to show
    // here; `coop plan` reports why.
    return undefined;
  }
}

function coopName(specs: readonly unknown[], project: string): string {
  for (const s of specs) {
    const name = text((s as { coop?: { name?: unknown } } | null)?.coop?.name);
    if (name) return name.slice(0, 200);
  }
  return project;
}

/** The record of the repository at `root`, verified at `at`. */
export function gatherRecord(root: string, at: Date): SiteRecord {
  return recordOf(loadLedger(root), at);
}

export function recordOf(ledger: Ledger, at: Date): SiteRecord {
  const findings: Finding[] = verifyLedger(ledger, at);
  const errors = errorsOf(findings);
  const wrong = new Set(errors.map((f) => f.decision).filter((id): id is string => typeof id === "string"));
  const stacks = [...new Set([...ledger.stacks, ...stacksWithDecisions(ledger)])].sort();

  const ratifiedBy = new Map<string, string>();
  const deadlines = new Map<string, string>();
  const pending: PendingEmergencyView[] = [];
  for (const stack of stacks) {
    for (const s of emergencyStatuses(ledger, stack)) {
      const by = s.tried.find((t) => t.errors.length === 0);
      if (by) ratifiedBy.set(s.emergency.id, by.r.id);
      if (s.deadline) deadlines.set(s.emergency.id, s.deadline.toISOString());
      if (s.ratified) continue;
      pending.push({
        id: s.emergency.id,
        stack,
        reason: s.emergency.decision.reason,
        recordedAt: s.emergency.decision.recordedAt,
        deadline: s.deadline?.toISOString() ?? null,
        overdue: s.deadline !== undefined && at.getTime() > s.deadline.getTime(),
      });
    }
  }

  let working: PriceTable | undefined;
  try {
    working = readPriceTable(ledger.root);
  } catch {
    working = undefined;
  }
  const costs = costsOf(ledger, stacks, working);
  const costAt = new Map(
    costs.flatMap((c) => c.points.map((p, i) => [p.decision, { p, before: i > 0 ? c.points[i - 1] : null }] as const)),
  );

  const decisions: DecisionView[] = [...ledger.decisions]
    .sort((a, b) => a.decision.recordedAt.localeCompare(b.decision.recordedAt) || a.id.localeCompare(b.id))
    .map((loaded) => {
      const d = loaded as L<Decision>;
      const dec = d.decision;
      const vote = voteOf(dec);
      const { process, rules, required } = rulesOf(ledger, d);
      const p = processOf(ledger, d);
      const sig =
        "ok" in p
          ? judgeSignatures(d, p.ok.version.members, p.ok.requirement, p.ok.label, p.ok.mustSign)
          : { signers: [] as string[], satisfied: false };
      const reproduced = expectedSummary(ledger, d);
      const cost = costAt.get(d.id);
      const stack = "stack" in dec ? dec.stack : null;
      return {
        id: d.id,
        kind: dec.kind,
        subject: stack ? `stack ${stack}` : (SUBJECTS[dec.kind] ?? dec.kind),
        stack,
        title: titleOf(dec, vote),
        decidedAt: dec.decidedAt,
        recordedAt: dec.recordedAt,
        summary: reproduced ?? dec.summary,
        summaryReproduced: reproduced !== undefined && normalizeText(reproduced) === normalizeText(dec.summary),
        process,
        rules,
        signatures: { required, signers: [...sig.signers].sort(), satisfied: sig.satisfied },
        vote,
        meeting:
          "evidence" in dec && dec.evidence?.type === "meeting"
            ? { meeting: dec.evidence.meeting, decidedOn: dec.evidence.decidedOn, minutes: dec.evidence.minutes }
            : null,
        reason: dec.kind === "emergency" ? dec.reason : null,
        ratifies: [...ratifiedIds(dec)],
        ratifiedBy: ratifiedBy.get(d.id) ?? null,
        deadline: deadlines.get(d.id) ?? null,
        monthlyCost: cost ? { before: cost.before?.monthly ?? null, after: cost.p.monthly, prices: cost.p.prices } : null,
        valid: !wrong.has(d.id),
      };
    });

  const specs = ledger.stacks.map((s) => [s, readSpec(ledger.root, s)] as const);
  const federation: FederationView[] = [];
  for (const [stack, spec] of specs) {
    const f = federationOf(spec);
    if (f) federation.push({ stack, ...f });
  }

  return {
    format: RECORD_FORMAT,
    coop: {
      name: coopName(
        specs.map(([, s]) => s),
        ledger.project ?? "coop-infra",
      ),
      project: ledger.project ?? "coop-infra",
    },
    asOf: at.toISOString(),
    ledger: {
      verified: errors.length === 0,
      errors: errors.length,
      warnings: findings.length - errors.length,
      problems: errors.slice(0, MAX_PROBLEMS).map((f) => {
        const where = f.file ?? f.decision;
        return where ? `${where}: ${f.message}` : f.message;
      }),
    },
    decisions,
    emergencies: pending.sort((a, b) => a.recordedAt.localeCompare(b.recordedAt) || a.id.localeCompare(b.id)),
    costs,
    federation,
  };
}
