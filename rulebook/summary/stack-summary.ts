/**
 * The summary members read in a proposal for a stack — what changes in plain words, the major
 * upgrades, the emergency changes the vote ratifies, the monthly cost before → after — as a
 * pure function of the ledger's stored versions (the two states, the price table, the emergency
 * changes' own states). `coop propose` puts it in the poll with its digest; `coop decide` and the
 * approved verifier render it again and refuse a poll whose text is not exactly this, so a poll
 * that says "no visible change" cannot approve a bigger server.
 */
import { estimateMonthlyCost, formatDelta, formatEuros } from "../../plan/cost";
import { diffResources, type Change } from "../../plan/diff";
import type { Lock } from "../../plan/lock";
import type { PriceTable } from "../../plan/prices";
import type { GovernedResource } from "../../plan/view";
import { majorLine, majorSteps, requiredMajorLines, type MajorStep } from "../changes/majors";
import { changeRecordsOf } from "../changes/change-records";
import { describeChanges, serviceLabel, serviceOf } from "./plain-words";

export interface EmergencyState {
  readonly id: string;
  readonly reason: string;
  readonly recordedAt: string;
  readonly before: Lock | null;
  readonly after: Lock;
}

export interface StackSummaryInput {
  readonly stack: string;
  /** The approved state the change replaces; null for a stack's first state. */
  readonly before: Lock | null;
  readonly after: Lock;
  /** The price table of the monthly cost; without one (a decision nobody votes on) the summary is words only. */
  readonly prices?: PriceTable;
  /** The emergency changes the vote also ratifies, in chain order. */
  readonly emergencies: readonly EmergencyState[];
}

const FAMILY_NAMES: Record<MajorStep["family"], string> = {
  mastodon: "Mastodon",
  postgres: "A database (Postgres)",
  nextcloud: "Nextcloud",
};

/** What the stack's server runs, named as members know it, from the state itself. */
export function servicesRun(resources: readonly GovernedResource[]): string[] {
  const services = new Set(resources.filter((r) => r.type === "docker:index/container:Container").map((r) => serviceOf(r.urn)));
  // Mid-sentence ("the server that runs Mastodon and mail"): names keep their capital, "mail" is a common noun.
  return ["mastodon", "nextcloud", "mail"].filter((s) => services.has(s)).map((s) => (s === "mail" ? "mail" : serviceLabel(s)));
}

export function changesBetween(before: Lock | null, after: Lock): Change[] {
  return diffResources(before?.resources ?? [], after.resources);
}

function sentencesOf(changes: readonly Change[], after: Lock, before: Lock | null): string[] {
  const old = new Map((before?.resources ?? []).map((r) => [r.urn, r.inputs]));
  const now = new Map(after.resources.map((r) => [r.urn, r.inputs]));
  return describeChanges(changes, servicesRun(after.resources), (urn, side) => (side === "before" ? old : now).get(urn)).flatMap(
    (s) => s.sentences,
  );
}

function costOf(lock: Lock | null, prices: PriceTable): number {
  return lock ? estimateMonthlyCost(lock.resources, prices).total : 0;
}

/** The Markdown block, exactly as members read it (lines joined by \n, no trailing newline). */
export function stackSummary(input: StackSummaryInput): string {
  const { before, after, prices, emergencies, stack } = input;
  const changes = changesBetween(before, after);
  const md: string[] = [];
  if (before === null) md.push(`**What is set up on stack ${stack}**`, "");
  else md.push(`**What changes on stack ${stack}**`, "");
  const sentences = sentencesOf(changes, after, before);
  if (sentences.length === 0) md.push("- Nothing changes compared with the approved state.");
  for (const s of sentences) md.push(`- ${s}`);

  const emergencyChanges = emergencies.flatMap((e) => changeRecordsOf(changesBetween(e.before, e.after)));
  const majors = majorSteps([...changeRecordsOf(changes), ...emergencyChanges]);
  const lines = requiredMajorLines(majors);
  if (lines.length > 0) {
    md.push("", "**Major upgrades** (the data is migrated and cannot be moved back; the admins take a backup first):", "");
    for (const line of lines) {
      const m = majors.find((x) => majorLine(x) === line)!;
      md.push(`- ${FAMILY_NAMES[m.family]} moves from major version ${m.from} to ${m.to}.`);
    }
  }

  if (emergencies.length > 0) {
    md.push("", `**Emergency change${emergencies.length === 1 ? "" : "s"} this vote ratifies**`, "");
    for (const e of emergencies) {
      md.push(`- On ${e.recordedAt.slice(0, 10)} (${e.id}), because: ${e.reason}.`);
      for (const s of sentencesOf(changesBetween(e.before, e.after), e.after, e.before)) md.push(`  - ${s}`);
      if (prices) {
        const a = costOf(e.before, prices);
        const b = costOf(e.after, prices);
        md.push(`  - Monthly cost: ${formatEuros(a)} → ${formatEuros(b)} per month (${formatDelta(a, b)}).`);
      }
    }
  }
  if (!prices) return md.join("\n");

  const estimate = estimateMonthlyCost(after.resources, prices);
  const table = `Hetzner prices as of ${prices.asOf}, VAT ${prices.vat}${estimate.unpriced.length ? `; ${estimate.unpriced.length} item${estimate.unpriced.length === 1 ? "" : "s"} not priced` : ""}`;
  // A vote that only ratifies changes nothing now: the cost that matters is the one the emergencies brought.
  const from = emergencies.length > 0 && changes.length === 0 ? emergencies[0].before : before;
  md.push(
    "",
    from === null
      ? `**Monthly cost:** ${formatEuros(estimate.total)} per month (${table}).`
      : `**Monthly cost:** ${formatEuros(costOf(from, prices))} → ${formatEuros(estimate.total)} per month (${formatDelta(costOf(from, prices), estimate.total)}; ${table}).`,
  );
  return md.join("\n");
}

/** The major-upgrade lines a poll for this change must carry (coop-major: …). */
export function requiredMajorsOf(input: StackSummaryInput): string[] {
  const emergencyChanges = input.emergencies.flatMap((e) => changeRecordsOf(changesBetween(e.before, e.after)));
  return requiredMajorLines(majorSteps([...changeRecordsOf(changesBetween(input.before, input.after)), ...emergencyChanges]));
}
