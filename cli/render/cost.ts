/** Monthly cost as text: per resource and in total, with the price table's date. */
import { formatEuros, type CostEstimate } from "../../plan/cost";
import { PRICE_TABLE_MAX_AGE_DAYS, priceTableAgeDays, type PriceTable } from "../../plan/prices";

export function renderCost(stack: string, estimate: CostEstimate, approved?: CostEstimate): string {
  const width = Math.max(20, ...estimate.lines.map((l) => l.what.length));
  const lines = [`Monthly cost of stack ${stack} (Hetzner prices as of ${estimate.asOf}, ${estimate.currency}, VAT ${estimate.vat})`, ""];
  for (const l of estimate.lines) {
    lines.push(
      `  ${l.what.padEnd(width)}  ${l.monthly === null ? "not priced" : formatEuros(l.monthly).padStart(9)}${l.note ? `  (${l.note})` : ""}`,
    );
  }
  lines.push(`  ${"".padEnd(width, "─")}  ${"─".repeat(9)}`);
  lines.push(
    `  ${"total per month".padEnd(width)}  ${formatEuros(estimate.total).padStart(9)}${estimate.unpriced.length ? `  + ${estimate.unpriced.length} item${estimate.unpriced.length === 1 ? "" : "s"} not priced` : ""}`,
  );
  if (approved && approved.total !== estimate.total)
    lines.push(`  ${"approved state (lock)".padEnd(width)}  ${formatEuros(approved.total).padStart(9)}`);
  lines.push("", "Containers, DNS, SSH keys and the firewall cost nothing extra; traffic beyond the included 20 TB is not estimated.");
  return lines.join("\n");
}

/** A warning when the table is older than about six months; undefined otherwise. */
export function staleTableWarning(table: PriceTable, now: Date): string | undefined {
  const age = priceTableAgeDays(table, now);
  if (age <= PRICE_TABLE_MAX_AGE_DAYS) return undefined;
  return `the price table is ${Math.floor(age / 30)} months old (asOf ${table.asOf}); Hetzner's prices may have changed: update plan/prices/hetzner.yaml`;
}
