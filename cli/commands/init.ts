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
import { foundingFiles, planFounding } from "../ledger/founding";
import { now } from "../../kernel/clock";
import { type Decision, OBJECTS_DIR, readCodeManifest } from "../../rulebook";
import { signWithSshKeygen, publicKeyOf } from "../ledger/ssh-sign";

export const command: Command = {
  name: "init",
  summary: "start a fork's own record: its name, domain and members, and a fresh genesis ledger",
  usage: `usage: coop init --name NAME --domain DOMAIN --member NAME:ROLES:KEY [--member …]
                 [--loomio-url URL] [--loomio-group ID] [--ssh-source CIDR …] [--key PATH] [--json]

For a co-op that forked the repository. Sets the co-op's name, domain, admins (members with
the admin role) and mailboxes in every stacks/<stack>.yaml; writes governance/members.yaml;
keeps the bylaws (governance/rules.yaml) but points them at the co-op's Loomio instance and
group; removes the decisions, stored versions, locks and stack configs (Pulumi.<stack>.yaml,
which hold encrypted secrets) of the co-op it forked; and starts the co-op's own ledger: a
founding that adopts the bylaws, the members list and the code as their first versions, and a
genesis per stack with the plan rendered now. From then on every change to any of them is
decided under the version before it. No prompts; everything comes from flags. Nothing is written
unless every stack plans.

  --name NAME          the co-op's name, e.g. "River Co-op"
  --domain DOMAIN      its domain, e.g. river.coop
  --member N:ROLES:KEY a member: short name, roles joined by '+' (admin, tech, member …), and
                       an SSH public key (a .pub file, or the key line itself). Repeat per member;
                       at least one admin.
  --loomio-url URL     the co-op's Loomio instance (rules.yaml loomio.url), e.g. https://loomio.river.coop
  --loomio-group ID    the Loomio group whose members vote (rules.yaml loomio.groupId)
  --ssh-source CIDR    a network allowed to reach SSH on the servers (repeat); replaces the
                       example's documentation addresses
  --key PATH           also sign the founding and the geneses with this (admin's) key
  --json               print {name, domain, members, stacks, decisions, removed, next}`,
  options: {
    name: { type: "string" },
    domain: { type: "string" },
    member: { type: "string", multiple: true },
    "loomio-group": { type: "string" },
    "loomio-url": { type: "string" },
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
    const at = now().toISOString();
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

    const rulesText = rewriteRules(root, group === undefined ? null : Number(group), stringFlag(ctx, "loomio-url") ?? null);
    const rules: Rules = RulesSchema.parse(parseDocument(rulesText).toJS());
    const membersText = renderMembers(members);

    // The stack configs of the co-op it forked go: the code adopted is the tree without them.
    const oldConfigs = safeList(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
    const code = readCodeManifest(root);
    for (const f of oldConfigs) delete code.files[f];
    const founding = await planFounding({
      project,
      coopName: name,
      rules,
      members,
      code,
      stacks: specs,
      at,
      note: `${name} starts its own ledger with coop init.`,
    });
    let records: Decision[] = [founding.founding, ...founding.geneses.map((g) => g.decision)];
    const keyPath = stringFlag(ctx, "key");
    if (keyPath) {
      const key = publicKeyOf(keyPath);
      const signer = members.members.find((m) => m.sshKeys.some((l) => parsePublicKeyLine(l).id === key.id));
      if (!signer)
        throw new InputError(`the key ${keyPath} is not one of the members' keys`, "pass the private key of an admin given with --member");
      if (!signer.roles.some((r) => rules.signatures.genesis.roles.includes(r)))
        throw new InputError(
          `${signer.name} cannot sign the founding: the bylaws need role ${rules.signatures.genesis.roles.join(" or ")}`,
        );
      records = records.map(
        (d) =>
          ({ ...d, signatures: [{ member: signer.name, signature: signWithSshKeygen(keyPath, signaturePayload(d), key) }] }) as Decision,
      );
    }
    const signed = { ...founding, founding: records[0], geneses: founding.geneses.map((g, i) => ({ ...g, decision: records[i + 1] })) };
    const files = foundingFiles(root, signed);
    const keep = new Set(files.map(([p]) => p));
    writeFilesAtomic([...specFiles, [join(root, RULES_FILE), rulesText], [join(root, MEMBERS_FILE), membersText], ...files]);
    const removed: string[] = [];
    for (const dir of [DECISIONS_DIR, APPROVED_DIR, OBJECTS_DIR]) {
      for (const f of safeList(join(root, dir))) {
        if (!keep.has(join(root, dir, f))) {
          rmSync(join(root, dir, f), { force: true });
          removed.push(`${dir}/${f}`);
        }
      }
    }
    for (const f of oldConfigs) {
      rmSync(join(root, f), { force: true });
      removed.push(f);
    }
    void LOCK_SUFFIX;

    const ids = records.map((d) => d.id);
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
    ctx.io.out(
      `Wrote the founding and genesis decisions ${ids.join(", ")}, their stored versions and locks, ${MEMBERS_FILE} and ${RULES_FILE}.`,
    );
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
  const parsed = MembersSchema.safeParse({ version: 2, members: list });
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

function rewriteRules(root: string, group: number | null, url: string | null): string {
  const path = join(root, RULES_FILE);
  if (!existsSync(path)) {
    const rules = RulesSchema.parse({ loomio: { groupId: group, url } });
    return `# yaml-language-server: $schema=./rules.schema.json\n# The co-op's bylaws for infrastructure changes (coop verify and the policy pack enforce them).\n${stringify(rules, { lineWidth: 0 })}`;
  }
  const doc = parseDocument(readFileSync(path, "utf8"));
  if (doc.errors.length) throw new InputError(`${RULES_FILE} is not valid YAML: ${doc.errors[0].message}`);
  if (!isMap(doc.get("loomio", true))) doc.set("loomio", doc.createNode({}));
  doc.setIn(["loomio", "groupId"], group);
  doc.setIn(["loomio", "url"], url);
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
    "# which roles sign what) and the SSH keys they sign decisions with. Every version is approved",
    "# in the ledger: change it with coop approve --members (routine) or a vote (roles).",
    stringify(
      {
        version: 2,
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
