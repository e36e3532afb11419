import { now } from "../../kernel/clock";
import { InputError } from "../../kernel/errors";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { renderYearReport } from "../render/report";
import { loadLedgerFast } from "../ledger/load";
import { recordOf } from "../site/record";
import { yearReport } from "../site/report";

export const command: Command = {
  name: "report",
  summary: "the yearly report for the general assembly (Markdown): decisions, changes, emergencies, monthly costs",
  usage: `usage: coop report --year YYYY [--json]

The year in decisions, for a general assembly: every decision taken in the year (what changed
in plain words, how it was decided), the emergency changes recorded in it (ratified in time,
late, or not yet), and each stack's monthly cost for every month of the year so far. Markdown
on stdout; redirect it to a file outside the repository (a new file in the repository is a
change of the code until it is approved, like any document).

  --year YYYY   the calendar year (UTC)
  --json        print {year, coop, asOf, verified, decisions, emergencies, costs} instead`,
  options: { year: { type: "string", short: "y" } },
  async run(ctx) {
    const given = stringFlag(ctx, "year");
    if (given === undefined) throw new InputError("coop report needs --year", "e.g. coop report --year 2026");
    const at = now();
    if (!/^\d{4}$/.test(given) || Number(given) < 2000 || Number(given) > at.getUTCFullYear())
      throw new InputError(
        `--year ${given} is not a year that has begun`,
        `give a four-digit year from 2000 to ${at.getUTCFullYear()}, e.g. --year ${at.getUTCFullYear()}`,
      );
    const report = yearReport(recordOf(await loadLedgerFast(ctx.root, ctx.env), at), Number(given));
    if (ctx.json) ctx.io.json(report);
    else ctx.io.out(renderYearReport(report).trimEnd());
    return 0;
  },
};
