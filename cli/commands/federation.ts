import { basename, resolve } from "node:path";
import { parseDocument } from "yaml";
import { InputError } from "../../kernel/errors";
import { readRegularText, SIZE_LIMITS } from "../../kernel/safe-read";
import type { DomainBlock } from "../../stacks/federation";
import { resolveStackName } from "../../stacks/load";
import { StackSpecSchema } from "../../stacks/schema";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { type Edit, openYaml, saveYaml } from "../edit/yaml-document";
import { type BadRow, mergeBlocks, readBlockListCsv } from "../federation/block-list";

const FED = ["services", "mastodon", "federation"] as const;

export const command: Command = {
  name: "federation",
  summary: "import a Mastodon block-list CSV into a stack's spec, to be decided like any change",
  usage: `usage: coop federation import FILE.csv [--stack NAME] [--private-comment TEXT] [--skip-invalid]

Reads a block list exported by Mastodon (Moderation → Federation → Export, or a list another
co-op shares: #domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate) into
services.mastodon.federation.domainBlocks of stacks/<stack>.yaml, editing it as a careful
person would (comments and layout kept). A block already in the spec takes the file's values
(its private comment stays); blocks only in the spec stay as they are: an import never lifts a
block. Nothing reaches Mastodon until the change is decided (coop propose --stack <stack> --post).

A row that is not a valid block (a bad domain, an unknown severity, a block under another
block, a domain twice) is reported with its line; then nothing is written, unless
--skip-invalid imports the others.

  --private-comment TEXT  the moderators' note of each new block (default: where it came from)
  --skip-invalid          import the valid rows and report the others
  --json                  print {stack, added, changed, unchanged, skipped, next}`,
  options: { "private-comment": { type: "string" }, "skip-invalid": { type: "boolean" } },
  positionals: true,
  async run(ctx) {
    const [action, file, ...rest] = ctx.positionals;
    if (action !== "import")
      throw new InputError(`coop federation needs an action: import${action ? ` (not '${action}')` : ""}`, "see coop federation --help");
    if (!file) throw new InputError("coop federation import needs the CSV file", "e.g. coop federation import blocklist.csv --stack prod");
    if (rest.length) throw new InputError(`coop federation import takes one file, got '${rest.join(" ")}' too`);
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const text = readRegularText(resolve(process.cwd(), file), SIZE_LIMITS.config, file);
    let read: ReturnType<typeof readBlockListCsv>;
    try {
      read = readBlockListCsv(text);
    } catch (e) {
      throw new InputError(
        `${file} cannot be imported: ${(e as Error).message}`,
        "export the block list again from Mastodon (Moderation → Federation → Export)",
      );
    }
    const edited = openYaml(ctx.root, `stacks/${stack}.yaml`, StackSpecSchema);
    const mastodon = edited.before.services.mastodon;
    if (!mastodon.enabled)
      throw new InputError(
        `stack '${stack}' does not run Mastodon`,
        "import the block list into the stack that runs Mastodon: --stack NAME",
      );
    const note = stringFlag(ctx, "private-comment") ?? `Imported from ${basename(file)} on ${new Date().toISOString().slice(0, 10)}`;
    const merge = mergeBlocks(mastodon.federation.domainBlocks, mastodon.federation.domainAllows, read.blocks, note);
    const skipped: BadRow[] = [...read.bad, ...merge.conflicts].sort((a, b) => a.line - b.line);
    if (skipped.length && ctx.values["skip-invalid"] !== true)
      throw new InputError(
        `${file}: ${skipped.length} row${skipped.length === 1 ? "" : "s"} cannot be imported:\n${skipped.map((b) => `  line ${b.line}: ${b.reason}`).join("\n")}`,
        "fix those rows, or pass --skip-invalid to import the others; nothing was written",
      );

    const edits: Edit[] = [];
    for (const c of merge.changed)
      for (const [k, v] of Object.entries(c.fields)) edits.push({ set: [...FED, "domainBlocks", c.index, k], value: v });
    const rendered = merge.added.map(entry);
    if (rendered.length) {
      const hasFederation = parseDocument(edited.text).hasIn(FED);
      if (!hasFederation) edits.push({ set: [...FED], value: { domainBlocks: rendered } });
      else if (mastodon.federation.domainBlocks.length === 0) edits.push({ set: [...FED, "domainBlocks"], value: rendered });
      else for (const b of rendered) edits.push({ append: [...FED, "domainBlocks"], value: b });
    }
    if (edits.length) saveYaml(ctx.root, edited, StackSpecSchema, edits);

    const next = [`coop plan --stack ${stack}`, `coop propose --stack ${stack} --post`];
    const added = merge.added.map((b) => b.domain);
    const changed = merge.changed.map((c) => c.domain);
    if (ctx.json) ctx.io.json({ stack, added, changed, unchanged: merge.unchanged, skipped, next });
    else {
      const list = (what: string, xs: readonly string[]) => (xs.length ? [`  ${what} (${xs.length}): ${xs.join(", ")}`] : []);
      ctx.io.out(
        [
          edits.length
            ? `Updated stacks/${stack}.yaml from ${file}:`
            : `stacks/${stack}.yaml already blocks everything in ${file} as it says:`,
          ...list("added", added),
          ...list("changed", changed),
          ...list("unchanged", merge.unchanged),
          ...skipped.map((b) => `  skipped line ${b.line}: ${b.reason}`),
          ...(edits.length
            ? [
                "Nothing reaches Mastodon until the members (or the bylaws' federation process) decide it:",
                ...next.map((c) => `  ${c}`),
                "Mastodon's admin token, once per stack: pulumi config set --secret coop-infra:mastodonAdminToken",
              ]
            : []),
        ].join("\n"),
      );
    }
    return 0;
  },
};

/** The spec's fields in the order the example writes them, defaults left out. */
function entry(b: DomainBlock): Record<string, unknown> {
  return {
    domain: b.domain,
    severity: b.severity,
    ...(b.rejectMedia ? { rejectMedia: true } : {}),
    ...(b.rejectReports ? { rejectReports: true } : {}),
    ...(b.publicComment ? { publicComment: b.publicComment } : {}),
    ...(b.privateComment ? { privateComment: b.privateComment } : {}),
    ...(b.obfuscate ? { obfuscate: true } : {}),
  };
}
