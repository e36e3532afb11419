/**
 * The proposal members vote on, in Markdown: a short introduction, the summary block the
 * rulebook renders from the ledger (what changes, the monthly cost, the emergency changes it
 * ratifies), how the vote is counted under the process that judges it, the technical details,
 * and the lines that bind the vote to exactly this (coop decide checks each).
 */
import { sha256Hex } from "../../kernel/json";
import {
  type Decision,
  governedBindingLine,
  normalizeText,
  planBindingLine,
  ratifiesBindingLine,
  standingBindingLine,
  summaryBindingLine,
} from "../../rulebook";
import { blocksInWords, passesInWords, type VotingRules } from "../../rulebook/summary/proposal-rules";

export interface ProposalInput {
  readonly record: Decision;
  /** How the vote will be counted: the poll rules of the process that judges it (the rulebook's). */
  readonly voting: VotingRules;
  /** The signatures that will record its result. */
  readonly recorders: { readonly count: number; readonly roles: readonly string[] };
  readonly stack?: string;
  readonly coopName?: string;
  /** coop-major lines the change needs (stack changes). */
  readonly majors?: readonly string[];
  /** One line per changed value, for the admins (stack changes). */
  readonly technical?: readonly string[];
  /** The bylaws' area whose own process judges the vote (its title names it). */
  readonly area?: string;
}

export interface Proposal {
  readonly title: string;
  readonly markdown: string;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function titleOf(p: ProposalInput, headline: string): string {
  const r = p.record;
  switch (r.kind) {
    case "change":
      return r.replaces === null
        ? `Approve the infrastructure of stack ${r.stack}`
        : `${p.area === "federation" ? "Federation" : "Infrastructure"} change on ${r.stack}${r.ratifies?.length ? " (also ratifies emergency changes)" : ""}: ${headline || "technical settings"}`;
    case "ratification":
      return `Ratify ${r.ratifies.length === 1 ? "the emergency change" : `${r.ratifies.length} emergency changes`} on ${r.stack}`;
    case "bylaws":
      return "Amend the bylaws for our infrastructure (governance/rules.yaml)";
    case "members":
      return `Change who can sign for our infrastructure: ${headline || "the members list"}`;
    case "code":
      return "Approve a new version of our infrastructure code";
    case "standing":
      return `Standing approval: ${r.terms.classes.join(", ")} on ${r.terms.stacks.includes("*") ? "all stacks" : r.terms.stacks.join(", ")}`;
    default:
      return `Decision ${r.id}`;
  }
}

function bindingOf(r: Decision): string {
  switch (r.kind) {
    case "change":
    case "ratification":
      return planBindingLine(r.stack, r.digest);
    case "bylaws":
      return governedBindingLine("bylaws", r.rules);
    case "members":
      return governedBindingLine("members", r.members);
    case "code":
      return governedBindingLine("code", r.code);
    case "standing":
      return standingBindingLine(r.terms);
    default:
      throw new Error(`coop bug: no vote binds a ${r.kind} decision`);
  }
}

/** A sentence up to its first colon outside parentheses ("Suspend bad.example (public reason: …)" keeps its reason). */
function beforeColon(s: string): string {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")") depth = Math.max(0, depth - 1);
    else if (s[i] === ":" && depth === 0) return s.slice(0, i);
  }
  return s;
}

export function renderProposal(p: ProposalInput): Proposal {
  const r = p.record;
  const summary = r.summary;
  const headline = summary
    .split("\n")
    .filter((l) => l.startsWith("- "))
    .slice(0, 2)
    .map((l) => beforeColon(l.slice(2)).replace(/\.$/, ""))
    .join("; ");
  const voting = p.voting;
  const intro =
    "stack" in r
      ? `This ${r.replaces === null ? "sets up" : "changes"} stack **${r.stack}**${p.coopName ? ` of ${p.coopName}` : ""}. Nothing is deployed until this proposal passes.`
      : r.kind === "standing"
        ? "This lets the admins make the routine changes below without a separate vote each time. Each one is still recorded, signed, and checked by coop: anything outside these classes needs its own vote."
        : "This changes how the co-op governs its infrastructure. Nothing takes effect until this proposal passes, and it is judged by the rules in force now.";
  const ratifies = "ratifies" in r && r.ratifies ? (typeof r.ratifies === "string" ? [r.ratifies] : [...r.ratifies]) : [];
  const bindings = [
    ...(p.majors ?? []),
    ...(ratifies.length && "stack" in r ? [ratifiesBindingLine(r.stack, ratifies)] : []),
    bindingOf(r),
    summaryBindingLine(sha256Hex(normalizeText(summary))),
  ];
  const md = [
    intro,
    "",
    summary,
    "",
    `**How to vote:** *Agree* if the co-op should do this. *Disagree* if it should not (say what would change your mind). *Abstain* to count for the quorum without taking sides. *Block* only if you believe it would seriously harm the co-op: under our rules ${blocksInWords(voting.blocksAllowed)}.`,
    "",
    passesInWords(voting),
    ...(() => {
      const r = p.recorders;
      return r.count === 1
        ? [
            "",
            `_The result is recorded with one member's signature (${r.roles.join(" or ")}): under our rules, that one person vouches that it is recorded as the members voted._`,
          ]
        : ["", `_The result counts once ${r.count} different members (${r.roles.join(" or ")}) have signed its record._`];
    })(),
    ...(p.technical?.length ? ["", "**Technical details** (for the admins):", "", ...p.technical.map((l) => `- ${l}`)] : []),
    "",
    "The lines below tie this vote to exactly what is described above; coop checks them before anything changes. Please do not edit them.",
    "",
    ...bindings,
  ];
  return { title: truncate(titleOf(p, headline), 140), markdown: `${md.join("\n")}\n` };
}
