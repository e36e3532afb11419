/**
 * The proposal members vote on, in Markdown: what changes per service in plain words, the
 * monthly cost before and after, how to vote, the technical details for the curious, and the
 * binding line that ties the vote to exactly this plan.
 */
import type { Change } from "../../plan/diff";
import { formatDelta, formatEuros } from "../../plan/cost";
import { planBindingLine, ratifiesBindingLine, standingBindingLine, type StandingTerms } from "../../rulebook/loomio/binding";
import type { EmergencySummary } from "../ledger/emergency-summary";
import { majorLine, majorSteps, requiredMajorLines, type MajorStep } from "../../rulebook/changes/majors";
import { changeRecords } from "../ledger/change-records";
import { describeChanges, joinWords, technicalLines } from "./plain-words";
import { blocksInWords, passesInWords, type VotingRules } from "./proposal-rules";

export interface CostSummary {
  /** Null when there is no approved state yet. */
  readonly before: number | null;
  readonly after: number;
  readonly asOf: string;
  readonly vat: string;
  readonly unpriced: number;
  readonly stale?: string;
}

export interface ProposalInput {
  readonly stack: string;
  readonly coopName: string;
  readonly digest: string;
  readonly changes: readonly Change[];
  /** What the stack runs, e.g. ["Mastodon v4.6.3", "Nextcloud 34.0.2"]. */
  readonly runs: readonly string[];
  readonly cost: CostSummary;
  /** The rules.yaml poll rules the vote is counted by. */
  readonly voting: VotingRules;
  /**
   * The emergency changes awaiting ratification, oldest first. A vote ratifies only what it names,
   * so every proposal for a stack with pending emergencies names them all; with no change of its
   * own (the plan equals the lock) the proposal only ratifies them.
   */
  readonly ratifies?: readonly EmergencySummary[];
}

export interface Proposal {
  readonly title: string;
  readonly markdown: string;
}

function costLine(c: CostSummary): string {
  const table = `Hetzner prices as of ${c.asOf}, VAT ${c.vat}${c.unpriced ? `; ${c.unpriced} item${c.unpriced === 1 ? "" : "s"} not priced` : ""}`;
  if (c.before === null) return `**Monthly cost:** ${formatEuros(c.after)} per month (${table}).`;
  return `**Monthly cost:** ${formatEuros(c.before)} → ${formatEuros(c.after)} per month (${formatDelta(c.before, c.after)}; ${table}).`;
}

export function renderProposal(p: ProposalInput): Proposal {
  const emergencies = p.ratifies ?? [];
  const ratifyOnly = emergencies.length > 0 && p.changes.length === 0;
  const emergencyChanges = emergencies.flatMap((e) => e.changes);
  const shownChanges = ratifyOnly ? emergencyChanges : p.changes;
  const services = describeChanges(
    p.changes,
    p.runs.map((r) => r.split(" ")[0]),
  );
  // Titles keep each sentence up to its first colon: "The server … moves to a bigger type".
  const headline = services
    .flatMap((s) => s.sentences)
    .slice(0, 2)
    .map((s) => s.replace(/:.*$/, "").replace(/\.$/, ""))
    .join("; ");
  const first = !ratifyOnly && p.cost.before === null;
  const ratifyTitle =
    emergencies.length === 1
      ? `Ratify the emergency change on ${p.stack}: ${emergencies[0].reason}`
      : `Ratify ${emergencies.length} emergency changes on ${p.stack}: ${emergencies.map((e) => e.reason).join("; ")}`;
  const title = truncate(
    ratifyOnly
      ? ratifyTitle
      : first
        ? `Approve the infrastructure of stack ${p.stack}`
        : `Infrastructure change on ${p.stack}${emergencies.length ? ` (also ratifies ${emergencies.length === 1 ? "an emergency change" : `${emergencies.length} emergency changes`})` : ""}: ${headline || "technical settings"}`,
    140,
  );
  const md: string[] = [];
  if (ratifyOnly) {
    md.push(...emergencySection(p.stack, emergencies, false, p.runs));
  } else {
    if (first)
      md.push(
        `This sets up stack **${p.stack}** of ${p.coopName}${p.runs.length ? `, running ${joinWords(p.runs)}` : ""}. Nothing is deployed until this proposal passes.`,
        "",
      );
    else md.push(`This changes stack **${p.stack}** of ${p.coopName}. Nothing is deployed until this proposal passes.`, "");
    md.push("**What changes**", "");
    if (services.length === 0) md.push("- Nothing changes compared with the approved state.");
    for (const s of services) for (const sentence of s.sentences) md.push(`- ${sentence}`);
    if (emergencies.length) md.push("", ...emergencySection(p.stack, emergencies, true, p.runs));
  }
  // Major upgrades already applied in an emergency are named too: members ratify them knowingly.
  const majors = majorSteps(changeRecords(ratifyOnly ? shownChanges : [...p.changes, ...emergencyChanges]));
  const named = requiredMajorLines(majors);
  if (named.length > 0) {
    md.push("", "**Major upgrades** (the data is migrated and cannot be moved back; the admins take a backup first):", "");
    for (const line of named) md.push(`- ${majorWords(majors.find((m) => majorLine(m) === line)!)}`);
  }
  // Ratifying alone changes nothing now: the cost that matters is the one the emergencies brought.
  const firstCost = emergencies[0]?.cost;
  md.push("", costLine(ratifyOnly && firstCost ? { ...p.cost, before: firstCost.before } : p.cost));
  if (p.cost.stale) md.push("", `_Note: ${p.cost.stale}._`);
  const bindings = [
    ...named,
    ...(emergencies.length
      ? [
          ratifiesBindingLine(
            p.stack,
            emergencies.map((e) => e.id),
          ),
        ]
      : []),
    planBindingLine(p.stack, p.digest),
  ];
  md.push(
    "",
    `**How to vote:** *Agree* if the co-op should ${ratifyOnly ? "keep this" : "make this change"}. *Disagree* if it should not (say what would change your mind). *Abstain* to count for the quorum without taking sides. *Block* only if you believe it would seriously harm the co-op: under our rules ${blocksInWords(p.voting.blocksAllowed)}.`,
    "",
    passesInWords(p.voting),
    "",
    "**Technical details** (for the admins):",
    "",
    ...technicalLines(shownChanges).map((l) => `- ${l}`),
    ...(ratifyOnly ? [] : emergencies.flatMap((e) => technicalLines(e.changes).map((l) => `- (already applied in ${e.id}) ${l}`))),
    "",
    bindings.length > 1
      ? `The lines below tie this vote to exactly the plan described above${named.length ? ", including its major upgrades" : ""}${emergencies.length ? ` and the emergency change${emergencies.length === 1 ? "" : "s"} it ratifies` : ""}; coop checks them before anything is deployed. Please do not edit them.`
      : "The line below ties this vote to exactly the plan described above; coop checks it before anything is deployed. Please do not edit it.",
    "",
    ...bindings,
  );
  return { title, markdown: `${md.join("\n")}\n` };
}

/**
 * The emergency changes a proposal ratifies, each with its reason, its change in plain words and
 * its monthly cost. `also`: the proposal has a change of its own, which approving also ratifies them.
 */
function emergencySection(stack: string, list: readonly EmergencySummary[], also: boolean, runs: readonly string[]): string[] {
  const one = list.length === 1;
  const them = one ? "it" : "them";
  const deadline = list
    .map((e) => e.ratifyBy)
    .sort()[0]
    .slice(0, 10);
  const md: string[] = [
    also
      ? `**This proposal also ratifies ${one ? "an emergency change" : `${list.length} emergency changes`}**`
      : `**Emergency change${one ? "" : "s"} to ratify**`,
    "",
    `The admins applied ${one ? "an emergency change" : `${list.length} emergency changes`} to stack **${stack}** without waiting for a vote. The co-op's rules say the members must ratify ${them}${also ? `: approving this proposal also ratifies ${them}` : `: agreeing keeps ${them}`}. If this proposal does not pass, ${one ? "it still awaits" : "they still await"} ratification (by ${deadline}), and the admins must propose how to undo ${them}.`,
    "",
  ];
  for (const e of list) {
    md.push(`- On ${e.recordedAt.slice(0, 10)} (${e.id}), because: ${e.reason}.`);
    const services = describeChanges(
      e.changes,
      runs.map((r) => r.split(" ")[0]),
    );
    for (const s of services) for (const sentence of s.sentences) md.push(`  - ${sentence}`);
    md.push(
      `  - ${e.cost ? `Monthly cost: ${formatEuros(e.cost.before)} → ${formatEuros(e.cost.after)} per month (${formatDelta(e.cost.before, e.cost.after)}).` : "Monthly cost: not known from the record (it removed a resource that may have been billed)."}`,
    );
  }
  return md;
}

export function renderStandingProposal(
  coopName: string,
  terms: StandingTerms,
  descriptions: Record<string, string>,
  voting: VotingRules,
): Proposal {
  const classes = terms.classes.map((c) => `- **${c}**: ${descriptions[c] || c}`);
  const stacks = terms.stacks.includes("*")
    ? "every stack"
    : `stack${terms.stacks.length === 1 ? "" : "s"} ${joinWords(terms.stacks.map((s) => `**${s}**`))}`;
  const md = [
    `This proposal lets the admins of ${coopName} apply the following routine changes to ${stacks} without a separate vote each time${terms.until ? `, until ${terms.until.slice(0, 10)}` : ", until the members revoke it"}:`,
    "",
    ...classes,
    "",
    "Each such change is still recorded, signed by the members the rules name, and checked by coop: anything outside these classes needs its own vote.",
    "",
    `**How to vote:** *Agree* to allow it, *Disagree* to keep voting on each change, *Block* if you believe it would seriously harm the co-op: under our rules ${blocksInWords(voting.blocksAllowed)}.`,
    "",
    passesInWords(voting),
    "",
    "The line below states exactly what is pre-approved; please do not edit it.",
    "",
    standingBindingLine(terms),
  ];
  return {
    title: truncate(
      `Standing approval: ${terms.classes.join(", ")} on ${terms.stacks.includes("*") ? "all stacks" : terms.stacks.join(", ")}`,
      140,
    ),
    markdown: `${md.join("\n")}\n`,
  };
}

const FAMILY_NAMES: Record<MajorStep["family"], string> = {
  mastodon: "Mastodon",
  postgres: "A database (Postgres)",
  nextcloud: "Nextcloud",
};

function majorWords(m: MajorStep): string {
  return `${FAMILY_NAMES[m.family]} moves from major version ${m.from} to ${m.to}.`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
