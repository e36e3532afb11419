/**
 * The co-op's bylaws as code: governance/rules.yaml. Who votes, what a passing poll needs, how
 * many signatures of which role each kind of decision needs, which routine changes a standing
 * decision may pre-approve, and how long an emergency change may stay unratified.
 */
import { z } from "zod";
import { canonicalJson, sha256Hex } from "../../kernel/json";
import { RATIO_TEXT_RE, toRatio } from "./ratio";

export const RULES_FILE = "governance/rules.yaml";
export const ROLE_RE = /^[a-z][a-z0-9-]{0,31}$/;

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

/** Change classes coop knows how to recognise (see change-classes.ts). */
export const CHANGE_CLASSES = ["image-patch"] as const;
export type ChangeClass = (typeof CHANGE_CLASSES)[number];

export const RulesSchema = z
  .object({
    version: z.literal(1).default(1).describe("Format version of this file."),
    electorate: z
      .object({
        loomioGroupId: z
          .number()
          .int()
          .positive()
          .nullable()
          .default(null)
          .describe(
            "The Loomio group whose members vote: a poll counts only if it belongs to this group. Null until the co-op sets up Loomio.",
          ),
        wholeGroup: z
          .boolean()
          .default(true)
          .describe("Refuse polls that only invite hand-picked voters (Loomio's specified_voters_only)."),
      })
      .strict()
      .prefault({})
      .describe("Who decides."),
    polls: z
      .object({
        types: z
          .array(z.enum(["proposal", "count", "poll", "score", "ranked_choice", "meeting", "dot_vote"]))
          .min(1)
          .default(["proposal"])
          .describe("Loomio poll types that may approve a change; only 'proposal' (agree/abstain/disagree/block) is evaluated today."),
        quorum: ratio("quorum")
          .default(0.5)
          .describe("Share of the poll's voters that must have decided (decided_voters_count / voters_count), e.g. 0.5."),
        threshold: ratio("threshold")
          .default("2/3")
          .describe('Share of cast agree+disagree votes that must agree, e.g. "2/3". Abstentions count for quorum, not here.'),
        blocksAllowed: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe("Most block votes a passing proposal may have; 0 means a single block stops it."),
        maxAgeDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .default(30)
          .describe("A poll may be recorded only within this many days after it closed."),
      })
      .strict()
      .prefault({})
      .describe("What a Loomio poll needs to approve a change. Loomio has no pass/fail field: coop computes the outcome from the counts."),
    signatures: z
      .object({
        genesis: SignatureRequirementSchema.prefault({}).describe(
          "Signatures on a genesis decision (the first approved state of a stack when the co-op adopts coop).",
        ),
        decisions: SignatureRequirementSchema.prefault({}).describe(
          "Signatures on a decision backed by a Loomio poll (changes, standing decisions, ratifications).",
        ),
        manual: SignatureRequirementSchema.prefault({ count: 2 }).describe(
          "Signatures on a decision taken elsewhere (a general assembly): the signatures are all the evidence there is.",
        ),
      })
      .strict()
      .prefault({})
      .describe("Member signatures each kind of decision needs before its lock counts as approved."),
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
          .describe("Days within which a poll must ratify an emergency change; afterwards the unratified state is a violation."),
      })
      .strict()
      .prefault({})
      .describe("Changes applied before the members could vote (a security fix, a broken server)."),
  })
  .strict()
  .describe("The co-op's bylaws for infrastructure changes (governance/rules.yaml).");

export type Rules = z.output<typeof RulesSchema>;

/** sha256 of the canonical rules (defaults applied), recorded in every decision. */
export function rulesDigest(rules: Rules): string {
  return sha256Hex(canonicalJson(rules));
}
