/**
 * `coop report --year`: the year in decisions for a general assembly, from the same record as
 * the site — with the bundled example ledger and a scratch ledger spanning 2026 and 2027.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listStacks } from "../../stacks/load";
import { renderYearReport } from "../../cli/render/report";
import { gatherRecord } from "../../cli/site/record";
import { yearReport } from "../../cli/site/report";
import { setClockForTests } from "../../kernel/clock";
import { estimateMonthlyCost } from "../../plan/cost";
import { coop } from "../helpers/cli";
import { REPO_ROOT } from "../helpers/repo";
import { HOSTILE_TITLE, twoYearLedger } from "./site-fixture";

const t = twoYearLedger();
afterAll(() => t.f.cleanup());

function reportOf(root: string, at: string, year: number) {
  setClockForTests(at);
  try {
    return yearReport(gatherRecord(root, new Date(at)), year);
  } finally {
    setClockForTests(undefined);
  }
}

const cost = (serverType: string, mastodon?: string) =>
  estimateMonthlyCost(t.f.lock("prod", "0", { serverType, mastodon }).resources, t.f.prices).total;

describe("the yearly report", () => {
  it("takes each year's decisions by the date they were taken", () => {
    const y26 = reportOf(t.f.root, t.at, 2026);
    const y27 = reportOf(t.f.root, t.at, 2027);
    expect(y26.decisions.map((d) => d.id)).toEqual([
      "governance-0001-founding",
      "prod-0001-genesis",
      t.ids.bigger,
      t.ids.e1,
      t.ids.ratify1,
      t.ids.e2,
      t.ids.ratify2,
    ]);
    // The assembly decided on 9 January 2027; coop recorded it the day after.
    expect(y27.decisions.map((d) => d.id)).toEqual([t.ids.back, t.ids.standing, t.ids.routine, t.ids.e3]);
    expect(y27.decisions[2].summary).toContain("Mastodon upgrades from v4.6.4 to v4.6.5 (patch).");
    expect(y27.decisions[0].how).toBe("General assembly 2027-01-09 (2027-01-09)");
    expect(y26.decisions.find((d) => d.id === t.ids.bigger)!.how).toBe(
      "Loomio vote: 5 agree, 1 abstain, 1 disagree, 0 block (7 of 10 voted)",
    );
    expect(reportOf(t.f.root, t.at, 2025).decisions).toEqual([]);
  });

  it("says of each emergency whether it was ratified in time, late, or not yet, and when it is overdue", () => {
    expect(reportOf(t.f.root, t.at, 2026).emergencies.map((e) => [e.id, e.state, e.ratifiedBy])).toEqual([
      [t.ids.e1, "ratified-in-time", t.ids.ratify1],
      // Recorded 1 December with 14 days to ratify; the members ratified it on the 20th.
      [t.ids.e2, "ratified-late", t.ids.ratify2],
    ]);
    expect(reportOf(t.f.root, t.at, 2027).emergencies.map((e) => [e.id, e.state])).toEqual([[t.ids.e3, "pending"]]);
    expect(reportOf(t.f.root, "2027-06-09T00:00:00.000Z", 2027).emergencies.map((e) => [e.id, e.state])).toEqual([[t.ids.e3, "overdue"]]);
  });

  it("costs each month at the state approved at its end, only for months that have begun", () => {
    const y26 = reportOf(t.f.root, t.at, 2026).costs[0];
    expect(y26.months.map((m) => m.monthly)).toEqual([
      null, // January: the stack was set up on 1 February
      cost("cx33"),
      cost("cx43"),
      cost("cx43"),
      cost("cx43"),
      cost("cx43"),
      cost("cx43"),
      cost("cx43"),
      cost("cx53"),
      cost("cx53"),
      cost("cx53"),
      cost("cx53", "v4.6.4"),
    ]);
    expect(y26.total).toBe(Math.round((cost("cx33") + 6 * cost("cx43") + 4 * cost("cx53")) * 100) / 100);
    const y27 = reportOf(t.f.root, t.at, 2027).costs[0];
    expect(y27.months.map((m) => m.month)).toEqual(["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]);
    expect(new Set(y27.months.map((m) => m.monthly))).toEqual(new Set([cost("cx43")]));
  });

  it("renders Markdown for the assembly, with record text kept to its table cell", () => {
    const md = renderYearReport(reportOf(t.f.root, t.at, 2026));
    expect(md).toMatch(/^# River Co-op: the year 2026 in decisions\n/);
    expect(md).toContain("The signed record of decisions verifies");
    expect(md).toContain("## Decisions (7)");
    expect(md).toContain(`### 2026-03-10: ${HOSTILE_TITLE}`);
    expect(md).toMatch(
      /\| 2026-12-01 \| prod-\d+-emergency \| prod \| a Mastodon security release \| 2026-12-15 \| ratified after its deadline \(prod-\d+-ratification\) \|/,
    );
    expect(md).toContain(`| 2026-01 | not set up yet |`);
    expect(md).toContain(`| 2026-03 | €${cost("cx43").toFixed(2)} |`);
  });

  it("covers the example co-op's founding year", async () => {
    const r = await coop(["report", "--year", "2026", "--json"], { at: "2026-12-02T12:00:00.000Z" });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    // Every bundled record was made in 2026: the founding and one genesis per example stack.
    const stacks = listStacks(REPO_ROOT);
    expect(j.decisions).toHaveLength(readdirSync(join(REPO_ROOT, "governance", "decisions")).length);
    expect(j.decisions).toHaveLength(1 + stacks.length);
    expect(j.costs.map((c: { stack: string }) => c.stack)).toEqual(stacks);
    expect(j.costs[0].months).toHaveLength(12);
    const text = await coop(["report", "--year", "2026"], { root: REPO_ROOT, at: "2026-12-02T12:00:00.000Z" });
    expect(text.stdout).toContain("# Example Co-op: the year 2026 in decisions");
  });

  it("refuses a missing, malformed or future year with the fix", async () => {
    for (const args of [["report"], ["report", "--year", "26"], ["report", "--year", "2099"], ["report", "--year", "2026x"]]) {
      const r = await coop(args, { root: t.f.root, at: t.at });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/hint: (e\.g\. coop report --year 2026|give a four-digit year from 2000 to 2027)/);
    }
  });
});
