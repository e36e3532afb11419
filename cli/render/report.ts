/**
 * The yearly report as Markdown for a general assembly: what the co-op decided, how, what
 * changed, the emergencies, and what the infrastructure cost month by month.
 */
import type { YearReport } from "../site/report";

const STATES: Record<string, string> = {
  "ratified-in-time": "ratified in time",
  "ratified-late": "ratified after its deadline",
  pending: "awaiting ratification",
  overdue: "not ratified by its deadline",
};

/** Text from the record placed in a Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

const euros = (n: number) => `€${n.toFixed(2)}`;

export function renderYearReport(r: YearReport): string {
  const md: string[] = [`# ${r.coop}: the year ${r.year} in decisions`, ""];
  md.push(
    r.verified
      ? `The signed record of decisions verifies (checked ${r.asOf}).`
      : `**The signed record of decisions does not verify** (checked ${r.asOf}): \`coop verify\` names each problem.`,
    "",
  );
  md.push(`## Decisions (${r.decisions.length})`, "");
  if (r.decisions.length === 0) md.push(`No decision was taken in ${r.year}.`, "");
  for (const d of r.decisions) {
    md.push(`### ${d.decidedAt.slice(0, 10)}: ${cell(d.title)}`, "");
    md.push(`- About: ${d.subject}; ${d.how}; record \`${d.id}\`${d.valid ? "" : " (**does not verify**)"}.`, "");
    md.push(d.summary, "");
  }
  md.push(`## Emergency changes (${r.emergencies.length})`, "");
  if (r.emergencies.length === 0) md.push(`No emergency change was recorded in ${r.year}.`, "");
  else {
    md.push("| recorded | change | stack | why | deadline | outcome |", "| --- | --- | --- | --- | --- | --- |");
    for (const e of r.emergencies)
      md.push(
        `| ${e.recordedAt.slice(0, 10)} | ${e.id} | ${e.stack ?? ""} | ${cell(e.reason)} | ${e.deadline?.slice(0, 10) ?? "unknown"} | ${STATES[e.state]}${e.ratifiedBy ? ` (${e.ratifiedBy})` : ""} |`,
      );
    md.push("");
  }
  md.push("## Monthly cost per stack", "");
  if (r.costs.length === 0) md.push("No approved state is priced.", "");
  for (const c of r.costs) {
    md.push(`### Stack ${c.stack}`, "", "| month | per month |", "| --- | ---: |");
    for (const m of c.months) md.push(`| ${m.month} | ${m.monthly === null ? "not set up yet" : euros(m.monthly)} |`);
    md.push(`| **${r.year}** (${c.months.length} month${c.months.length === 1 ? "" : "s"}) | **${euros(c.total)}** |`, "");
  }
  md.push("Costs are estimates from Hetzner's dated price table, each month at the cost of the state approved at its end.");
  return `${md.join("\n")}\n`;
}
