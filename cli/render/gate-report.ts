/**
 * The gate's verdict for people: a terminal report and a Markdown summary for CI.
 */
import type { GateResult, Violation } from "../gate/run-gate";

function resourceName(urn?: string): string {
  return urn ? urn.slice(urn.lastIndexOf("::") + 2) : "(stack)";
}

/** One entry per cause: a policy and its message, with every resource it was reported at. */
interface Cause {
  readonly policy: string;
  readonly level: string;
  readonly message: string;
  readonly resources: string[];
}

/**
 * Violations grouped by cause. A ledger problem is reported by the pack at every resource (the
 * engine asks per resource); people need it once, with how many resources it stops.
 */
export function causes(violations: readonly Violation[]): Cause[] {
  const by = new Map<string, Cause>();
  for (const v of violations) {
    const k = `${v.level}\u0000${v.policy}\u0000${v.message}`;
    const c = by.get(k) ?? { policy: v.policy, level: v.level, message: v.message, resources: [] };
    c.resources.push(resourceName(v.urn));
    by.set(k, c);
  }
  return [...by.values()];
}

const SHOWN = 3;

function where(c: Cause, verbose: boolean): string {
  if (verbose || c.resources.length <= SHOWN) return c.resources.join(", ");
  return `${c.resources.slice(0, SHOWN).join(", ")} and ${c.resources.length - SHOWN} more`;
}

export function renderGateReport(r: GateResult, verbose = false): string {
  const mandatory = causes(r.violations.filter((v) => v.level === "mandatory"));
  const advisory = causes(r.violations.filter((v) => v.level !== "mandatory"));
  const head = r.passed
    ? `gate PASSED for stack ${r.stack}: every one of ${r.analyzed} resources matches what the members approved.`
    : `gate FAILED for stack ${r.stack}: ${mandatory.length} cause${mandatory.length === 1 ? "" : "s"} (${r.violations.filter((v) => v.level === "mandatory").length} mandatory violation${r.violations.filter((v) => v.level === "mandatory").length === 1 ? "" : "s"}).`;
  const lines = [head];
  if (mandatory.length) {
    lines.push("", "Mandatory:");
    for (const c of mandatory)
      lines.push(
        `  ${c.policy} (${c.resources.length} resource${c.resources.length === 1 ? "" : "s"}: ${where(c, verbose)})`,
        `    ${c.message.split("\n").join("\n    ")}`,
      );
  }
  if (advisory.length) {
    if (r.passed && !verbose) {
      lines.push(
        `Advisory: ${advisory.map((c) => `${c.policy} (${c.message.split("\n")[0].slice(0, 120)})`).join("; ")} — coop gate --verbose shows them`,
      );
    } else {
      lines.push("", "Advisory:");
      for (const c of advisory)
        lines.push(
          `  ${c.policy} (${c.resources.length} resource${c.resources.length === 1 ? "" : "s"}: ${where(c, verbose)})`,
          `    ${c.message.split("\n").join("\n    ")}`,
        );
    }
  }
  if (!verbose && [...mandatory, ...advisory].some((c) => c.resources.length > SHOWN))
    lines.push("", "(coop gate --verbose lists every resource)");
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
  lines.push("| level | policy | resources | message |", "|---|---|---|---|");
  for (const c of causes(r.violations))
    lines.push(`| ${c.level} | ${c.policy} | ${escapeCell(where(c, false))} | ${escapeCell(c.message)} |`);
  return `${lines.join("\n")}\n\n`;
}
