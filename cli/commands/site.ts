import { now } from "../../kernel/clock";
import { InputError } from "../../kernel/errors";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { renderSite } from "../render/site/pages";
import { loadLedgerFast } from "../ledger/load";
import { recordOf } from "../site/record";
import { writeSiteDir } from "../site/write";

export const command: Command = {
  name: "site",
  summary: "the members' record as a static, accessible website: every decision, votes, signatures, costs, emergencies",
  usage: `usage: coop site [--out DIR] [--json]

Renders the members' record from the ledger and the specs: an index and one page per decision
(what changed in plain words, the vote and the rules applied, who signed, a link to the poll),
the emergency changes awaiting ratification with their deadlines, the monthly cost of each
stack's approved states, the federation block list with its public reasons where the spec has
one, and whether the ledger verifies as of now. Plain HTML, no JavaScript; the same ledger gives
the same files, except for the time of verification. The folder is replaced as a whole, and only
if it is new, empty or written by an earlier coop site.

  --out DIR   where to write the site (default: _site)
  --json      print the record as one JSON document instead (the site's record.json)

Exit 0 when written, also when the ledger does not verify (the site says so); 2 on bad input.`,
  options: { out: { type: "string", short: "o" } },
  async run(ctx) {
    const record = recordOf(await loadLedgerFast(ctx.root, ctx.env), now());
    if (ctx.json) {
      if (stringFlag(ctx, "out")) throw new InputError("--json prints the record; it writes no site", "give either --json or --out DIR");
      ctx.io.json(record);
      return 0;
    }
    const out = stringFlag(ctx, "out") ?? "_site";
    const files = renderSite(record);
    await writeSiteDir(out, files);
    ctx.io.out(
      `site written to ${out}: ${record.decisions.length} decision${record.decisions.length === 1 ? "" : "s"}; the ledger ${record.ledger.verified ? "verifies" : `does not verify (${record.ledger.errors} problem${record.ledger.errors === 1 ? "" : "s"})`} as of ${record.asOf}`,
    );
    return 0;
  },
};
