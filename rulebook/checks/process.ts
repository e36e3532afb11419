/**
 * Which process of the bylaws judges a decision, computed from the decision's place and its
 * real change (never from what the record says it is): the version in force, the signatures it
 * needs, the poll rules a vote must pass, what the poll must bind, and whether a change without
 * a vote stays within what the bylaws allow without one.
 */
import { isStackDecision } from "../records/decision";
import type { Expectation } from "../loomio/binding";
import type { PollProcess } from "../loomio/poll-rules";
import type { Finding } from "../findings";
import type { Ledger } from "../ledger/load";
import type { Decision, GovernanceDecision, StackDecision } from "../records/decision";
import { codeChanges, pathsNeedingVote } from "../records/code";
import { type ChangeArea, signingRoles, type Rules, type SignatureRequirement } from "../records/rules";
import { classifyMembership, membersChange } from "../changes/membership";
import { areaOf } from "../changes/areas";
import { changeRecordsOf, type ChangeRecord } from "../changes/change-records";
import { changesBetween } from "../summary/stack-summary";
import { ratifiedIds } from "../records/decision";
import type { L } from "./chains";
import { base } from "./common";
import { objectFor, type Resolved, type Version, versionAfter } from "./versions";

export interface Process {
  /** The version of the bylaws and members that judges the decision. */
  readonly version: Version;
  /** Which process, in words, for messages. */
  readonly label: string;
  readonly requirement: SignatureRequirement;
  /** The poll rules, when the decision rests on a Loomio poll. */
  readonly poll?: PollProcess;
  /** What its poll must bind. */
  readonly expectation?: Expectation;
  /** Problems of the change itself under this process (a change beyond what it allows). */
  readonly findings: Finding[];
  /** Members who must sign it themselves (their own key rotation, their own departure as a signer). */
  readonly mustSign: readonly string[];
  /** The area of change whose own process this is (bylaws `areas`), if any. */
  readonly area?: ChangeArea;
}

function pollOf(
  rules: Rules,
  overrides: { quorum?: PollProcess["quorum"]; threshold?: PollProcess["threshold"]; blocksAllowed?: number } = {},
): PollProcess {
  return {
    groupId: rules.loomio.groupId,
    wholeGroup: rules.loomio.wholeGroup,
    quorum: overrides.quorum ?? rules.polls.quorum,
    threshold: overrides.threshold ?? rules.polls.threshold,
    blocksAllowed: overrides.blocksAllowed ?? rules.polls.blocksAllowed,
    maxAgeDays: rules.polls.maxAgeDays,
  };
}

const cache = new WeakMap<object, Resolved<Process>>();

/** The process that judges `d`; findings when its place or the versions it needs cannot be resolved. */
export function processOf(ledger: Ledger, d: L<Decision>): Resolved<Process> {
  const hit = cache.get(d);
  if (hit) return hit;
  const out = isStackDecision(d.decision)
    ? stackProcess(ledger, d as L<StackDecision>)
    : governanceProcess(ledger, d as L<GovernanceDecision>);
  cache.set(d, out);
  return out;
}

function stackProcess(ledger: Ledger, d: L<StackDecision>): Resolved<Process> {
  const v = versionAfter(ledger, d.decision.under);
  if (!("ok" in v)) return v;
  const version = v.ok;
  const rules = version.rules;
  const dec = d.decision;
  const plan: Expectation = { kind: "plan", stack: dec.stack, digest: dec.digest };
  const common = { version, findings: [] as Finding[], mustSign: [] as string[] };
  switch (dec.kind) {
    case "genesis":
      return { ok: { ...common, label: "the bylaws' genesis signatures", requirement: rules.signatures.genesis } };
    case "emergency":
      return { ok: { ...common, label: "the bylaws' emergency process", requirement: rules.emergency.signatures } };
    case "routine": {
      const cls = rules.standing.classes[dec.class];
      if (!cls) {
        return {
          findings: [
            {
              ...base(d),
              field: "class",
              code: "standing-scope",
              level: "error",
              message: `the bylaws in force when it was recorded define no routine class '${dec.class}'`,
              remediation: `this change needs a vote: coop propose --stack ${dec.stack} --post`,
            },
          ],
        };
      }
      return { ok: { ...common, label: `the bylaws' '${dec.class}' routine class`, requirement: cls.signatures } };
    }
    default: {
      if (dec.evidence.type === "meeting")
        return { ok: { ...common, label: "the bylaws' process for a meeting's decision", requirement: rules.signatures.manual } };
      // Classifying reads the states before and after; bylaws without areas need no classifying.
      const area = Object.keys(rules.areas).length > 0 ? areaOfDecision(ledger, d) : undefined;
      const own = area ? rules.areas[area] : undefined;
      if (area && own) {
        const poll = { ...pollOf(rules, own), groupId: own.loomioGroupId ?? rules.loomio.groupId };
        return {
          ok: { ...common, area, label: `the bylaws' process for ${area} decisions`, requirement: own.signatures, poll, expectation: plan },
        };
      }
      return {
        ok: {
          ...common,
          label: "the bylaws' process for infrastructure changes",
          requirement: rules.signatures.decisions,
          poll: pollOf(rules),
          expectation: plan,
        },
      };
    }
  }
}

/**
 * The area of change a stack decision falls in, from the stored states: its own change, and
 * for a ratification (which changes nothing) the changes of the emergencies it ratifies.
 */
function areaOfDecision(ledger: Ledger, d: L<StackDecision>): ChangeArea | undefined {
  const lock = (digest: string | null) => {
    if (digest === null) return null;
    try {
      return ledger.objects.get("lock", digest);
    } catch {
      return undefined;
    }
  };
  const steps: Array<{ replaces: string | null; digest: string }> = [d.decision];
  for (const id of ratifiedIds(d.decision)) {
    const e = ledger.byId.get(id)?.decision;
    if (e && e.kind === "emergency") steps.push(e);
  }
  const changes: ChangeRecord[] = [];
  for (const s of steps) {
    const before = lock(s.replaces);
    const after = lock(s.digest);
    // A state that cannot be read is reported elsewhere; without it the change is in no area.
    if (before === undefined || !after) return undefined;
    changes.push(...changeRecordsOf(changesBetween(before, after)));
  }
  return areaOf(changes);
}

function governanceProcess(ledger: Ledger, d: L<GovernanceDecision>): Resolved<Process> {
  const dec = d.decision;
  const judge = dec.kind === "founding" ? d.id : dec.previous;
  if (judge === null) return { findings: [] };
  const v = versionAfter(ledger, judge);
  if (!("ok" in v)) return v;
  const version = v.ok;
  const rules = version.rules;
  const common = { version, findings: [] as Finding[], mustSign: [] as string[] };
  const meeting = (label: string) => ({ ok: { ...common, label, requirement: rules.signatures.manual } });
  switch (dec.kind) {
    case "founding":
      return { ok: { ...common, label: "the founding bylaws' genesis signatures", requirement: rules.signatures.genesis } };
    case "standing":
      return dec.evidence.type === "meeting"
        ? meeting("the bylaws' process for a meeting's decision")
        : {
            ok: {
              ...common,
              label: "the bylaws' process for standing decisions",
              requirement: rules.signatures.decisions,
              poll: pollOf(rules),
              expectation: { kind: "standing", terms: dec.terms },
            },
          };
    case "bylaws": {
      const a = rules.amendments.bylaws;
      return dec.evidence.type === "meeting"
        ? meeting("the previous bylaws' process for a meeting's decision")
        : {
            ok: {
              ...common,
              label: "the previous bylaws' process for amending the bylaws",
              requirement: a.signatures,
              poll: pollOf(rules, a),
              expectation: { kind: "governed", what: "bylaws", digest: dec.rules },
            },
          };
    }
    case "members": {
      const before = objectFor(ledger, d, "members", version.members.digest, "members");
      const after = objectFor(ledger, d, "members", dec.members, "members");
      if (!("ok" in before) || !("ok" in after))
        return { findings: [...("findings" in before ? before.findings : []), ...("findings" in after ? after.findings : [])] };
      const cls = classifyMembership(membersChange(before.ok, after.ok), signingRoles(rules));
      if (dec.evidence === undefined) {
        const findings: Finding[] = cls.beyondRoutine.length
          ? [
              {
                ...base(d),
                field: "members",
                code: "membership-out-of-class",
                level: "error",
                message: `it ${cls.beyondRoutine.join("; ")}: granting or taking a role that can sign is never routine`,
                remediation:
                  "the members decide it: coop propose --members --post, then coop decide --members --poll <key> (or a general assembly: --manual)",
              },
            ]
          : [];
        return {
          ok: {
            ...common,
            findings,
            mustSign: cls.mustSign,
            label: "the bylaws' routine membership class",
            requirement: rules.membership.signatures,
          },
        };
      }
      const a = rules.amendments.roles;
      return dec.evidence.type === "meeting"
        ? meeting("the bylaws' process for a meeting's decision")
        : {
            ok: {
              ...common,
              label: "the bylaws' process for roles",
              requirement: a.signatures,
              poll: pollOf(rules, a),
              expectation: { kind: "governed", what: "members", digest: dec.members },
            },
          };
    }
    case "code": {
      const before = objectFor(ledger, d, "code", version.code, "code");
      const after = objectFor(ledger, d, "code", dec.code, "code");
      if (!("ok" in before) || !("ok" in after))
        return { findings: [...("findings" in before ? before.findings : []), ...("findings" in after ? after.findings : [])] };
      const vote = pathsNeedingVote(codeChanges(before.ok, after.ok), rules.code.voteWhenChanged);
      if (dec.evidence === undefined) {
        const findings: Finding[] = vote.length
          ? [
              {
                ...base(d),
                field: "evidence",
                code: "code-vote-required",
                level: "error",
                message: `it changes ${vote.slice(0, 5).join(", ")}${vote.length > 5 ? ` and ${vote.length - 5} more` : ""}, which the bylaws reserve for a vote (code.voteWhenChanged)`,
                remediation: "the members decide it: coop propose --code --post, then coop decide --code --poll <key>",
              },
            ]
          : [];
        return { ok: { ...common, findings, label: "the bylaws' code process", requirement: rules.code.signatures } };
      }
      return dec.evidence.type === "meeting"
        ? meeting("the bylaws' process for a meeting's decision")
        : {
            ok: {
              ...common,
              label: "the bylaws' process for code the members vote on",
              requirement: rules.signatures.decisions,
              poll: pollOf(rules),
              expectation: { kind: "governed", what: "code", digest: dec.code },
            },
          };
    }
  }
}
