/**
 * The co-op's bylaws as code: governance/rules.yaml. Who votes (one pinned Loomio instance and
 * group), what a passing poll needs, how many signatures of which role each process needs, which
 * routine changes may be pre-approved, how the bylaws, the members and the code themselves may
 * change, and how long an emergency change may stay unratified.
 *
 * Every version of this file the co-op adopted is in the ledger (by digest); the working file
 * must be the latest. A change to it is judged by the previous version (rulebook/checks).
 */
import { z } from "zod";
import { canonicalJson, sha256Hex } from "../../kernel/json";
import { RATIO_TEXT_RE, toRatio } from "./ratio";
import { SHORT_NAME_RE } from "../../kernel/names";

export const RULES_FILE = "governance/rules.yaml";
export const RULES_VERSION = 2;
export const ROLE_RE = SHORT_NAME_RE;

const ratio = (what: string) =>
  z
    .union([
      z.number().min(0).max(1),
      z.string().regex(RATIO_TEXT_RE, { message: "expected a fraction such as 2/3 or a decimal such as 0.5" }),
    ])
    .refine(
      (v) => {
        try {
          const r = toRatio(v);
          return r.num <= r.den;
        } catch {
          return false;
        }
      },
      { message: `${what} must be between 0 and 1 (a decimal such as 0.5, or a fraction such as 2/3)` },
    );

export const role = z.string().regex(ROLE_RE, { message: "expected a role name such as admin, tech or member" });

export const SignatureRequirementSchema = z
  .object({
    // At least one: a decision no member signed would approve whatever its file says.
    count: z.number().int().min(1).max(100).default(1).describe("How many different members must sign (at least 1)."),
    roles: z.array(role).min(1).default(["admin"]).describe("Each signer must hold at least one of these roles."),
  })
  .strict()
  .describe("Signatures a decision needs: `count` different members, each holding one of `roles`.");
export type SignatureRequirement = z.output<typeof SignatureRequirementSchema>;

/** Areas of change that may have their own process (rulebook/changes/areas.ts recognises them). */
export const CHANGE_AREAS = ["federation"] as const;
export type ChangeArea = (typeof CHANGE_AREAS)[number];

/** Change classes coop knows how to recognise from the change itself (rulebook/changes). */
export const CHANGE_CLASSES = ["image-patch"] as const;
export type ChangeClass = (typeof CHANGE_CLASSES)[number];

const pollRuleFields = {
  quorum: ratio("quorum").describe("Share of the poll's voters that must have decided (decided_voters_count / voters_count), e.g. 0.5."),
  threshold: ratio("threshold").describe(
    'Share of cast agree+disagree votes that must agree, e.g. "2/3". Abstentions count for quorum, not here.',
  ),
  blocksAllowed: z.number().int().min(0).describe("Most block votes a passing proposal may have; 0 means a single block stops it."),
  maxAgeDays: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .describe("A poll counts only if the verifier first sees its record within this many days after it closed."),
};

export const PollRulesSchema = z
  .object({
    quorum: pollRuleFields.quorum.default(0.5),
    threshold: pollRuleFields.threshold.default("2/3"),
    blocksAllowed: pollRuleFields.blocksAllowed.default(0),
    maxAgeDays: pollRuleFields.maxAgeDays.default(30),
  })
  .strict()
  .describe("What a Loomio proposal (agree / abstain / disagree / block) needs to pass. Loomio has no pass/fail field: coop counts.");
export type PollRules = z.output<typeof PollRulesSchema>;

/** A stricter process for one kind of change: poll rules that override the general ones, and its signatures. */
const AmendmentProcessSchema = (what: string, defaults: { threshold: string; count: number }) =>
  z
    .object({
      quorum: pollRuleFields.quorum.optional(),
      threshold: pollRuleFields.threshold.default(defaults.threshold),
      blocksAllowed: pollRuleFields.blocksAllowed.optional(),
      signatures: SignatureRequirementSchema.prefault({ count: defaults.count }).describe(`Signatures a decision on ${what} needs.`),
    })
    .strict()
    .prefault({});

export const RulesSchema = z
  .object({
    version: z.literal(RULES_VERSION).default(RULES_VERSION).describe("Format version of this file."),
    loomio: z
      .object({
        url: z
          .string()
          .regex(/^(https:\/\/[a-z0-9.-]+(:\d+)?|http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?)$/, {
            message:
              "expected the Loomio instance's address, e.g. https://loomio.example.coop (https, no path; plain http only on this machine)",
          })
          .nullable()
          .default(null)
          .describe(
            "The co-op's Loomio instance. coop fetches polls only from here and sends the API key only here. Null until the co-op sets up Loomio.",
          ),
        groupId: z
          .number()
          .int()
          .positive()
          .nullable()
          .default(null)
          .describe("The Loomio group whose members vote: a poll counts only if it belongs to this group."),
        wholeGroup: z
          .boolean()
          .default(true)
          .describe("Refuse polls that only invite hand-picked voters (Loomio's specified_voters_only)."),
      })
      .strict()
      .prefault({})
      .describe("Who decides: one Loomio instance and group, pinned here so a record cannot name another."),
    polls: PollRulesSchema.prefault({}),
    signatures: z
      .object({
        genesis: SignatureRequirementSchema.prefault({}).describe(
          "Signatures on the founding of the ledger and the first states of its stacks.",
        ),
        decisions: SignatureRequirementSchema.prefault({ count: 2 }).describe("Signatures on a decision backed by a Loomio poll."),
        manual: SignatureRequirementSchema.prefault({ count: 2 }).describe(
          "Signatures on a decision taken elsewhere (a general assembly): the signatures are all the evidence there is.",
        ),
      })
      .strict()
      .prefault({})
      .describe("Member signatures each kind of decision needs before what it approves counts."),
    amendments: z
      .object({
        bylaws: AmendmentProcessSchema("the bylaws (this file)", { threshold: "3/4", count: 2 }).describe(
          "Changing this file: decided by a poll under the previous version of it, with these overrides of `polls`, or by a general assembly (signatures.manual).",
        ),
        roles: AmendmentProcessSchema("members' roles", { threshold: "2/3", count: 2 }).describe(
          "A change to members.yaml that grants or changes a role able to sign anything: never routine.",
        ),
      })
      .strict()
      .prefault({})
      .describe("How the bylaws and the roles change: always judged by the version in force before the change."),
    membership: z
      .object({
        signatures: SignatureRequirementSchema.prefault({ count: 1 }).describe(
          "Signatures on routine membership changes: a member joins without a signing role, a member leaves, a member replaces their own key (which they also sign with the old key).",
        ),
      })
      .strict()
      .prefault({})
      .describe("Everyday membership changes that need no vote."),
    code: z
      .object({
        signatures: SignatureRequirementSchema.prefault({ count: 2 }).describe(
          "Signatures on approving a new version of the code (everything in the repository except stack specs and the ledger).",
        ),
        voteWhenChanged: z
          .array(z.string().min(1))
          .default([])
          .describe(
            "Paths (globs such as rulebook/** or policies/**) whose change needs a poll of the members (or a meeting), not only signatures.",
          ),
      })
      .strict()
      .prefault({})
      .describe("Who approves changes to the code that builds, checks and deploys the infrastructure."),
    areas: z
      .partialRecord(
        z.enum(CHANGE_AREAS),
        z
          .object({
            description: z.string().default("").describe("What changes of this area are, in plain words."),
            loomioGroupId: z
              .number()
              .int()
              .positive()
              .nullable()
              .default(null)
              .describe("The Loomio group (e.g. a working group's subgroup) whose members vote on this area; null: the co-op's group."),
            quorum: pollRuleFields.quorum.optional(),
            threshold: pollRuleFields.threshold.optional(),
            blocksAllowed: pollRuleFields.blocksAllowed.optional(),
            signatures: SignatureRequirementSchema.prefault({ count: 2 }).describe("Signatures a decision of this area needs."),
          })
          .strict(),
      )
      .default({})
      .describe(
        "Areas of change with their own process: a decision whose every change falls in the area (computed from the change itself) is judged by this electorate, poll rules and signatures; a change touching anything else is an infrastructure change. federation: the servers Mastodon blocks or limits.",
      ),
    standing: z
      .object({
        classes: z
          .partialRecord(
            z.enum(CHANGE_CLASSES),
            z
              .object({
                description: z.string().default("").describe("What the class covers, in plain words."),
                signatures: SignatureRequirementSchema.prefault({}).describe("Signatures a routine change of this class needs."),
              })
              .strict(),
          )
          .default({})
          .describe(
            "Change classes a standing decision may pre-approve. image-patch: every changed path is a pinned image whose version differs only in the patch number.",
          ),
      })
      .strict()
      .prefault({})
      .describe("Routine changes that members may pre-approve once, by a standing decision."),
    emergency: z
      .object({
        signatures: SignatureRequirementSchema.prefault({ count: 2 }).describe(
          "Signatures an emergency change needs to be applied without a vote.",
        ),
        ratificationDays: z
          .number()
          .int()
          .min(1)
          .max(365)
          .default(14)
          .describe(
            "Days, from when the emergency was recorded, within which a vote must ratify it; afterwards the unratified state is a violation.",
          ),
      })
      .strict()
      .prefault({})
      .describe("Changes applied before the members could vote (a security fix, a broken server)."),
  })
  .strict()
  .describe("The co-op's bylaws for infrastructure changes (governance/rules.yaml).");

export type Rules = z.output<typeof RulesSchema>;

/** sha256 of the canonical rules (defaults applied): the version's name in the ledger. */
export function rulesDigest(rules: Rules): string {
  return sha256Hex(canonicalJson(rules));
}

/** Every role that some requirement of the bylaws names: granting one of them is never routine. */
export function signingRoles(rules: Rules): Set<string> {
  const reqs: SignatureRequirement[] = [
    rules.signatures.genesis,
    rules.signatures.decisions,
    rules.signatures.manual,
    rules.amendments.bylaws.signatures,
    rules.amendments.roles.signatures,
    rules.membership.signatures,
    rules.code.signatures,
    rules.emergency.signatures,
    ...Object.values(rules.standing.classes).map((c) => c!.signatures),
    ...Object.values(rules.areas).map((a) => a!.signatures),
  ];
  return new Set(reqs.flatMap((r) => r.roles));
}
