import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { isMap, parseDocument, stringify, type Document } from "yaml";
import { KEY_LINE_RE, type KeyParseError, parsePublicKeyLine } from "../../kernel/ssh-keys";
import { MEMBER_NAME_RE, MEMBERS_FILE, MembersSchema, type Members } from "../../rulebook/records/members";
import { ROLE_RE, RULES_FILE, RulesSchema, type Rules } from "../../rulebook/records/rules";
import { DECISIONS_DIR } from "../../rulebook/records/decision";
import { APPROVED_DIR, LOCK_SUFFIX } from "../../rulebook/records/paths";
import { signaturePayload } from "../../rulebook/records/decision";
import { InputError } from "../../kernel/errors";
import { writeFilesAtomic } from "../../kernel/fs-atomic";
import { listStacks } from "../../stacks/load";
import { readProjectName } from "../../kernel/repo";
import { DOMAIN_RE, StackSpecSchema, type StackSpec } from "../../stacks/schema";
import type { Command, Context } from "../context";
import { stringFlag } from "../context";
import { genesisFiles, planGenesis } from "../ledger/genesis";
import { nowIso } from "../ledger/record";
import { signWithSshKeygen, publicKeyOf } from "../ledger/ssh-sign";

export const command: Command = {
  name: "init",
  summary: "start a fork's own record: its name, domain and members, and a fresh genesis ledger",
  usage: `usage: coop init --name NAME --domain DOMAIN --member NAME:ROLES:KEY [--member …]
                 [--loomio-group ID] [--ssh-source CIDR …] [--key PATH] [--json]

For a co-op that forked the repository. Sets the co-op's name, domain, admins (members with
the admin role) and mailboxes in every stacks/<stack>.yaml; writes governance/members.yaml;
keeps the bylaws (governance/rules.yaml) but points them at the new Loomio group; removes the
decisions, locks and stack configs (Pulumi.<stack>.yaml, which hold encrypted secrets) of the
co-op it forked; and records a genesis decision per stack: the plan rendered now, as the first
approved state. No prompts; everything comes from flags. Nothing is written unless every
stack plans.

  --name NAME          the co-op's name, e.g. "River Co-op"
  --domain DOMAIN      its domain, e.g. river.coop
  --member N:ROLES:KEY a member: short name, roles joined by '+' (admin, tech, member …), and
                       an SSH public key (a .pub file, or the key line itself). Repeat per member;
                       at least one admin.
  --loomio-group ID    the Loomio group whose members vote (rules.yaml electorate.loomioGroupId)
  --ssh-source CIDR    a network allowed to reach SSH on the servers (repeat); replaces the
                       example's documentation addresses
  --key PATH           also sign the genesis decisions with this (admin's) key
  --json               print {name, domain, members, stacks, decisions, removed, next}`,
  options: {
    name: { type: "string" },
    domain: { type: "string" },
    member: { type: "string", multiple: true },
    "loomio-group": { type: "string" },
    "ssh-source": { type: "string", multiple: true },
    key: { type: "string" },
  },
  async run(ctx) {
    const name = stringFlag(ctx, "name")?.trim();
    const domain = stringFlag(ctx, "domain")?.trim().toLowerCase();
    if (!name) throw new InputError("--name is required", 'e.g. --name "River Co-op"');
    if (!domain) throw new InputError("--domain is required", "e.g. --domain river.coop");
    if (!DOMAIN_RE.test(domain)) throw new InputError(`'${domain}' is not a domain name`, "e.g. --domain river.coop (no scheme, no path)");
    const members = parseMembers(ctx);
    const admins = members.members.filter((m) => m.roles.includes("admin"));
    if (admins.length === 0)
      throw new InputError(
        "no member has the admin role",
        "give at least one member the admin role, e.g. --member ada:admin+tech:~/.ssh/id_ed25519.pub",
      );
    const group = stringFlag(ctx, "loomio-group");
    if (group !== undefined && !/^\d+$/.test(group)) throw new InputError(`--loomio-group must be the group's number, got '${group}'`);
    const sshSources = (ctx.values["ssh-source"] as string[] | undefined) ?? [];

    const root = ctx.root;
    const project = readProjectName(root);
    const at = nowIso(ctx.env);
    const stacks = listStacks(root);
    if (stacks.length === 0)
      throw new InputError("there is no stack spec in stacks/", "copy stacks/example.yaml to stacks/<your-stack>.yaml first");

    const specFiles: Array<[string, string]> = [];
    const specs: Array<{ stack: string; spec: StackSpec }> = [];
    for (const stack of stacks) {
      const file = `stacks/${stack}.yaml`;
      const doc = parseDocument(readFileSync(join(root, file), "utf8"));
      if (doc.errors.length)
        throw new InputError(`${file} is not valid YAML: ${doc.errors[0].message}`, `fix it first (coop plan --stack ${stack})`);
      rewriteSpec(doc, name, domain, members, sshSources);
      const parsed = StackSpecSchema.safeParse(doc.toJS());
      if (!parsed.success) {
        throw new InputError(
          `${file} would not be valid for the new co-op: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
          "adjust the flags (e.g. --ssh-source) or the file, then run coop init again",
        );
      }
      specFiles.push([join(root, file), doc.toString({ lineWidth: 0 })]);
      specs.push({ stack, spec: parsed.data });
    }

    const rulesText = rewriteRules(root, group === undefined ? null : Number(group));
    const rules: Rules = RulesSchema.parse(parseDocument(rulesText).toJS());
    const membersText = renderMembers(members);

    const entries = await planGenesis({
      project,
      coopName: name,
      rules,
      stacks: specs,
      at,
      note: (stack) => `Starting state of stack ${stack} of ${name}, set up with coop init.`,
    });
    const keyPath = stringFlag(ctx, "key");
    if (keyPath) {
      const key = publicKeyOf(keyPath);
      const signer = members.members.find((m) => m.sshKeys.some((l) => parsePublicKeyLine(l).id === key.id));
      if (!signer)
        throw new InputError(`the key ${keyPath} is not one of the members' keys`, "pass the private key of an admin given with --member");
      if (!signer.roles.some((r) => rules.signatures.genesis.roles.includes(r)))
        throw new InputError(
          `${signer.name} cannot sign genesis decisions: the rules need role ${rules.signatures.genesis.roles.join(" or ")}`,
        );
      for (const e of entries) {
        const signature = signWithSshKeygen(keyPath, signaturePayload(e.decision), key);
        (e as { decision: typeof e.decision }).decision = { ...e.decision, signatures: [{ member: signer.name, signature }] };
      }
    }

    const newDecisions = new Set(entries.map((e) => `${e.decision.id}.yaml`));
    const newLocks = new Set(entries.map((e) => `${e.stack}${LOCK_SUFFIX}`));
    writeFilesAtomic([
      ...specFiles,
      [join(root, RULES_FILE), rulesText],
      [join(root, MEMBERS_FILE), membersText],
      ...genesisFiles(root, entries),
    ]);
    const removed: string[] = [];
    const remove = (dir: string, keep: Set<string>, suffix: string) => {
      for (const f of safeList(join(root, dir)))
        if (f.endsWith(suffix) && !keep.has(f)) {
          rmSync(join(root, dir, f), { force: true });
          removed.push(`${dir}/${f}`);
        }
    };
    remove(DECISIONS_DIR, newDecisions, ".yaml");
    remove(APPROVED_DIR, newLocks, LOCK_SUFFIX);
    for (const f of safeList(root))
      if (/^Pulumi\..+\.yaml$/.test(f)) {
        rmSync(join(root, f), { force: true });
        removed.push(f);
      }

    const ids = entries.map((e) => e.decision.id);
    const signCmds = keyPath && rules.signatures.genesis.count <= 1 ? [] : ids.map((id) => `coop sign ${id} --key ~/.ssh/id_ed25519`);
    const next = [
      "git diff   # review the new name, domain, admins and mailboxes in stacks/",
      ...signCmds,
      "coop verify",
      'git add stacks governance && git commit -m "Start our own record"',
      `export LOOMIO_URL=… LOOMIO_API_KEY=… LOOMIO_GROUP_ID=${group ?? "<your group id>"}   # for coop propose --post and coop decide`,
    ];
    if (ctx.json) {
      ctx.io.json({
        name,
        domain,
        members: members.members.map((m) => ({ name: m.name, roles: m.roles })),
        stacks,
        decisions: ids,
        removed,
        next,
      });
      return 0;
    }
    ctx.io.out(
      `Set up ${name} (${domain}) with ${members.members.length} member${members.members.length === 1 ? "" : "s"} and ${stacks.length} stack${stacks.length === 1 ? "" : "s"}.`,
    );
    ctx.io.out(`Wrote genesis decisions ${ids.join(", ")}, their locks, ${MEMBERS_FILE} and ${RULES_FILE}.`);
    if (removed.length) ctx.io.out(`Removed what belonged to the co-op you forked: ${removed.join(", ")}.`);
    if (sshSources.length === 0)
      ctx.io.out(
        "Note: host.sshSources still lists the example's documentation addresses; set yours with --ssh-source or in stacks/<stack>.yaml.",
      );
    ctx.io.out(`\nNext:\n${next.map((l) => `  ${l}`).join("\n")}`);
    return 0;
  },
};

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function parseMembers(ctx: Context): Members {
  const raw = (ctx.values.member as string[] | undefined) ?? [];
  if (raw.length === 0) throw new InputError("at least one --member is needed", "e.g. --member ada:admin+tech:~/.ssh/id_ed25519.pub");
  const list = raw.map((text) => {
    const first = text.indexOf(":");
    const second = first < 0 ? -1 : text.indexOf(":", first + 1);
    if (first < 0 || second < 0)
      throw new InputError(`--member '${text}' must be NAME:ROLES:KEY`, "e.g. --member ada:admin+tech:/home/ada/.ssh/id_ed25519.pub");
    const name = text.slice(0, first);
    const roles = text
      .slice(first + 1, second)
      .split(/[+,]/)
      .filter(Boolean);
    const keyArg = text.slice(second + 1).trim();
    if (!MEMBER_NAME_RE.test(name)) throw new InputError(`member name '${name}' must be short and lower-case, e.g. ada`);
    if (roles.length === 0 || roles.some((r) => !ROLE_RE.test(r)))
      throw new InputError(`roles '${text.slice(first + 1, second)}' of ${name} must be names such as admin+tech`);
    let line = keyArg;
    if (!KEY_LINE_RE.test(keyArg)) {
      const path = resolve(keyArg.replace(/^~(?=\/)/, process.env.HOME ?? "~"));
      if (!existsSync(path))
        throw new InputError(
          `the key of ${name} is neither a public key line nor a file: ${keyArg}`,
          "pass the .pub file, e.g. ~/.ssh/id_ed25519.pub",
        );
      line = readFileSync(path, "utf8").trim();
      if (!line.includes(" ") || line.includes("PRIVATE KEY"))
        throw new InputError(`${keyArg} is not a public key file`, "pass the .pub file, never the private key");
    }
    try {
      parsePublicKeyLine(line);
    } catch (e) {
      throw new InputError(`the key of ${name} cannot be used: ${(e as KeyParseError).message}`);
    }
    return { name, displayName: "", roles, loomioUserId: null, sshKeys: [line], left: null };
  });
  const parsed = MembersSchema.safeParse({ version: 1, members: list });
  if (!parsed.success)
    throw new InputError(`the members are not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** Points a spec at the new co-op, keeping its comments and everything else. */
function rewriteSpec(doc: Document, name: string, domain: string, members: Members, sshSources: string[]): void {
  doc.setIn(["coop", "name"], name);
  const target = doc.getIn(["host", "target"]) ?? "hetzner";
  doc.setIn(["domain"], target === "local" ? `${domain.split(".")[0]}.localhost` : domain);
  if (target === "hetzner") {
    const admins = members.members.filter((m) => m.roles.includes("admin")).map((m) => ({ name: m.name, sshPublicKey: m.sshKeys[0] }));
    doc.setIn(["host", "admins"], doc.createNode(admins));
    if (sshSources.length) doc.setIn(["host", "sshSources"], doc.createNode(sshSources));
  }
  const boxes = doc.get("mailboxes", true);
  if (boxes !== undefined) {
    const old = (doc.toJS() as { mailboxes?: Array<{ aliases?: string[] }> }).mailboxes ?? [];
    const roleAliases = [...new Set(old.flatMap((m) => m.aliases ?? []))];
    const firstAdmin = members.members.find((m) => m.roles.includes("admin"))!;
    const mailboxes = members.members.map((m) => ({
      localPart: m.name,
      name: m.displayName || m.name,
      aliases: m === firstAdmin ? roleAliases : [],
    }));
    doc.set("mailboxes", doc.createNode(mailboxes));
  }
}

function rewriteRules(root: string, group: number | null): string {
  const path = join(root, RULES_FILE);
  if (!existsSync(path)) {
    const rules = RulesSchema.parse({ electorate: { loomioGroupId: group } });
    return `# yaml-language-server: $schema=./rules.schema.json\n# The co-op's bylaws for infrastructure changes (coop verify and the policy pack enforce them).\n${stringify(rules, { lineWidth: 0 })}`;
  }
  const doc = parseDocument(readFileSync(path, "utf8"));
  if (doc.errors.length) throw new InputError(`${RULES_FILE} is not valid YAML: ${doc.errors[0].message}`);
  if (!isMap(doc.get("electorate", true))) doc.set("electorate", doc.createNode({}));
  doc.setIn(["electorate", "loomioGroupId"], group);
  const parsed = RulesSchema.safeParse(doc.toJS());
  if (!parsed.success)
    throw new InputError(
      `${RULES_FILE} is not valid: ${parsed.error.issues[0].path.join(".")}: ${parsed.error.issues[0].message}`,
      "fix it first (coop verify)",
    );
  return doc.toString({ lineWidth: 0 });
}

function renderMembers(members: Members): string {
  return [
    "# yaml-language-server: $schema=./members.schema.json",
    "#",
    "# Members who take part in infrastructure decisions, their roles (governance/rules.yaml says",
    "# which roles sign what) and the SSH keys they sign decisions with. Keep former members with",
    "# `left: <date>` so the decisions they signed still verify.",
    stringify(
      {
        version: 1,
        members: members.members.map((m) => ({
          name: m.name,
          ...(m.displayName ? { displayName: m.displayName } : {}),
          roles: m.roles,
          ...(m.loomioUserId !== null ? { loomioUserId: m.loomioUserId } : {}),
          sshKeys: m.sshKeys,
        })),
      },
      { lineWidth: 0 },
    ),
  ].join("\n");
}
