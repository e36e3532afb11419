/**
 * One decision of the co-op: governance/decisions/<id>.json.
 *
 * The ledger holds two kinds of chains (docs/ledger.md):
 * - a chain per stack, whose decisions move the stack's approved state (its lock):
 *     genesis       the first state of a stack named by the founding (signatures only)
 *     change        a new state decided by a Loomio poll or a meeting (also a new stack's first)
 *     routine       a new state under a standing decision (e.g. patch upgrades)
 *     emergency     a new state applied before a vote, to be ratified within a deadline
 *     ratification  a vote on the current state that ratifies its emergency changes
 * - the governance chain, whose entries move the versions of the bylaws, the members list and
 *   the code, and carry standing decisions:
 *     founding      the first versions, and the stacks that start with a genesis
 *     bylaws        a new rules.yaml, decided under the previous one
 *     members       a new members.yaml (routine, or decided when it grants a signing role)
 *     code          a new version of the code (signatures, or a vote for the paths the bylaws name)
 *     standing      pre-approves classes of routine change
 * Every stack decision names the governance entry in force when it was recorded (`under`); every
 * governance entry names the head of every stack chain it saw (`seen`). Together they order the
 * whole ledger, so a signature is judged by the members and bylaws in force at its place, not by
 * a date anyone wrote.
 *
 * What changed is never read from a record: it is recomputed from the versions the ledger stores
 * (governance/objects/), named here by digest. Members sign the canonical JSON (RFC 8785) of the
 * record without its `signatures` field, so signatures can be added one by one.
 */
import { z } from "zod";
import { canonicalJson, type Json, type JsonObject } from "../../kernel/json";
import { MEMBER_NAME_RE } from "./members";
import { CHANGE_CLASSES } from "./rules";

export const RECORD_VERSION = 2;
export const DECISIONS_DIR = "governance/decisions";
export const DECISION_SUFFIX = ".json";
export const DECISION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const STACK_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/;

export const STACK_KINDS = ["genesis", "change", "routine", "emergency", "ratification"] as const;
export const GOVERNANCE_KINDS = ["founding", "bylaws", "members", "code", "standing"] as const;
export type StackKind = (typeof STACK_KINDS)[number];
export type GovernanceKind = (typeof GOVERNANCE_KINDS)[number];
export type DecisionKind = StackKind | GovernanceKind;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, { message: "expected a sha256 digest (64 lower-case hex digits)" });
const isoTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/, { message: "expected a UTC timestamp such as 2026-03-10T12:00:03.512Z" });
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: "expected a date such as 2026-03-01" });
const decisionId = z.string().regex(DECISION_ID_RE, { message: "expected a decision id such as example-0002-change" });
const stackName = z.string().regex(STACK_NAME_RE, { message: "expected a stack name" });

export const SignatureEntrySchema = z
  .object({
    member: z.string().regex(MEMBER_NAME_RE).describe("Who signed (a name from the members list in force)."),
    signature: z
      .string()
      .min(1)
      .max(16_384)
      .describe(
        "OpenSSH signature (ssh-keygen -Y sign, namespace coop-infra-decision) over the canonical JSON of the record without `signatures`.",
      ),
  })
  .strict()
  .describe("A member's signature on the decision.");

export const PollEvidenceSchema = z
  .object({
    type: z.literal("loomio-poll"),
    url: z.string().min(1).max(2048).describe("The poll's address at the co-op's Loomio instance (the bylaws' loomio.url)."),
    fetchedAt: isoTime.describe("When coop fetched the answer."),
    answer: z
      .custom<JsonObject>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
        message: "expected Loomio's answer (an object)",
      })
      .describe(
        "Loomio's answer (GET /api/b2/polls/:key) as fetched, without who voted what: every fact about the poll is recomputed from it.",
      ),
  })
  .strict()
  .describe("A closed Loomio poll, as fetched.");
export type PollEvidence = z.output<typeof PollEvidenceSchema>;

export const MeetingEvidenceSchema = z
  .object({
    type: z.literal("meeting"),
    meeting: z.string().min(1).max(500).describe("Which meeting decided, e.g. 'General assembly 2026-03-01'."),
    decidedOn: isoDate.describe("The meeting's date."),
    minutes: z.string().min(1).max(500).describe("Where its minutes are (a path in the repository, which must exist, or an address)."),
    majors: z
      .array(z.string().max(200))
      .optional()
      .describe("The coop-major lines of the major upgrades the meeting approved (coop decide --major)."),
  })
  .strict()
  .describe("A decision taken outside Loomio; its signatures are the evidence.");
export type MeetingEvidence = z.output<typeof MeetingEvidenceSchema>;

export const EvidenceSchema = z.discriminatedUnion("type", [PollEvidenceSchema, MeetingEvidenceSchema]);
export type Evidence = z.output<typeof EvidenceSchema>;

const common = {
  version: z.literal(RECORD_VERSION).describe("Format version of the record."),
  id: decisionId.describe("The decision's id; also its file name."),
  project: z.string().min(1).max(200).describe("Pulumi project name."),
  summary: z
    .string()
    .max(100_000)
    .describe("What was decided, in plain words (for a poll: the summary the members read, reproduced from the ledger)."),
  decidedAt: isoTime.describe("When the decision was taken (a poll's closing time, a meeting's date, else when it was recorded)."),
  recordedAt: isoTime.describe("When coop recorded it (never in the future; never before the decision it follows)."),
  signatures: z.array(SignatureEntrySchema).max(100).describe("Members' signatures (not covered by the signatures themselves)."),
};

const stackMove = {
  stack: stackName.describe("The stack whose approved state this sets."),
  digest: hex64.describe("The approved plan digest after this decision (governance/objects/lock-<digest>.json)."),
  previous: decisionId.nullable().describe("The decision this one follows in the stack's chain; null only for the stack's first."),
  replaces: hex64.nullable().describe("The state this decision replaces (the previous decision's digest); null only for the first."),
  under: decisionId.describe("The governance entry in force when it was recorded: its bylaws and members judge this decision."),
};

const ratifiesList = z.array(decisionId).min(1).max(100);

export const GenesisSchema = z
  .object({
    kind: z.literal("genesis"),
    ...common,
    ...stackMove,
    note: z.string().max(2000).describe("Why this state is the starting point."),
  })
  .strict();
export const ChangeSchema = z
  .object({
    kind: z.literal("change"),
    ...common,
    ...stackMove,
    evidence: EvidenceSchema,
    prices: hex64.describe("The price table the monthly cost in the summary came from (governance/objects/prices-<digest>.json)."),
    ratifies: ratifiesList
      .optional()
      .describe("The emergency changes earlier in the chain that this vote also ratifies: the proposal named them."),
  })
  .strict();
export const RoutineSchema = z
  .object({
    kind: z.literal("routine"),
    ...common,
    ...stackMove,
    standing: decisionId.describe("The standing decision that pre-approved this class of change."),
    class: z.enum(CHANGE_CLASSES).describe("The class the change falls into (recomputed from the two states)."),
  })
  .strict();
export const EmergencySchema = z
  .object({
    kind: z.literal("emergency"),
    ...common,
    ...stackMove,
    reason: z.string().min(1).max(2000).describe("Why it could not wait for a vote."),
  })
  .strict();
export const RatificationSchema = z
  .object({
    kind: z.literal("ratification"),
    ...common,
    ...stackMove,
    evidence: EvidenceSchema,
    prices: hex64,
    ratifies: ratifiesList.describe("The emergency changes of the stack's current state the vote ratifies."),
  })
  .strict();

const governanceMove = {
  previous: decisionId.nullable().describe("The governance entry this one follows; null only for the founding."),
  seen: z
    .record(stackName, decisionId.nullable())
    .describe("The latest decision of every stack when this entry was recorded: it orders the ledger."),
  rules: hex64.describe("The bylaws in force after this entry (governance/objects/rules-<digest>.json)."),
  members: hex64.describe("The members list in force after this entry (governance/objects/members-<digest>.json)."),
  code: hex64.describe("The approved code after this entry (governance/objects/code-<digest>.json)."),
};

export const StandingTermsSchema = z
  .object({
    classes: z.array(z.enum(CHANGE_CLASSES)).min(1).describe("Classes of change pre-approved."),
    stacks: z.array(z.string().min(1)).min(1).describe('Stacks it applies to; ["*"] for all.'),
    until: isoTime.nullable().describe("When it ends; null for until revoked."),
  })
  .strict();

export const FoundingSchema = z
  .object({
    kind: z.literal("founding"),
    ...common,
    ...governanceMove,
    stacks: z.array(stackName).describe("The stacks whose first state is a genesis; any later stack starts with a vote."),
    note: z.string().max(2000),
  })
  .strict();
export const BylawsSchema = z.object({ kind: z.literal("bylaws"), ...common, ...governanceMove, evidence: EvidenceSchema }).strict();
export const MembersChangeSchema = z
  .object({
    kind: z.literal("members"),
    ...common,
    ...governanceMove,
    evidence: EvidenceSchema.optional().describe(
      "A vote or meeting, when the change grants a signing role; absent for routine membership changes.",
    ),
  })
  .strict();
export const CodeSchema = z
  .object({
    kind: z.literal("code"),
    ...common,
    ...governanceMove,
    evidence: EvidenceSchema.optional().describe("A vote or meeting, when the change touches paths the bylaws reserve for a vote."),
  })
  .strict();
export const StandingSchema = z
  .object({ kind: z.literal("standing"), ...common, ...governanceMove, terms: StandingTermsSchema, evidence: EvidenceSchema })
  .strict();

export const DecisionSchema = z
  .discriminatedUnion("kind", [
    GenesisSchema,
    ChangeSchema,
    RoutineSchema,
    EmergencySchema,
    RatificationSchema,
    FoundingSchema,
    BylawsSchema,
    MembersChangeSchema,
    CodeSchema,
    StandingSchema,
  ])
  .describe("One decision of the co-op (governance/decisions/<id>.json).");

export type Decision = z.output<typeof DecisionSchema>;
export type StackDecision = Extract<Decision, { kind: StackKind }>;
export type GovernanceDecision = Extract<Decision, { kind: GovernanceKind }>;
export type ChangeDecision = z.output<typeof ChangeSchema>;
export type RoutineDecision = z.output<typeof RoutineSchema>;
export type EmergencyDecision = z.output<typeof EmergencySchema>;
export type RatificationDecision = z.output<typeof RatificationSchema>;
export type StandingDecision = z.output<typeof StandingSchema>;
export type FoundingDecision = z.output<typeof FoundingSchema>;
export type StandingTerms = z.output<typeof StandingTermsSchema>;

type Unsigned<T> = T extends unknown ? Omit<T, "signatures"> : never;
/** A record as a command builds it, before any signature. */
export type DecisionDraft = Unsigned<Decision>;

export function isStackDecision(d: Decision | DecisionDraft): d is StackDecision {
  return (STACK_KINDS as readonly string[]).includes(d.kind);
}

export function isGovernanceDecision(d: Decision | DecisionDraft): d is GovernanceDecision {
  return (GOVERNANCE_KINDS as readonly string[]).includes(d.kind);
}

/** The emergency changes a decision ratifies by naming them. */
export function ratifiedIds(d: Decision | DecisionDraft): string[] {
  if (d.kind === "ratification") return [...d.ratifies];
  if (d.kind === "change") return [...(d.ratifies ?? [])];
  return [];
}

export function decisionFile(id: string): string {
  return `${DECISIONS_DIR}/${id}${DECISION_SUFFIX}`;
}

/** The exact text members sign: canonical JSON of the record without `signatures`. */
export function signaturePayload(record: JsonObject | Decision | DecisionDraft): string {
  const { signatures: _ignored, ...rest } = record as Record<string, unknown>;
  void _ignored;
  return canonicalJson(rest);
}

/** The order fields are written in: what and where first, evidence next, signatures last. */
const FIELD_ORDER = [
  "version",
  "id",
  "kind",
  "stack",
  "project",
  "summary",
  "digest",
  "previous",
  "replaces",
  "under",
  "seen",
  "rules",
  "members",
  "code",
  "stacks",
  "ratifies",
  "standing",
  "class",
  "terms",
  "decidedAt",
  "recordedAt",
  "reason",
  "note",
  "prices",
  "evidence",
  "signatures",
];

/**
 * The record as it is written: pretty JSON, fields in a fixed, readable order. The order does
 * not matter to signatures (they cover canonical JSON, whose keys are sorted).
 */
export function renderRecord(d: Decision | JsonObject): string {
  const plain = JSON.parse(JSON.stringify(d)) as JsonObject;
  const out: Record<string, Json> = {};
  for (const k of FIELD_ORDER) if (k in plain) out[k] = plain[k];
  for (const k of Object.keys(plain)) if (!(k in out)) out[k] = plain[k];
  return `${JSON.stringify(out, null, 2)}\n`;
}
