import { InputError } from "../../kernel/errors";
import { resolveStackName } from "../../stacks/load";
import { StackSpecSchema } from "../../stacks/schema";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { type Edit, openYaml, saveYaml } from "../edit/yaml-document";

export const command: Command = {
  name: "mailbox",
  summary: "add or remove a mailbox or an alias in a stack's spec, and say which decision it needs",
  usage: `usage: coop mailbox add LOCALPART --name TEXT [--alias A,B] [--stack NAME]
       coop mailbox remove LOCALPART [--stack NAME]
       coop mailbox alias LOCALPART (--add A,B | --remove A,B) [--stack NAME]

Edits the mailboxes of stacks/<stack>.yaml as a careful person would (comments and layout
kept) and checks the spec. A mailbox is infrastructure: the change reaches the server once the
members approved it (coop plan shows it, coop propose --stack <stack> --post puts it to a vote).
Removing a mailbox deletes the mail in it at the next deploy: its owner exports it first.

  --name TEXT      with add: the owner's name, shown in mail clients
  --alias A,B      with add: aliases delivered to the same mailbox (e.g. support,hello)
  --add / --remove with alias: aliases to add or remove
  --json           print {stack, mailboxes, next}`,
  options: { name: { type: "string" }, alias: { type: "string" }, add: { type: "string" }, remove: { type: "string" } },
  positionals: true,
  async run(ctx) {
    const [action, localPart, ...rest] = ctx.positionals;
    if (!action || !["add", "remove", "alias"].includes(action))
      throw new InputError(
        `coop mailbox needs an action: add, remove or alias${action ? ` (not '${action}')` : ""}`,
        "see coop mailbox --help",
      );
    if (!localPart) throw new InputError(`coop mailbox ${action} needs the mailbox's local part`, `e.g. coop mailbox ${action} linus …`);
    if (rest.length) throw new InputError(`coop mailbox ${action} takes one local part, got '${rest.join(" ")}' too`);
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const edited = openYaml(ctx.root, `stacks/${stack}.yaml`, StackSpecSchema);
    const boxes = edited.before.mailboxes;
    const index = boxes.findIndex((b) => b.localPart === localPart);
    const split = (v: string | undefined) =>
      (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    const edits: Edit[] = [];
    let said = "";
    switch (action) {
      case "add": {
        if (index >= 0) throw new InputError(`stack '${stack}' already has the mailbox ${localPart}@${edited.before.domain}`);
        const taken = boxes.find((b) => b.aliases.includes(localPart));
        if (taken)
          throw new InputError(
            `${localPart}@${edited.before.domain} is an alias of ${taken.localPart}'s mailbox`,
            `remove it there first: coop mailbox alias ${taken.localPart} --remove ${localPart}`,
          );
        const name = stringFlag(ctx, "name");
        if (!name) throw new InputError("--name is required", 'e.g. --name "Linus Torvalds"');
        const aliases = split(stringFlag(ctx, "alias"));
        edits.push(
          boxes.length
            ? { append: ["mailboxes"], value: { localPart, name, aliases } }
            : { set: ["mailboxes"], value: [{ localPart, name, aliases }] },
        );
        said = `mailbox ${localPart}@${edited.before.domain} is added${aliases.length ? ` (alias${aliases.length === 1 ? "" : "es"} ${aliases.map((a) => `${a}@`).join(", ")})` : ""}`;
        break;
      }
      case "remove":
        if (index < 0) throw new InputError(`stack '${stack}' has no mailbox ${localPart}`);
        edits.push({ remove: ["mailboxes"], index });
        said = `mailbox ${localPart}@${edited.before.domain} is removed (its mail is deleted at the next deploy: export it first)`;
        break;
      case "alias": {
        if (index < 0) throw new InputError(`stack '${stack}' has no mailbox ${localPart}`);
        const add = split(stringFlag(ctx, "add"));
        const remove = split(stringFlag(ctx, "remove"));
        if (!add.length && !remove.length) throw new InputError("say which aliases: --add A,B or --remove A,B");
        const missing = remove.filter((a) => !boxes[index].aliases.includes(a));
        if (missing.length) throw new InputError(`${localPart}'s mailbox has no alias ${missing.join(", ")}`);
        const kept = boxes[index].aliases.filter((a) => !remove.includes(a));
        edits.push({ set: ["mailboxes", index, "aliases"], value: [...kept, ...add.filter((a) => !kept.includes(a))] });
        said = `${localPart}'s mailbox${add.length ? ` gains ${add.map((a) => `${a}@`).join(", ")}` : ""}${add.length && remove.length ? " and" : ""}${remove.length ? ` loses ${remove.map((a) => `${a}@`).join(", ")}` : ""}`;
        break;
      }
    }
    const after = saveYaml(ctx.root, edited, StackSpecSchema, edits);
    const next = [`coop plan --stack ${stack}`, `coop propose --stack ${stack} --post`];
    if (ctx.json) ctx.io.json({ stack, mailboxes: after.mailboxes.map((b) => b.localPart), next });
    else
      ctx.io.out(
        [
          `Updated stacks/${stack}.yaml: ${said}.`,
          "It reaches the server once the members approve the change:",
          ...next.map((c) => `  ${c}`),
        ].join("\n"),
      );
    return 0;
  },
};
