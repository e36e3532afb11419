/**
 * One decision of the co-op: governance/decisions/<id>.yaml.
 *
 * Kinds (what the decision does) and evidence (how it was taken) are separate:
 * - genesis       the first approved state of a stack, when the co-op adopts coop (signatures only)
 * - change        a new approved state, decided by a Loomio poll or a meeting
 * - routine       a new approved state under a standing decision (e.g. patch upgrades)
 * - emergency     a new state applied before a vote, to be ratified within a deadline
 * - standing      pre-approves classes of routine change (poll or meeting)
 * - ratification  approves an emergency change after the fact (poll or meeting)
 * The first four move a stack's lock and form its chain: each names the decision before it
 * (`previous`) and the lock digest it replaces (`replaces`), so the ledger is append-only and a
 * fork is visible. Members sign the canonical JSON (RFC 8785) of the record without its
 * `signatures` field, so signatures can be added one by one without invalidating each other.
 */
import { z } from "zod";
import { canonicalJson, type Json, type JsonObject } from "../../kernel/json";
import { CHANGE_CLASSES, role } from "./rules";
import { MEMBER_NAME_RE } from "./members";

export const DECISIONS_DIR = "governance/decisions";
export const DECISION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const DECISION_KINDS = ["genesis", "change", "routine", "emergency", "standing", "ratification"] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];
/** Kinds that set a new approved state (lock) of a stack. */
export const LOCK_KINDS: readonly DecisionKind[] = ["genesis", "change", "routine", "emergency"];

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, { message: "expected a sha256 digest (64 lower-case hex digits)" });
const isoTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/, { message: "expected a UTC timestamp such as 2026-03-10T12:00:03.512Z" });
const decisionId = z.string().regex(DECISION_ID_RE, { message: "expected a decision id such as example-0002-change" });
const stackName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/, { message: "expected a stack name" });

export const SignatureEntrySchema = z
  .object({
    member: z.string().regex(MEMBER_NAME_RE).describe("Who signed (a name from governance/members.yaml)."),
    signature: z
      .string()
      .min(1)
      .describe(
        "OpenSSH signature (ssh-keygen -Y sign, namespace coop-infra-decision) over the canonical JSON of the record without `signatures`.",
      ),
  })
  .strict()
  .describe("A member's signature on the decision.");

export const ChangeRecordSchema = z
  .object({
    urn: z.string().min(1).describe("The resource."),
    op: z.enum(["create", "update", "delete"]).describe("What happens to it."),
    paths: z
      .array(
        z
          .object({
            path: z.string().describe("Input path, e.g. image or rules[1].sourceIps[0]."),
            old: z.json().optional().describe("Value before (absent when the path is new)."),
            new: z.json().optional().describe("Value after (absent when the path is removed)."),
          })
          .strict(),
      )
      .optional()
      .describe("For updates: what changed, old → new (governed values: secrets are masked)."),
  })
  .strict()
  .describe("One resource change the decision approved.");
export type ChangeRecord = z.output<typeof ChangeRecordSchema>;

export const PollRuleResultSchema = z
  .object({
    rule: z.string().describe("Rule name: closed, not-discarded, poll-type, group, electorate, binding, quorum, threshold, blocks, age."),
    passed: z.boolean(),
    detail: z.string().describe("What was found, in words."),
  })
  .strict();

export const PollEvidenceSchema = z
  .object({
    type: z.literal("loomio-poll"),
    url: z.string().describe("The poll's address."),
    key: z.string().describe("Loomio's poll key."),
    pollId: z.number().int().describe("Loomio's poll id."),
    groupId: z.number().int().nullable().describe("The poll's Loomio group."),
    title: z.string().nullable(),
    pollType: z.string().nullable(),
    closingAt: isoTime.nullable(),
    closedAt: isoTime.nullable().describe("When the poll closed; null means open (or reopened)."),
    discardedAt: isoTime.nullable(),
    specifiedVotersOnly: z.boolean().nullable(),
    binding: z.string().nullable().describe("The coop-plan line found in the poll's details."),
    majors: z
      .array(z.string())
      .optional()
      .describe("The coop-major lines found in the poll's details: the major upgrades the members were told they approve."),
    ratifies: z
      .string()
      .optional()
      .describe(
        "The coop-ratifies line found in the poll's details for this stack: the emergency changes the members were told the vote also ratifies.",
      ),
    votersCount: z.number().int().min(0),
    decidedVotersCount: z.number().int().min(0),
    counts: z
      .object({
        agree: z.number().int().min(0),
        abstain: z.number().int().min(0),
        disagree: z.number().int().min(0),
        block: z.number().int().min(0),
      })
      .strict()
      .describe("Votes per option icon."),
    responseSha256: hex64.describe("sha256 of the raw HTTP response body the evidence was taken from."),
    fetchedAt: isoTime,
    applied: z
      .object({
        groupId: z.number().int().nullable(),
        wholeGroup: z.boolean(),
        types: z.array(z.string()),
        quorum: z.union([z.number(), z.string()]),
        threshold: z.union([z.number(), z.string()]),
        blocksAllowed: z.number().int(),
        maxAgeDays: z.number().int(),
      })
      .strict()
      .describe("The rules the poll was evaluated under (from governance/rules.yaml at recording time)."),
    outcome: z.array(PollRuleResultSchema).describe("Each rule, evaluated."),
  })
  .strict()
  .describe("A closed Loomio poll, as fetched.");
export type PollEvidence = z.output<typeof PollEvidenceSchema>;

export const MeetingEvidenceSchema = z
  .object({
    type: z.literal("meeting"),
    meeting: z.string().min(1).describe("Which meeting decided, e.g. 'General assembly 2026-03-01'."),
    minutes: z.string().min(1).describe("Where its minutes are (a path in the repository or an address)."),
    majors: z
      .array(z.string())
      .optional()
      .describe("The coop-major lines of the major upgrades the meeting approved (coop decide --major)."),
  })
  .strict()
  .describe("A decision taken outside Loomio; its signatures are the evidence.");

export const EvidenceSchema = z.discriminatedUnion("type", [PollEvidenceSchema, MeetingEvidenceSchema]);
export type Evidence = z.output<typeof EvidenceSchema>;

/**
 * The requirement as recorded. Unlike the rules' schema it has no defaults: records are used as
 * read (load.ts keeps the raw record, which members signed), so a field the schema would fill
 * in must be refused instead.
 */
export const RecordedRequirementSchema = z
  .object({
    count: z.number().int().min(1).max(100).describe("How many different members must sign (at least 1)."),
    roles: z.array(role).min(1).describe("Each signer must hold at least one of these roles."),
  })
  .strict()
  .describe("Signatures the rules required when the decision was recorded: `count` different members, each holding one of `roles`.");

const common = {
  version: z.literal(1).describe("Format version of the record."),
  id: decisionId.describe("The decision's id; also its file name."),
  project: z.string().min(1).describe("Pulumi project name."),
  decidedAt: isoTime.describe("When the decision was taken (a poll's closing time)."),
  recordedAt: isoTime.describe("When coop recorded it."),
  summary: z.string().describe("What was decided, in plain words."),
  rulesSha256: hex64.describe("sha256 of the canonical rules in force when it was recorded."),
  requires: RecordedRequirementSchema,
  signatures: z.array(SignatureEntrySchema).describe("Members' signatures (not covered by the signatures themselves)."),
};

const lockMove = {
  stack: stackName.describe("The stack whose approved state this sets."),
  digest: hex64.describe("The approved plan digest: the lock's digest after this decision."),
  previous: decisionId.nullable().describe("The decision this one follows in the stack's chain; null only for the first."),
  replaces: hex64.nullable().describe("The lock digest this decision replaces (the previous decision's digest); null only for the first."),
};

export const GenesisSchema = z
  .object({ kind: z.literal("genesis"), ...common, ...lockMove, note: z.string().describe("Why this state is the starting point.") })
  .strict();
export const ChangeSchema = z
  .object({
    kind: z.literal("change"),
    ...common,
    ...lockMove,
    evidence: EvidenceSchema,
    changes: z
      .array(ChangeRecordSchema)
      .describe("What the decision approved, resource by resource (old → new), from the lock it replaces."),
    ratifies: z
      .array(decisionId)
      .min(1)
      .optional()
      .describe(
        "The emergency changes earlier in the chain that this vote also ratifies: the proposal named them (its coop-ratifies line). A vote ratifies no emergency it does not name.",
      ),
  })
  .strict();
export const RoutineSchema = z
  .object({
    kind: z.literal("routine"),
    ...common,
    ...lockMove,
    standing: decisionId.describe("The standing decision that pre-approved this class of change."),
    class: z.enum(CHANGE_CLASSES).describe("The class every change falls into."),
    changes: z.array(ChangeRecordSchema),
  })
  .strict();
export const EmergencySchema = z
  .object({
    kind: z.literal("emergency"),
    ...common,
    ...lockMove,
    reason: z.string().min(1).describe("Why it could not wait for a vote."),
    ratifyBy: isoTime.describe("A poll must ratify it before this time."),
    changes: z.array(ChangeRecordSchema),
  })
  .strict();
export const StandingSchema = z
  .object({
    kind: z.literal("standing"),
    ...common,
    terms: z
      .object({
        classes: z.array(z.enum(CHANGE_CLASSES)).min(1).describe("Classes of change pre-approved."),
        stacks: z.array(z.string().min(1)).min(1).describe('Stacks it applies to; ["*"] for all.'),
        until: isoTime.nullable().describe("When it ends; null for until revoked."),
      })
      .strict(),
    evidence: EvidenceSchema,
  })
  .strict();
export const RatificationSchema = z
  .object({
    kind: z.literal("ratification"),
    ...common,
    stack: stackName,
    ratifies: z
      .union([decisionId, z.array(decisionId).min(1)])
      .describe("The emergency decision it ratifies, or several: every emergency change it names, up to the state it ratifies."),
    digest: hex64.describe(
      "The state ratified: the digest of the stack's approved state when the poll was proposed, which contains every emergency change it names.",
    ),
    evidence: EvidenceSchema,
  })
  .strict();

export const DecisionSchema = z
  .discriminatedUnion("kind", [GenesisSchema, ChangeSchema, RoutineSchema, EmergencySchema, StandingSchema, RatificationSchema])
  .describe("One decision of the co-op about its infrastructure (governance/decisions/<id>.yaml).");

export type Decision = z.output<typeof DecisionSchema>;
export type LockDecision = Extract<Decision, { kind: "genesis" | "change" | "routine" | "emergency" }>;
export type StandingDecision = z.output<typeof StandingSchema>;
export type RatificationDecision = z.output<typeof RatificationSchema>;
export type EmergencyDecision = z.output<typeof EmergencySchema>;
export type RoutineDecision = z.output<typeof RoutineSchema>;

type Unsigned<T> = T extends unknown ? Omit<T, "requires" | "signatures"> : never;
/** A record as a command builds it, before the rules' requirement and any signature are added. */
export type DecisionDraft = Unsigned<Decision>;

/**
 * The emergency changes a decision ratifies by naming them: a ratification's `ratifies`, a change
 * decision's `ratifies`. Nothing else ratifies an emergency: a vote that did not name it did not
 * ask the members about it.
 */
export function ratifiedIds(d: Decision): string[] {
  if (d.kind === "ratification") return typeof d.ratifies === "string" ? [d.ratifies] : [...d.ratifies];
  if (d.kind === "change") return [...(d.ratifies ?? [])];
  return [];
}

export function isLockDecision(d: Decision): d is LockDecision {
  return d.kind === "genesis" || d.kind === "change" || d.kind === "routine" || d.kind === "emergency";
}

export function decisionFile(id: string): string {
  return `${DECISIONS_DIR}/${id}.yaml`;
}

/** The exact text members sign: canonical JSON of the record as stored, without `signatures`. */
export function signaturePayload(record: JsonObject | Decision): string {
  const { signatures: _ignored, ...rest } = record as Record<string, unknown>;
  void _ignored;
  return canonicalJson(rest);
}

export const DECISION_HEADER = [
  "yaml-language-server: $schema=../decision.schema.json",
  "",
  "A decision of the co-op, recorded by coop. Do not edit: members' signatures cover every field",
  "except `signatures`; any change invalidates them and `coop verify` fails.",
];

/** The order fields are written in: what and where first, the evidence next, signatures last. */
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
  "ratifies",
  "standing",
  "class",
  "terms",
  "decidedAt",
  "recordedAt",
  "ratifyBy",
  "reason",
  "note",
  "evidence",
  "changes",
  "rulesSha256",
  "requires",
  "signatures",
];

/**
 * The record as it is written: fields in a fixed, readable order, undefined fields dropped.
 * The order does not matter to signatures (they cover canonical JSON, whose keys are sorted).
 */
export function decisionToJson(d: Decision | JsonObject): JsonObject {
  const plain = JSON.parse(JSON.stringify(d)) as JsonObject;
  const out: JsonObject = {};
  for (const k of FIELD_ORDER) if (k in plain) out[k] = plain[k];
  for (const k of Object.keys(plain)) if (!(k in out)) out[k] = plain[k];
  return out;
}

export type { Json };
