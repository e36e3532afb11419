/**
 * The yearly report for the general assembly, as data: the decisions taken in the year with
 * what they changed, the emergency changes recorded in it (ratified or not, in time or not),
 * and each stack's monthly cost for every month of the year that has begun. A pure function of
 * the members' record (cli/site/record.ts), so the report and the site never disagree.
 */
import type { DecisionView, SiteRecord } from "./record";

export interface ReportDecision {
  readonly id: string;
  readonly decidedAt: string;
  readonly title: string;
  readonly subject: string;
  readonly kind: string;
  readonly how: string;
  readonly summary: string;
  readonly valid: boolean;
}

export interface ReportEmergency {
  readonly id: string;
  readonly stack: string | null;
  readonly reason: string;
  readonly recordedAt: string;
  readonly deadline: string | null;
  readonly ratifiedBy: string | null;
  /** ratified-in-time, ratified-late, pending, overdue */
  readonly state: "ratified-in-time" | "ratified-late" | "pending" | "overdue";
}

export interface ReportMonth {
  /** YYYY-MM */
  readonly month: string;
  /** The cost of the state approved at the month's end (or now, for the current month); null before the stack's first state. */
  readonly monthly: number | null;
}

export interface ReportCosts {
  readonly stack: string;
  readonly currency: string;
  readonly months: ReportMonth[];
  /** The sum of the months' costs (an estimate: each month at the cost of its last state). */
  readonly total: number;
}

export interface YearReport {
  readonly year: number;
  readonly coop: string;
  readonly asOf: string;
  readonly verified: boolean;
  readonly decisions: ReportDecision[];
  readonly emergencies: ReportEmergency[];
  readonly costs: ReportCosts[];
}

function how(d: DecisionView): string {
  if (d.vote?.counts) {
    const c = d.vote.counts;
    return `Loomio vote: ${c.agree} agree, ${c.abstain} abstain, ${c.disagree} disagree, ${c.block} block (${d.vote.decidedVoters} of ${d.vote.voters} voted)`;
  }
  if (d.vote) return "Loomio vote";
  if (d.meeting) return `${d.meeting.meeting} (${d.meeting.decidedOn})`;
  if (d.kind === "emergency") return "emergency change, signed by the admins";
  return `signed by ${d.signatures.signers.join(", ") || "nobody yet"}`;
}

const cents = (n: number) => Math.round(n * 100) / 100;

export function yearReport(record: SiteRecord, year: number): YearReport {
  const inYear = (iso: string) => iso.startsWith(`${year}-`);
  const at = Date.parse(record.asOf);
  const byId = new Map(record.decisions.map((d) => [d.id, d]));

  const decisions = record.decisions
    .filter((d) => inYear(d.decidedAt))
    .sort((a, b) => a.decidedAt.localeCompare(b.decidedAt) || a.id.localeCompare(b.id))
    .map((d) => ({
      id: d.id,
      decidedAt: d.decidedAt,
      title: d.title,
      subject: d.subject,
      kind: d.kind,
      how: how(d),
      summary: d.summary,
      valid: d.valid,
    }));

  const emergencies: ReportEmergency[] = record.decisions
    .filter((d) => d.kind === "emergency" && inYear(d.recordedAt))
    .map((d) => {
      const ratifier = d.ratifiedBy ? byId.get(d.ratifiedBy) : undefined;
      const deadline = d.deadline ? Date.parse(d.deadline) : undefined;
      const state: ReportEmergency["state"] = ratifier
        ? deadline === undefined || Date.parse(ratifier.recordedAt) <= deadline
          ? "ratified-in-time"
          : "ratified-late"
        : deadline !== undefined && at > deadline
          ? "overdue"
          : "pending";
      return {
        id: d.id,
        stack: d.stack,
        reason: d.reason ?? "",
        recordedAt: d.recordedAt,
        deadline: d.deadline,
        ratifiedBy: d.ratifiedBy,
        state,
      };
    });

  const costs: ReportCosts[] = record.costs.map((c) => {
    const months: ReportMonth[] = [];
    for (let m = 0; m < 12; m++) {
      const start = Date.UTC(year, m, 1);
      if (start > at) break;
      const end = Math.min(Date.UTC(year, m + 1, 1) - 1, at);
      const last = [...c.points].filter((p) => Date.parse(p.from) <= end).pop();
      months.push({ month: `${year}-${String(m + 1).padStart(2, "0")}`, monthly: last ? last.monthly : null });
    }
    return { stack: c.stack, currency: c.currency, months, total: cents(months.reduce((s, x) => s + (x.monthly ?? 0), 0)) };
  });

  return { year, coop: record.coop.name, asOf: record.asOf, verified: record.ledger.verified, decisions, emergencies, costs };
}
