/**
 * The gate's verdict for people: a terminal report and a Markdown summary for CI.
 */
import type { GateResult, Violation } from "../gate/run-gate";

function resourceName(urn?: string): string {
  return urn ? urn.slice(urn.lastIndexOf("::") + 2) : "(stack)";
}

function group(violations: readonly Violation[]): Map<string, Violation[]> {
  const by = new Map<string, Violation[]>();
  for (const v of violations) {
    const list = by.get(v.policy) ?? [];
    list.push(v);
    by.set(v.policy, list);
  }
  return by;
}

export function renderGateReport(r: GateResult): string {
  const mandatory = r.violations.filter((v) => v.level === "mandatory");
  const advisory = r.violations.filter((v) => v.level !== "mandatory");
  const head = r.passed
    ? `gate PASSED for stack ${r.stack}: every one of ${r.analyzed} resources matches what the members approved.`
    : `gate FAILED for stack ${r.stack}: ${mandatory.length} mandatory violation${mandatory.length === 1 ? "" : "s"}.`;
  const lines = [head];
  for (const [title, list] of [
    ["Mandatory", mandatory],
    ["Advisory", advisory],
  ] as const) {
    if (list.length === 0) continue;
    lines.push("", `${title}:`);
    for (const [policy, vs] of group(list)) {
      lines.push(`  ${policy}`);
      for (const v of vs) lines.push(`    ${resourceName(v.urn)}: ${v.message.split("\n").join("\n      ")}`);
    }
  }
  return lines.join("\n");
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, "<br>");
}

export function renderGateMarkdown(r: GateResult): string {
  const lines = [`### coop gate · stack \`${r.stack}\`: ${r.passed ? "✅ approved" : "❌ not approved"}`, ""];
  if (r.violations.length === 0) {
    lines.push(`All ${r.analyzed} resources match the approved lock and every policy holds.`, "");
    return `${lines.join("\n")}\n`;
  }
  lines.push("| level | policy | resource | message |", "|---|---|---|---|");
  for (const v of r.violations) lines.push(`| ${v.level} | ${v.policy} | ${escapeCell(resourceName(v.urn))} | ${escapeCell(v.message)} |`);
  return `${lines.join("\n")}\n\n`;
}
