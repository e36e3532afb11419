import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { now } from "../../kernel/clock";
import { InputError } from "../../kernel/errors";
import { KEY_LINE_RE, type KeyParseError, parsePublicKeyLine } from "../../kernel/ssh-keys";
import { governanceChain, loadLedger, MEMBERS_FILE, type Members, MembersSchema, signingRoles } from "../../rulebook";
import { classifyMembership, membersChange } from "../../rulebook/changes/membership";
import { MEMBER_NAME_RE } from "../../rulebook/records/members";
import { ROLE_RE } from "../../rulebook/records/rules";
import type { Command, Context } from "../context";
import { stringFlag } from "../context";
import { type Edit, openYaml, saveYaml } from "../edit/yaml-document";

export const command: Command = {
  name: "members",
  summary: "change governance/members.yaml (add, leave, roles, keys) and say which decision it needs",
  usage: `usage: coop members add NAME --role ROLES --key KEY [--display-name TEXT] [--loomio-user ID]
       coop members leave NAME
       coop members role NAME --role ROLES
       coop members key NAME --key KEY [--replace]
       coop members list

Edits governance/members.yaml as a careful person would (comments and layout kept), checks the
result, and says what the change needs before it counts, by the bylaws in force:
- routine membership (someone joins without a role that can sign, someone leaves, a member adds
  or replaces their own key): coop approve --members --key <key> (a member who changes their
  own key, or leaves while holding a signing role, signs it too);
- anything that grants or takes a role that can sign: a vote, coop propose --members --post.

  --role ROLES          roles, comma-separated (e.g. member, or admin,tech)
  --key KEY             an SSH public key: a .pub file or the key line itself
  --replace             with key: the new key replaces the member's keys
  --display-name TEXT   with add: the full name
  --loomio-user ID      with add: the member's Loomio user id
  --json                print {members, change:{joined,left,roles,keys}, next}`,
  options: {
    role: { type: "string" },
    key: { type: "string" },
    replace: { type: "boolean" },
    "display-name": { type: "string" },
    "loomio-user": { type: "string" },
  },
  positionals: true,
  async run(ctx) {
    const [action, name, ...rest] = ctx.positionals;
    if (!action || !["add", "leave", "role", "key", "list"].includes(action))
      throw new InputError(
        `coop members needs an action: add, leave, role, key or list${action ? ` (not '${action}')` : ""}`,
        "see coop members --help",
      );
    if (rest.length) throw new InputError(`coop members ${action} takes one name, got '${rest.join(" ")}' too`);
    const edited = openYaml(ctx.root, MEMBERS_FILE, MembersSchema);
    if (action === "list") {
      const list = edited.before.members.map((m) => ({ name: m.name, roles: m.roles, keys: m.sshKeys.length, left: m.left }));
      if (ctx.json) ctx.io.json({ members: list });
      else
        for (const m of list)
          ctx.io.out(
            `${m.name.padEnd(16)} ${m.roles.join(",").padEnd(20)} ${m.keys} key${m.keys === 1 ? "" : "s"}${m.left ? `  (left ${m.left})` : ""}`,
          );
      return 0;
    }
    if (!name) throw new InputError(`coop members ${action} needs the member's short name`, `e.g. coop members ${action} linus …`);
    if (!MEMBER_NAME_RE.test(name)) throw new InputError(`'${name}' is not a member name (short, lower-case, e.g. linus)`);
    const index = edited.before.members.findIndex((m) => m.name === name);
    if (action !== "add" && index < 0)
      throw new InputError(`there is no member '${name}' in ${MEMBERS_FILE}`, "coop members list shows them");
    const edits: Edit[] = [];
    switch (action) {
      case "add": {
        if (index >= 0)
          throw new InputError(
            `'${name}' is already in ${MEMBERS_FILE}`,
            edited.before.members[index].left
              ? "a member who left is brought back by editing their left: by hand, then coop approve --members"
              : "coop members role / key change an existing member",
          );
        const entry: Record<string, unknown> = { name };
        const display = stringFlag(ctx, "display-name");
        if (display) entry.displayName = display;
        entry.roles = rolesFlag(ctx);
        const loomio = stringFlag(ctx, "loomio-user");
        if (loomio !== undefined) {
          if (!/^\d+$/.test(loomio)) throw new InputError(`--loomio-user must be a number, got '${loomio}'`);
          entry.loomioUserId = Number(loomio);
        }
        entry.sshKeys = [keyFlag(ctx)];
        edits.push({ append: ["members"], value: entry });
        break;
      }
      case "leave":
        if (edited.before.members[index].left) throw new InputError(`${name} has already left (${edited.before.members[index].left})`);
        edits.push({ set: ["members", index, "left"], value: now().toISOString().slice(0, 10) });
        break;
      case "role":
        edits.push({ set: ["members", index, "roles"], value: rolesFlag(ctx) });
        break;
      case "key": {
        const line = keyFlag(ctx);
        const id = parsePublicKeyLine(line).id;
        const keys = edited.before.members[index].sshKeys;
        if (!ctx.values.replace && keys.some((k) => parsePublicKeyLine(k).id === id)) throw new InputError(`${name} already has this key`);
        edits.push({ set: ["members", index, "sshKeys"], value: ctx.values.replace ? [line] : [...keys, line] });
        break;
      }
    }
    const after = saveYaml(ctx.root, edited, MembersSchema, edits);
    const next = nextStep(ctx, after);
    if (ctx.json) ctx.io.json({ members: after.members.length, change: next.change, next: next.commands });
    else {
      ctx.io.out(`Updated ${MEMBERS_FILE}.`);
      for (const line of next.lines) ctx.io.out(line);
    }
    return 0;
  },
};

function rolesFlag(ctx: Context): string[] {
  const raw = stringFlag(ctx, "role");
  if (!raw) throw new InputError("--role is required", "e.g. --role member, or --role admin,tech");
  const roles = [
    ...new Set(
      raw
        .split(/[,+]/)
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  ];
  const bad = roles.find((r) => !ROLE_RE.test(r));
  if (bad || roles.length === 0)
    throw new InputError(`'${bad ?? raw}' is not a role name`, "roles are short lower-case words such as member, admin, tech");
  return roles;
}

function keyFlag(ctx: Context): string {
  const arg = stringFlag(ctx, "key");
  if (!arg) throw new InputError("--key is required", "pass the member's public key: their .pub file, e.g. --key linus.pub");
  let line = arg.trim();
  if (!KEY_LINE_RE.test(line)) {
    const path = resolve(ctx.root, arg.replace(/^~(?=\/)/, process.env.HOME ?? "~"));
    if (!existsSync(path))
      throw new InputError(`--key is neither a public key line nor a file: ${arg}`, "pass the .pub file, e.g. --key ~/.ssh/id_ed25519.pub");
    line = readFileSync(path, "utf8").trim();
    if (line.includes("PRIVATE KEY"))
      throw new InputError(`${arg} is a private key`, "pass the .pub file; a private key never leaves its owner's machine");
  }
  try {
    parsePublicKeyLine(line);
  } catch (e) {
    throw new InputError(`the key cannot be used: ${(e as KeyParseError).message}`, "paste the whole line of the .pub file");
  }
  return line;
}

/** What the change needs, by the bylaws and members list the ledger approved last. */
function nextStep(ctx: Context, after: Members): { lines: string[]; commands: string[]; change?: ReturnType<typeof membersChange> } {
  const ledger = loadLedger(ctx.root, { locks: false });
  const head = governanceChain(ledger).head;
  if (!head) return { lines: ["The ledger has no founding yet: coop init starts it."], commands: ["coop init"] };
  let approved: Members;
  try {
    approved = ledger.objects.get("members", head.decision.members);
  } catch (e) {
    return {
      lines: [`The approved members list cannot be read (${(e as Error).message}): restore governance/objects from git.`],
      commands: [],
    };
  }
  const rules = ledger.objects.get("rules", head.decision.rules);
  const change = membersChange(approved, after);
  const cls = classifyMembership(change, signingRoles(rules));
  if (cls.beyondRoutine.length) {
    const commands = ["coop propose --members --post", "coop decide --members --poll <key>"];
    return {
      change,
      commands,
      lines: [`This needs a vote of the members: it ${cls.beyondRoutine.join("; ")}.`, ...commands.map((c) => `  ${c}`)],
    };
  }
  const commands = ["coop approve --members --key ~/.ssh/id_ed25519"];
  const self = cls.mustSign.length
    ? `; ${cls.mustSign.join(", ")} sign${cls.mustSign.length === 1 ? "s" : ""} it too (coop sign <decision> --key <their previous key>)`
    : "";
  return {
    change,
    commands,
    lines: [
      `This is routine membership: record it with the signatures the bylaws set (membership.signatures)${self}:`,
      ...commands.map((c) => `  ${c}`),
    ],
  };
}
