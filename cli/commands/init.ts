import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { now } from "../../kernel/clock";
import { InputError } from "../../kernel/errors";
import { writeFilesAtomic } from "../../kernel/fs-atomic";
import { readProjectName } from "../../kernel/repo";
import { KEY_LINE_RE, type KeyParseError, parsePublicKeyLine } from "../../kernel/ssh-keys";
import { codeFileDigest, type Decision, OBJECTS_DIR, readCodeManifest } from "../../rulebook";
import { DECISIONS_DIR, signaturePayload } from "../../rulebook/records/decision";
import { MEMBER_NAME_RE, MEMBERS_FILE, type Members, MembersSchema } from "../../rulebook/records/members";
import { APPROVED_DIR } from "../../rulebook/records/paths";
import { ROLE_RE, RULES_FILE, type Rules, RulesSchema } from "../../rulebook/records/rules";
import { listStacks } from "../../stacks/load";
import { checkReadiness, type Finding, placeholderDomainReason, renderReadiness } from "../../stacks/readiness";
import { DOMAIN_RE, type StackSpec, StackSpecSchema } from "../../stacks/schema";
import type { Command, Context } from "../context";
import { interactive, stringFlag } from "../context";
import { withMatrixStacks, withStartStack, workflowNamesStacks } from "../edit/stack-names";
import { appendItem, removeItem, setValue, splice, SpliceError, type Path } from "../edit/yaml-splice";
import { EXAMPLE_STACKS, parseStackRequest, planStacks, renameStacks, type NewStack } from "../init/stack-shapes";
import { ledgerOwnership } from "../ledger/example-records";
import { foundingFiles, planFounding } from "../ledger/founding";
import { publicKeyOf, signWithSshKeygen } from "../ledger/ssh-sign";
import { gatherReadiness } from "../readiness/inputs";

const WORKFLOWS_DIR = ".github/workflows";
const DISCARD_FLAG = "--discard-ledger";

export const command: Command = {
  name: "init",
  summary: "start a fork's own record: its name, domain, members and stacks, and a fresh founding ledger",
  usage: `usage: coop init --name NAME --domain DOMAIN --member NAME:ROLES:KEY [--member …]
                 [--stack NAME[:SHAPE] …] [--loomio-url URL] [--loomio-group ID]
                 [--ssh-source CIDR …] [--key PATH] [--discard-ledger] [--json]

For a co-op that forked the repository. Sets the co-op's name, domain, admins (members with
the admin role) and mailboxes in every stacks/<stack>.yaml (the example's domain in comments
too); writes governance/members.yaml; keeps the bylaws (governance/rules.yaml) but points them
at the co-op's Loomio instance and group; replaces the bundled example's ledger and starts the
co-op's own: a founding that adopts the bylaws, the members list and the code as their first
versions, and a genesis per stack with the plan rendered now. From then on every change to any
of them is decided under the version before it. Only the lines that change are rewritten; a file
with nothing to change keeps every byte. Nothing is written unless every stack plans. It ends
with the checklist of \`coop doctor\`: every example value still to replace before a real deploy.

It never discards a co-op's own record unasked: when the repository holds decisions that are not
the bundled example's (a co-op's founding, votes, emergencies …), stack configs
(Pulumi.<stack>.yaml, which hold encrypted secrets) or specs of its own that would go, it lists
them and asks at a terminal; without one (or in CI) it refuses unless --discard-ledger is given.

  --name NAME          the co-op's name, e.g. "River Co-op"
  --domain DOMAIN      its domain, e.g. river.coop
  --member N:ROLES:KEY a member: short name, roles joined by '+' (admin, tech, member …), and
                       an SSH public key (a .pub file, or the key line itself). Repeat per member;
                       at least one admin.
  --stack NAME[:SHAPE] one of the co-op's stacks (repeat): writes stacks/NAME.yaml from the example
                       of SHAPE — one-host (the default: every service on one server, from
                       example.yaml), split (NAME-mail, NAME-social and NAME-cloud, one server
                       each, from split-*.yaml), grown (database and Sidekiq workers on hosts of
                       their own, media in object storage, from example-grown.yaml) or local
                       (this machine's Docker, from local.yaml).
                       A NAME whose spec exists keeps it. The specs not named are removed (listed),
                       and the workflows' matrix.stack and npm start name the new stacks.
                       Without --stack, every existing spec is kept under its name.
  --loomio-url URL     the co-op's Loomio instance (rules.yaml loomio.url), e.g. https://loomio.river.coop
  --loomio-group ID    the Loomio group whose members vote (rules.yaml loomio.groupId)
  --ssh-source CIDR    a network allowed to reach SSH on the servers (repeat); replaces the
                       example's documentation addresses
  --key PATH           also sign the founding and the geneses with this (admin's) key
  --discard-ledger     discard the co-op's own decisions, stack configs and specs listed above
  --json               print {name, domain, members, stacks, decisions, removed, checklist, next}`,
  options: {
    name: { type: "string" },
    domain: { type: "string" },
    member: { type: "string", multiple: true },
    stack: { type: "string", multiple: true },
    "loomio-group": { type: "string" },
    "loomio-url": { type: "string" },
    "ssh-source": { type: "string", multiple: true },
    key: { type: "string" },
    "discard-ledger": { type: "boolean" },
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
    const requests = ((ctx.values.stack as string[] | undefined) ?? []).map(parseStackRequest);

    const root = ctx.root;
    const project = readProjectName(root);
    const at = now().toISOString();
    const existing = listStacks(root);
    if (existing.length === 0)
      throw new InputError("there is no stack spec in stacks/", "restore the examples from git (git restore stacks) first");
    const plan: NewStack[] = requests.length ? planStacks(requests, existing) : existing.map((s) => ({ stack: s, from: s, renames: [] }));
    const stacks = plan.map((p) => p.stack);
    const goneSpecs = existing.filter((s) => !stacks.includes(s)).map((s) => `stacks/${s}.yaml`);

    const specFiles: Array<[string, string]> = [];
    const specs: Array<{ stack: string; spec: StackSpec }> = [];
    for (const p of plan) {
      const source = `stacks/${p.from}.yaml`;
      const file = `stacks/${p.stack}.yaml`;
      const text = rewriteSpec(
        renameStacks(readFileSync(join(root, source), "utf8"), p.renames),
        source,
        name,
        domain,
        members,
        sshSources,
      );
      const parsed = StackSpecSchema.safeParse(parseYaml(text));
      if (!parsed.success) {
        throw new InputError(
          `${file} would not be valid for the new co-op: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
          "adjust the flags (e.g. --ssh-source) or the file, then run coop init again",
        );
      }
      specFiles.push([join(root, file), text]);
      specs.push({ stack: p.stack, spec: parsed.data });
    }

    const rulesText = rewriteRules(root, group === undefined ? undefined : Number(group), stringFlag(ctx, "loomio-url"));
    const rules: Rules = RulesSchema.parse(parseYaml(rulesText));
    const membersText = renderMembers(members);
    const codeFiles = requests.length ? stackNameFiles(root, specs) : [];

    // What is the co-op's own, and would go: asked for (or refused) before anything is written.
    const ownership = ledgerOwnership(root);
    const oldConfigs = safeList(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
    const ownSpecs = goneSpecs.filter((f) => !(f.slice("stacks/".length, -".yaml".length) in EXAMPLE_STACKS));
    const own = [...ownership.own, ...oldConfigs, ...ownSpecs];
    if (own.length > 0 && ctx.values["discard-ledger"] !== true) await confirmDiscard(ctx, own);

    // The code adopted is the tree as init leaves it: without the old stack configs, with the edits.
    const code = readCodeManifest(root);
    for (const f of oldConfigs) delete code.files[f];
    for (const [rel, text] of codeFiles) code.files[rel] = codeFileDigest(text, code.files[rel]?.endsWith("+x") ?? false);
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
    const originalRules = existsSync(join(root, RULES_FILE)) ? readFileSync(join(root, RULES_FILE), "utf8") : undefined;
    writeFilesAtomic([
      ...specFiles,
      ...(rulesText === originalRules ? [] : [[join(root, RULES_FILE), rulesText] as [string, string]]),
      [join(root, MEMBERS_FILE), membersText],
      ...codeFiles.map(([rel, text]) => [join(root, rel), text] as [string, string]),
      ...files,
    ]);
    const removed: string[] = [];
    const remove = (rel: string) => {
      rmSync(join(root, rel), { force: true });
      removed.push(rel);
    };
    for (const dir of [DECISIONS_DIR, APPROVED_DIR, OBJECTS_DIR])
      for (const f of safeList(join(root, dir))) if (!keep.has(join(root, dir, f))) remove(`${dir}/${f}`);
    for (const f of [...oldConfigs, ...goneSpecs]) remove(f);

    // The same readiness check as coop doctor, on what init wrote.
    const checklist: Array<{ stack: string; findings: Finding[] }> = [];
    for (const stack of stacks) checklist.push({ stack, findings: checkReadiness(await gatherReadiness(root, stack)) });

    const ids = records.map((d) => d.id);
    const signCmds = keyPath && rules.signatures.genesis.count <= 1 ? [] : ids.map((id) => `coop sign ${id} --key ~/.ssh/id_ed25519`);
    const next = [
      "git diff   # review the new name, domain, admins and mailboxes in stacks/",
      ...signCmds,
      "coop verify",
      'git add -A && git commit -m "Start our own record"',
      ...stacks.map((s) => `coop doctor --stack ${s}   # before the first real deploy`),
    ];
    if (ctx.json) {
      ctx.io.json({
        name,
        domain,
        members: members.members.map((m) => ({ name: m.name, roles: m.roles })),
        stacks,
        decisions: ids,
        removed,
        checklist,
        next,
      });
      return 0;
    }
    ctx.io.out(
      `Set up ${name} (${domain}) with ${members.members.length} member${members.members.length === 1 ? "" : "s"} and ${stacks.length} stack${stacks.length === 1 ? "" : "s"} (${stacks.join(", ")}).`,
    );
    ctx.io.out(
      `Wrote the founding and genesis decisions ${ids.join(", ")}, their stored versions and locks, ${MEMBERS_FILE}${rulesText === originalRules ? "" : ` and ${RULES_FILE}`}${codeFiles.length ? `, ${codeFiles.map(([f]) => f).join(", ")}` : ""}.`,
    );
    if (removed.length) ctx.io.out(`Removed:\n${removed.map((f) => `  ${f}`).join("\n")}`);
    ctx.io.out("\nChecklist before a real deploy (coop doctor):");
    for (const c of checklist) ctx.io.out(`\n${renderReadiness(c.stack, c.findings, false)}`);
    ctx.io.out(`\nNext:\n${next.map((l) => `  ${l}`).join("\n")}`);
    return 0;
  },
};

/**
 * Asks before discarding the co-op's own files; refuses without a terminal. Throws unless the
 * person at the terminal answered yes.
 */
async function confirmDiscard(ctx: Context, own: readonly string[]): Promise<void> {
  const list = own.map((f) => `  ${f}`).join("\n");
  const what = `this repository holds a co-op's own files (decisions, stack configs with encrypted secrets, specs), which coop init would discard:\n${list}`;
  const terminal = interactive(ctx);
  if (!terminal)
    throw new InputError(
      `${what}\nNothing was changed.`,
      `if these are not yours to keep (check with git log -- governance), run the same command with ${DISCARD_FLAG}; to change members or stacks of a running co-op use coop members, coop mailbox or a proposal instead`,
    );
  ctx.io.err(`coop: ${what}`);
  const answer = (
    await terminal.ask(`Discard ${own.length === 1 ? "this file" : `these ${own.length} files`} and start a new ledger? [y/N] `)
  ).trim();
  if (!/^(y|yes)$/i.test(answer))
    throw new InputError("nothing was changed: the co-op's own files are kept", `to discard them without asking, add ${DISCARD_FLAG}`);
}

/** The workflows and package.json with the new stacks (only those that change). */
function stackNameFiles(root: string, specs: ReadonlyArray<{ stack: string; spec: StackSpec }>): Array<[string, string]> {
  // CI previews and deploys the Hetzner stacks; a local stack runs on someone's own machine.
  const deployed = specs.filter((s) => s.spec.host.target === "hetzner").map((s) => s.stack);
  const all = specs.map((s) => s.stack);
  const out: Array<[string, string]> = [];
  for (const f of safeList(join(root, WORKFLOWS_DIR)).filter((n) => /\.ya?ml$/.test(n))) {
    const rel = `${WORKFLOWS_DIR}/${f}`;
    const text = readFileSync(join(root, rel), "utf8");
    if (!workflowNamesStacks(text)) continue;
    if (deployed.length === 0)
      throw new InputError(
        `${rel} deploys stacks, and none of the --stack given runs on Hetzner`,
        "add a Hetzner stack (e.g. --stack prod), or list your stacks in its matrix.stack by hand",
      );
    const next = withMatrixStacks(text, deployed);
    if (next !== text) out.push([rel, next]);
  }
  if (existsSync(join(root, "package.json"))) {
    const text = readFileSync(join(root, "package.json"), "utf8");
    const next = withStartStack(text, all, deployed[0] ?? all[0]);
    if (next !== text) out.push(["package.json", next]);
  }
  return out;
}

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

/**
 * Points a spec's text at the new co-op: the example's domain (in comments too), the name, the
 * admins, the SSH sources and the mailboxes. Only those lines change; comments, alignment and
 * key order stay.
 */
function rewriteSpec(text: string, file: string, name: string, domain: string, members: Members, sshSources: string[]): string {
  const localDomain = `${domain.split(".")[0]}.localhost`;
  const renamed = text.replace(/\bexample\.coop\b/g, domain).replace(/\bexample\.localhost\b/g, localDomain);
  const before = parseYaml(renamed) as { host?: { target?: string }; mailboxes?: Array<{ aliases?: string[] }> } | null;
  if (!before || typeof before !== "object")
    throw new InputError(`${file} is not a stack spec`, `restore it from git (git restore ${file})`);
  const target = before.host?.target ?? "hetzner";
  const admins = members.members.filter((m) => m.roles.includes("admin"));
  const roleAliases = [...new Set((before.mailboxes ?? []).flatMap((m) => m.aliases ?? []))];
  const mailboxes = members.members.map((m) => ({
    localPart: m.name,
    name: m.displayName || m.name,
    ...(m === admins[0] && roleAliases.length ? { aliases: roleAliases } : {}),
  }));
  try {
    return splice(renamed, (d) => {
      setIfDifferent(d, ["coop", "name"], name);
      setIfDifferent(d, ["domain"], target === "local" ? localDomain : domain);
      if (target === "hetzner") {
        replaceList(
          d,
          ["host", "admins"],
          admins.map((m) => ({ name: m.name, sshPublicKey: m.sshKeys[0] })),
        );
        if (sshSources.length) replaceList(d, ["host", "sshSources"], sshSources);
      }
      if (before.mailboxes !== undefined) replaceList(d, ["mailboxes"], mailboxes);
    });
  } catch (e) {
    if (e instanceof SpliceError)
      throw new InputError(
        `${file} cannot be changed automatically: ${e.message}`,
        "set the name, domain, admins and mailboxes by hand, then run coop init again",
      );
    throw e;
  }
}

function setIfDifferent(d: { text: string }, path: Path, value: unknown): void {
  let node: unknown = parseYaml(d.text);
  for (const k of path) node = (node as Record<string | number, unknown> | null)?.[k];
  if (node !== value) setValue(d, path, value);
}

/** Replaces a list's items, each written as its siblings were (a block list keeps its layout). */
function replaceList(d: { text: string }, path: Path, items: readonly unknown[]): void {
  let node: unknown = parseYaml(d.text);
  for (const k of path) node = (node as Record<string | number, unknown> | null)?.[k];
  const old = Array.isArray(node) ? node.length : 0;
  if (old === 0 || items.length === 0) {
    setValue(d, path, [...items]);
    return;
  }
  for (const item of items) appendItem(d, path, item);
  for (let i = 0; i < old; i++) removeItem(d, path, 0);
}

/**
 * The bylaws pointed at the co-op's Loomio instance and group, changing only those lines: a URL
 * not given stays unless it is the example's placeholder. Unchanged text when nothing changes.
 */
function rewriteRules(root: string, group: number | undefined, url: string | undefined): string {
  const path = join(root, RULES_FILE);
  if (!existsSync(path)) {
    const rules = RulesSchema.parse({ loomio: { groupId: group ?? null, url: url ?? null } });
    return `# yaml-language-server: $schema=./rules.schema.json\n# The co-op's bylaws for infrastructure changes (coop verify and the policy pack enforce them).\n${stringify(rules, { lineWidth: 0 })}`;
  }
  const text = readFileSync(path, "utf8");
  const current = RulesSchema.safeParse(parseYaml(text));
  if (!current.success)
    throw new InputError(
      `${RULES_FILE} is not valid: ${current.error.issues[0].path.join(".")}: ${current.error.issues[0].message}`,
      "fix it first (coop verify)",
    );
  const old = current.data.loomio;
  const placeholder = old.url !== null && placeholderDomainReason(new URL(old.url).hostname) !== undefined;
  const nextUrl = url ?? (placeholder ? null : old.url);
  const nextGroup = group ?? (placeholder && url === undefined ? null : old.groupId);
  let next: string;
  try {
    next = splice(text, (d) => {
      if (nextUrl !== old.url) setValue(d, ["loomio", "url"], nextUrl);
      if (nextGroup !== old.groupId) setValue(d, ["loomio", "groupId"], nextGroup);
    });
  } catch (e) {
    if (e instanceof SpliceError)
      throw new InputError(
        `${RULES_FILE} cannot be changed automatically: ${e.message}`,
        "set loomio.url and loomio.groupId by hand, then run coop init again",
      );
    throw e;
  }
  const parsed = RulesSchema.safeParse(parseYaml(next));
  if (!parsed.success)
    throw new InputError(
      `--loomio-url or --loomio-group is not valid for ${RULES_FILE}: ${parsed.error.issues[0].message}`,
      "e.g. --loomio-url https://loomio.river.coop --loomio-group 42",
    );
  return next;
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
