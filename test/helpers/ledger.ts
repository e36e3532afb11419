/**
 * Ledgers built for tests, fast: a temp repository with the example bylaws, four members with
 * ed25519 keys made in Node (ada admin+tech, grace admin, hedy tech, linus member), a founding,
 * and builders for every kind of decision that record what coop itself would record — summaries
 * rendered by the rulebook, Loomio answers in Loomio's b2 shape carrying the proposal's text.
 * Tests then break one thing at a time, as an insider would.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { canonicalJson, type Json, sha256Hex } from "../../kernel/json";
import type { Lock } from "../../plan/lock";
import { PriceTableSchema, type PriceTable } from "../../plan/prices";
import {
  type Decision,
  type DecisionDraft,
  isStackDecision,
  decisionFile,
  expectedSummary,
  type L,
  type Ledger,
  loadLedger,
  type Members,
  MembersSchema,
  normalizeText,
  objectEntry,
  type ObjectKind,
  planBindingLine,
  ratifiesBindingLine,
  readCodeManifest,
  renderRecord,
  type Rules,
  RulesSchema,
  signaturePayload,
  signSshsig,
  stackHeads,
  standingBindingLine,
  governedBindingLine,
  summaryBindingLine,
  withRecords,
  codeDigest,
  membersDigest,
  rulesDigest,
  type StandingTerms,
  majorLine,
  requiredMajorsOf,
} from "../../rulebook";
import { priceTableDigest } from "../../rulebook/ledger/objects";
import { nodeKey, type NodeKey } from "./governance";
import { closedPoll } from "./loomio";
import { REPO_ROOT } from "./repo";

export type Who = "ada" | "grace" | "hedy" | "linus";
export const LOOMIO = "https://loomio.example.coop";
const PROJECT = "coop-infra";
const HOUR = 3_600_000;

export interface Votes {
  readonly agree: number;
  readonly abstain: number;
  readonly disagree: number;
  readonly block: number;
  readonly voters: number;
}

export const PASSING: Votes = { agree: 5, abstain: 1, disagree: 1, block: 0, voters: 10 };

export interface PollOptions {
  readonly votes?: Votes;
  /** Overrides of the poll object (after the text and counts are set). */
  readonly poll?: Record<string, unknown>;
  /** Replaces the proposal text members read. */
  readonly details?: (proposed: string) => string;
  /** Loomio's poll_options (defaults to the four counted ones). */
  readonly options?: Array<Record<string, unknown>>;
  /** Where the record says the poll is. */
  readonly url?: string;
  readonly key?: string;
}

export interface RecordOptions {
  readonly signers?: readonly Who[];
  /** Minutes after the previous record (default 60). */
  readonly after?: number;
  readonly recordedAt?: string;
  readonly poll?: PollOptions;
  /** Record it as a meeting's decision instead of a poll's. */
  readonly meeting?: { minutes?: string; majors?: string[]; decidedOn?: string };
  readonly ratifies?: readonly string[];
  /** Fields to override after the record is built (an insider's edit). */
  readonly edit?: Record<string, unknown>;
  readonly id?: string;
  readonly under?: string;
}

let pollCounter = 100;

export class LedgerFixture {
  readonly keys: Record<Who, NodeKey>;
  rules: Rules;
  members: Members;
  readonly prices: PriceTable;
  /** The time of the last record; each new one comes later. */
  clock = Date.parse("2026-02-01T00:00:00.000Z");
  private readonly heads = new Map<string, { id: string; lock: Lock }>();
  govHead = "governance-0001-founding";
  /** The Loomio instance poll addresses default to (forRepo: the bylaws'). */
  loomioUrl = LOOMIO;
  private counter = 0;

  /** `keys` replaces members' generated keys (e.g. the fixture keys ssh-keygen signs with). */
  constructor(
    readonly root: string,
    keys: Partial<Record<Who, NodeKey>> = {},
  ) {
    this.keys = {
      ada: keys.ada ?? nodeKey("ada@example.coop"),
      grace: keys.grace ?? nodeKey("grace@example.coop"),
      hedy: keys.hedy ?? nodeKey("hedy@example.coop"),
      linus: keys.linus ?? nodeKey("linus@example.coop"),
    };
    this.rules = RulesSchema.parse(parse(readFileSync(join(REPO_ROOT, "governance", "rules.yaml"), "utf8")));
    this.members = MembersSchema.parse({
      version: 2,
      members: [
        { name: "ada", roles: ["admin", "tech"], sshKeys: [this.keys.ada.line] },
        { name: "grace", roles: ["admin"], sshKeys: [this.keys.grace.line] },
        { name: "hedy", roles: ["tech"], sshKeys: [this.keys.hedy.line] },
        { name: "linus", roles: ["member"], sshKeys: [this.keys.linus.line] },
      ],
    });
    this.prices = PriceTableSchema.parse(parse(readFileSync(join(REPO_ROOT, "plan", "prices", "hetzner.yaml"), "utf8")));
  }

  /** A repository with a founding (signed by ada) for `stacks`, each with a genesis of `lock(stack, "0")`. */
  static create(stacks: readonly string[] = ["prod"]): LedgerFixture {
    const root = mkdtempSync(join(tmpdir(), "coop-ledger-"));
    const f = new LedgerFixture(root);
    writeFileSync(join(root, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
    mkdirSync(join(root, "stacks"));
    mkdirSync(join(root, "governance", "decisions"), { recursive: true });
    mkdirSync(join(root, "plan", "prices"), { recursive: true });
    writeFileSync(join(root, "plan", "prices", "hetzner.yaml"), readFileSync(join(REPO_ROOT, "plan", "prices", "hetzner.yaml")));
    for (const s of stacks) writeFileSync(join(root, "stacks", `${s}.yaml`), "# a stack spec (data)\n");
    f.writeRules(f.rules);
    f.writeMembers(f.members);
    f.writeObject("rules", f.rules);
    f.writeObject("members", f.members);
    const code = readCodeManifest(root);
    f.writeObject("code", code);
    const founding: Decision = {
      version: 2,
      kind: "founding",
      id: "governance-0001-founding",
      project: PROJECT,
      summary: "The test co-op adopts its bylaws, members list and code.",
      previous: null,
      seen: {},
      rules: rulesDigest(f.rules),
      members: membersDigest(f.members),
      code: codeDigest(code),
      stacks: [...stacks],
      decidedAt: f.iso(),
      recordedAt: f.iso(),
      note: "test",
      signatures: [],
    };
    f.write(f.sign(founding, "ada"));
    for (const s of stacks) f.write(f.sign(f.genesis(s, f.lock(s, "0")), "ada"));
    return f;
  }

  /**
   * Makes `root` (a copy of the repository) approved as it plans now: members with the fixture's
   * keys, and a founding (signed by ada) whose stacks' first states are what `stacks` plan.
   */
  static async forRepo(
    root: string,
    stacks: readonly string[],
    opts: { keys?: Partial<Record<Who, NodeKey>> } = {},
  ): Promise<LedgerFixture> {
    const f = new LedgerFixture(root, opts.keys);
    const { planFounding, foundingFiles } = await import("../../cli/ledger/founding");
    const { loadStackSpec } = await import("../../stacks/load");
    for (const dir of ["governance/decisions", "governance/approved", "governance/objects"])
      rmSync(join(root, dir), { recursive: true, force: true });
    f.writeMembers(f.members);
    f.rules = RulesSchema.parse(parse(readFileSync(join(root, "governance", "rules.yaml"), "utf8")));
    f.loomioUrl = f.rules.loomio.url ?? LOOMIO;
    const specs = stacks.map((stack) => ({ stack, spec: loadStackSpec(root, stack).spec }));
    f.clock = Date.parse("2026-01-01T00:00:00.000Z");
    const founding = await planFounding({
      project: PROJECT,
      coopName: specs[0].spec.coop.name,
      rules: f.rules,
      members: f.members,
      code: readCodeManifest(root),
      stacks: specs,
      at: f.iso(),
      note: "test",
    });
    const signed = {
      ...founding,
      founding: f.sign(founding.founding, "ada"),
      geneses: founding.geneses.map((g) => ({ ...g, decision: f.sign(g.decision, "ada") })),
    };
    for (const [path, text] of foundingFiles(root, signed)) {
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, text);
    }
    for (const g of signed.geneses) f.heads.set(g.stack, { id: g.decision.id, lock: g.lock });
    f.govHead = signed.founding.id;
    return f;
  }

  cleanup = (): void => {
    rmSync(this.root, { recursive: true, force: true });
  };

  iso(at = this.clock): string {
    return new Date(at).toISOString();
  }

  private tick(o: RecordOptions = {}): string {
    if (o.recordedAt) {
      this.clock = Math.max(this.clock, Date.parse(o.recordedAt));
      return o.recordedAt;
    }
    this.clock += (o.after ?? 60) * 60_000;
    return this.iso();
  }

  /** A state of `stack`: a server, a volume, Mastodon at `mastodon`, Postgres at `postgres`. */
  lock(
    stack: string,
    seed: string,
    over: { serverType?: string; mastodon?: string; postgres?: string; nextcloud?: string; extra?: Lock["resources"] } = {},
  ): Lock {
    const u = (type: string, name: string, comp = "coop:host:Host") => `urn:pulumi:${stack}::${PROJECT}::${comp}$${type}::${name}`;
    const resources: Lock["resources"] = [
      {
        urn: u("hcloud:index/server:Server", "host-server"),
        type: "hcloud:index/server:Server",
        name: "host-server",
        inputs: { serverType: over.serverType ?? "cx33", location: "fsn1", labels: { seed } },
      },
      {
        urn: u("docker:index/container:Container", "mastodon-web", "coop:mastodon:Mastodon"),
        type: "docker:index/container:Container",
        name: "mastodon-web",
        inputs: { image: `ghcr.io/mastodon/mastodon:${over.mastodon ?? "v4.6.3"}` },
      },
      {
        urn: u("docker:index/container:Container", "mastodon-postgres", "coop:mastodon:Mastodon"),
        type: "docker:index/container:Container",
        name: "mastodon-postgres",
        inputs: { image: `postgres:${over.postgres ?? "18.1-alpine"}` },
      },
      ...(over.nextcloud
        ? [
            {
              urn: u("docker:index/container:Container", "nextcloud", "coop:nextcloud:Nextcloud"),
              type: "docker:index/container:Container",
              name: "nextcloud",
              inputs: { image: `nextcloud:${over.nextcloud}` },
            },
          ]
        : []),
      ...(over.extra ?? []),
    ].sort((a, b) => (a.urn < b.urn ? -1 : 1));
    const view = { version: 1, project: PROJECT, stack, resources };
    return { version: 1, project: PROJECT, stack, digest: sha256Hex(canonicalJson(view)), resources } as Lock;
  }

  writeObject<K extends ObjectKind>(kind: K, value: unknown): void {
    const [path, text] = objectEntry(this.root, kind, value as never);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text);
  }

  writeRules(rules: Rules): void {
    writeFileSync(join(this.root, "governance", "rules.yaml"), stringify(rules));
  }

  writeMembers(members: Members): void {
    writeFileSync(join(this.root, "governance", "members.yaml"), stringify(members));
  }

  /** Writes a record (and, for a stack decision, moves the fixture's idea of the stack's head and lock file). */
  write(d: Decision): Decision {
    writeFileSync(join(this.root, decisionFile(d.id)), renderRecord(d as never));
    if (isStackDecision(d)) {
      const lock = this.lockObject(d.digest);
      if (lock) {
        this.heads.set(d.stack, { id: d.id, lock });
        mkdirSync(join(this.root, "governance", "approved"), { recursive: true });
        writeFileSync(join(this.root, "governance", "approved", `${d.stack}.lock.json`), objectEntry(this.root, "lock", lock)[1]);
      }
    } else this.govHead = d.id;
    return d;
  }

  private lockObject(digest: string): Lock | undefined {
    try {
      return JSON.parse(readFileSync(join(this.root, "governance", "objects", `lock-${digest}.json`), "utf8")) as Lock;
    } catch {
      return undefined;
    }
  }

  sign(d: Decision, ...who: readonly Who[]): Decision {
    // Signatures cover the record without its signatures, so each signs the same payload.
    const payload = signaturePayload(d);
    const signatures = [...d.signatures];
    for (const w of who) signatures.push({ member: w, signature: signSshsig(this.keys[w].privateKey, this.keys[w].blob, payload) });
    return { ...d, signatures } as Decision;
  }

  load(): Ledger {
    return loadLedger(this.root);
  }

  head(stack: string): { id: string; lock: Lock } {
    return this.heads.get(stack)!;
  }

  private id(scope: string, kind: string, o: RecordOptions): string {
    return o.id ?? `${scope}-${String(++this.counter + 100).padStart(4, "0")}-${kind}`;
  }

  genesis(stack: string, lock: Lock): Decision {
    this.writeObject("lock", lock);
    return this.complete({
      version: 2,
      kind: "genesis",
      id: `${stack}-0001-genesis`,
      project: PROJECT,
      summary: "",
      stack,
      digest: lock.digest,
      previous: null,
      replaces: null,
      under: this.govHead,
      decidedAt: this.iso(),
      recordedAt: this.iso(),
      note: "test",
      signatures: [],
    });
  }

  /** A record with the summary the rulebook renders for it. */
  complete(d: Decision): Decision {
    const ledger = withRecords(this.load(), [d]);
    const summary = expectedSummary(ledger, ledger.byId.get(d.id) as L<Decision>);
    return { ...d, summary: summary ?? d.summary } as Decision;
  }

  /** Loomio's b2 answer for a poll that shows `text`, closed at `closedAt`. */
  answer(text: string, closedAt: string, p: PollOptions = {}): { url: string; answer: Json } {
    const v = p.votes ?? PASSING;
    const key = p.key ?? `Poll${++pollCounter}`;
    const body = closedPoll() as { polls: Array<Record<string, unknown>>; poll_options: Array<Record<string, unknown>> };
    const poll = body.polls[0];
    const id = pollCounter;
    const results = (poll.results as Array<Record<string, unknown>>).map((r) => {
      const icon = r.icon as keyof Votes | undefined;
      return icon
        ? { ...r, poll_id: id, voter_count: v[icon] }
        : { ...r, poll_id: id, voter_count: v.voters - (v.agree + v.abstain + v.disagree + v.block) };
    });
    const options = (p.options ?? body.poll_options).map((o) => ({ ...o, poll_id: id }));
    body.polls[0] = {
      ...poll,
      id,
      key,
      group_id: this.rules.loomio.groupId,
      details: p.details ? p.details(text) : text,
      closing_at: closedAt,
      closed_at: closedAt,
      voters_count: v.voters,
      decided_voters_count: v.agree + v.abstain + v.disagree + v.block,
      undecided_voters_count: v.voters - (v.agree + v.abstain + v.disagree + v.block),
      results,
      stance_counts: [v.agree, v.abstain, v.disagree, v.block],
      poll_option_ids: options.map((o) => (o as { id?: number }).id),
      ...(p.poll ?? {}),
    };
    body.poll_options = options;
    return { url: p.url ?? `${this.loomioUrl}/p/${key}`, answer: body as unknown as Json };
  }

  /** The proposal text coop propose writes: summary, binding lines, summary line. */
  proposal(summary: string, bindings: readonly string[]): string {
    return [`A proposal.`, "", summary, "", ...bindings, summaryBindingLine(sha256Hex(normalizeText(summary)))].join("\n");
  }

  private evidenceFor(
    summary: string,
    bindings: string[],
    recordedAt: string,
    o: RecordOptions,
  ): { evidence: Decision extends infer D ? (D extends { evidence: infer E } ? E : never) : never; decidedAt: string } {
    if (o.meeting) {
      const on = o.meeting.decidedOn ?? recordedAt.slice(0, 10);
      const minutes = o.meeting.minutes ?? "docs/minutes/meeting.md";
      if (!o.meeting.minutes) {
        mkdirSync(join(this.root, "docs", "minutes"), { recursive: true });
        writeFileSync(join(this.root, minutes), "# Minutes\n\nThe assembly decided.\n");
      }
      return {
        evidence: {
          type: "meeting",
          meeting: `General assembly ${on}`,
          decidedOn: on,
          minutes,
          ...(o.meeting.majors ? { majors: o.meeting.majors } : {}),
        } as never,
        decidedAt: `${on}T00:00:00.000Z`,
      };
    }
    const closedAt = new Date(Date.parse(recordedAt) - HOUR).toISOString();
    const a = this.answer(this.proposal(summary, bindings), closedAt, o.poll);
    return {
      evidence: {
        type: "loomio-poll",
        url: a.url,
        fetchedAt: new Date(Date.parse(recordedAt) - 60_000).toISOString(),
        answer: a.answer,
      } as never,
      decidedAt: (o.poll?.poll?.closed_at as string | undefined) ?? closedAt,
    };
  }

  /** A vote on a new state of `stack` (a change; a ratification when `lock` is the current state). */
  vote(stack: string, lock: Lock, o: RecordOptions = {}): Decision {
    const head = this.head(stack);
    const recordedAt = this.tick(o);
    this.writeObject("lock", lock);
    this.writeObject("prices", this.prices);
    const ratifies = o.ratifies ?? [];
    const kind = lock.digest === head.lock.digest ? "ratification" : "change";
    const base = {
      version: 2 as const,
      kind,
      id: this.id(stack, kind, o),
      project: PROJECT,
      summary: "",
      stack,
      digest: lock.digest,
      previous: head.id,
      replaces: head.lock.digest,
      under: o.under ?? this.govHead,
      decidedAt: recordedAt,
      recordedAt,
      prices: priceTableDigest(this.prices),
      ...(kind === "ratification" || ratifies.length ? { ratifies: [...ratifies] } : {}),
      evidence: { type: "meeting", meeting: "-", decidedOn: "2000-01-01", minutes: "-" },
      signatures: [],
    } as unknown as Decision;
    const summary = this.complete(base).summary;
    const emergencies = ratifies.map((id) => {
      const e = this.load().byId.get(id)!.decision as Extract<Decision, { kind: "emergency" }>;
      return {
        id,
        reason: e.reason,
        recordedAt: e.recordedAt,
        before: e.replaces ? (this.lockObject(e.replaces) ?? null) : null,
        after: this.lockObject(e.digest)!,
      };
    });
    const majors = requiredMajorsOf({ stack, before: head.lock, after: lock, emergencies });
    const bindings = [...majors, ...(ratifies.length ? [ratifiesBindingLine(stack, ratifies)] : []), planBindingLine(stack, lock.digest)];
    const { evidence, decidedAt } = this.evidenceFor(summary, bindings, recordedAt, o);
    return this.finish({ ...base, summary, evidence, decidedAt } as Decision, o);
  }

  routine(stack: string, lock: Lock, standing: string, o: RecordOptions = {}): Decision {
    const head = this.head(stack);
    const recordedAt = this.tick(o);
    this.writeObject("lock", lock);
    const d = {
      version: 2,
      kind: "routine",
      id: this.id(stack, "routine", o),
      project: PROJECT,
      summary: "",
      stack,
      digest: lock.digest,
      previous: head.id,
      replaces: head.lock.digest,
      under: o.under ?? this.govHead,
      decidedAt: recordedAt,
      recordedAt,
      standing,
      class: "image-patch",
      signatures: [],
    } as Decision;
    return this.finish(this.complete(d), o);
  }

  emergency(stack: string, lock: Lock, reason: string, o: RecordOptions = {}): Decision {
    const head = this.head(stack);
    const recordedAt = this.tick(o);
    this.writeObject("lock", lock);
    const d = {
      version: 2,
      kind: "emergency",
      id: this.id(stack, "emergency", o),
      project: PROJECT,
      summary: "",
      stack,
      digest: lock.digest,
      previous: head.id,
      replaces: head.lock.digest,
      under: o.under ?? this.govHead,
      decidedAt: recordedAt,
      recordedAt,
      reason,
      signatures: [],
    } as Decision;
    return this.finish(this.complete(d), o);
  }

  private governance(
    kind: "bylaws" | "members" | "code" | "standing",
    fields: Record<string, unknown>,
    binding: string | undefined,
    o: RecordOptions,
  ): Decision {
    const ledger = this.load();
    const prev = ledger.byId.get(this.govHead)!.decision as Extract<Decision, { kind: "founding" }>;
    const recordedAt = this.tick(o);
    const base = {
      version: 2,
      kind,
      id: this.id(kind, kind === "bylaws" ? "amendment" : kind === "standing" ? "image-patch" : "version", o),
      project: PROJECT,
      summary: "",
      previous: this.govHead,
      seen: stackHeads(ledger),
      rules: prev.rules,
      members: prev.members,
      code: prev.code,
      decidedAt: recordedAt,
      recordedAt,
      ...fields,
      signatures: [],
    } as unknown as Decision;
    const summary = this.complete(base).summary;
    if (!binding) return this.finish({ ...base, summary } as Decision, o);
    const { evidence, decidedAt } = this.evidenceFor(summary, [binding], recordedAt, o);
    return this.finish({ ...base, summary, evidence, decidedAt } as Decision, o);
  }

  /** New bylaws, decided by a poll (or a meeting) under the previous ones. */
  bylaws(rules: Rules, o: RecordOptions = {}): Decision {
    this.writeObject("rules", rules);
    return this.governance("bylaws", { rules: rulesDigest(rules) }, governedBindingLine("bylaws", rulesDigest(rules)), o);
  }

  /** A new members list: routine (no evidence) unless `vote` is set. */
  membersChange(members: Members, o: RecordOptions & { vote?: boolean } = {}): Decision {
    this.writeObject("members", members);
    return this.governance(
      "members",
      { members: membersDigest(members) },
      o.vote || o.meeting ? governedBindingLine("members", membersDigest(members)) : undefined,
      o,
    );
  }

  /** A new version of the code (a manifest), by signatures (or a vote when `vote` is set). */
  code(manifest: ReturnType<typeof readCodeManifest>, o: RecordOptions & { vote?: boolean } = {}): Decision {
    this.writeObject("code", manifest);
    return this.governance(
      "code",
      { code: codeDigest(manifest) },
      o.vote || o.meeting ? governedBindingLine("code", codeDigest(manifest)) : undefined,
      o,
    );
  }

  standing(terms: StandingTerms, o: RecordOptions = {}): Decision {
    return this.governance("standing", { terms }, standingBindingLine(terms), o);
  }

  private finish(d: Decision, o: RecordOptions): Decision {
    const edited = o.edit ? ({ ...d, ...o.edit } as Decision) : d;
    return this.sign(edited, ...(o.signers ?? defaultSigners(edited)));
  }
}

function defaultSigners(d: Decision | DecisionDraft): Who[] {
  if (d.kind === "routine") return ["ada", "hedy"];
  if (d.kind === "members" && !("evidence" in d && d.evidence)) return ["ada"];
  return ["ada", "grace"];
}

export { majorLine };
