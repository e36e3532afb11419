/**
 * Everything that can be said about one decision at its place in the ledger: its signatures
 * under the members and bylaws in force there, its evidence, the versions it names, and what
 * its kind allows — with every change recomputed from the stored versions, never read from it.
 */
import { isStackDecision } from "../records/decision";
import { checkChangeClass } from "../changes/change-classes";
import { changeRecordsOf } from "../changes/change-records";
import { majorSteps, nextcloudSkips, unnamedMajors } from "../changes/majors";
import { describeSwitch, primaryStorageSwitches, STORAGE_SWITCH_REMEDIATION } from "../changes/primary-storage";
import { dedupe, type Finding } from "../findings";
import type { Ledger } from "../ledger/load";
import { recordedFacts, meetingFindings, namedMajors, pollFindings, pollKeyAt } from "./evidence";
import type { Decision, EmergencyDecision, RoutineDecision, StackDecision, StandingDecision } from "../records/decision";
import { ratifiedIds } from "../records/decision";
import { judgeSignatures, signedBy } from "../signatures/signatures";
import { changesBetween } from "../summary/stack-summary";
import { governanceChain, type L, stackChain } from "./chains";
import { base, voteAgain } from "./common";
import { processOf, type Process } from "./process";
import { founding, objectFor, versionAfter } from "./versions";
import type { Lock } from "../../plan/lock";
import { MalformedPoll } from "../loomio/poll-facts";

const cache = new WeakMap<object, Finding[]>();
const inProgress = new WeakSet<object>();

/**
 * The findings of `d` at its place. `seenAt` is when the verifier first sees the record (a new
 * record: now); undefined for a record already in the approved ledger (its recording time).
 */
export function recordFindings(ledger: Ledger, d: L<Decision>, seenAt?: Date): Finding[] {
  if (!seenAt) {
    const hit = cache.get(d);
    if (hit) return hit;
    // A routine decision and its standing decision refer to each other only one way; this guards anyway.
    if (inProgress.has(d)) return [];
    inProgress.add(d);
  }
  const out = dedupe(compute(ledger, d, seenAt ?? new Date(d.decision.recordedAt)));
  if (!seenAt) {
    cache.set(d, out);
    inProgress.delete(d);
  }
  return out;
}

function compute(ledger: Ledger, d: L<Decision>, seenAt: Date): Finding[] {
  const findings: Finding[] = [];
  const resolved = processOf(ledger, d);
  if (!("ok" in resolved)) return resolved.findings;
  const process = resolved.ok;
  findings.push(...judgeSignatures(d, process.version.members, process.requirement, process.label, process.mustSign).findings);
  findings.push(...process.findings);
  findings.push(...mustSignFindings(d, process));
  const dec = d.decision;
  if ("evidence" in dec && dec.evidence) {
    if (dec.evidence.type === "loomio-poll") findings.push(...pollFindings(d, dec.evidence, process, seenAt), ...pollReuse(ledger, d));
    else findings.push(...meetingFindings(ledger, d, dec.evidence));
  }
  findings.push(...objectsFindings(ledger, d));
  if (isStackDecision(dec)) findings.push(...stackKindFindings(ledger, d as L<StackDecision>, process));
  return findings;
}

/** A member's own key rotation, or a signer's own departure, carries their signature with a key of the previous version. */
function mustSignFindings(d: L<Decision>, process: Process): Finding[] {
  return process.mustSign
    .filter((name) => !signedBy(d, process.version.members, name))
    .map((name) => ({
      ...base(d),
      field: "signatures",
      code: "key-rotation-unsigned" as const,
      level: "error" as const,
      message: `${name}'s keys or signing role change without ${name}'s own signature made with a key of the previous members list`,
      remediation: `${name} signs it with their current key: coop sign ${d.id} --key <their key>; if the key is lost, the members decide it: coop propose --members --post`,
    }));
}

function objectsFindings(ledger: Ledger, d: L<Decision>): Finding[] {
  const dec = d.decision;
  const out: Finding[] = [];
  const need = (r: ReturnType<typeof objectFor>) => {
    if ("findings" in r) out.push(...r.findings);
  };
  if (isStackDecision(dec)) {
    need(objectFor(ledger, d, "lock", dec.digest, "digest"));
    if (dec.replaces) need(objectFor(ledger, d, "lock", dec.replaces, "replaces"));
    if (dec.kind === "change" || dec.kind === "ratification") need(objectFor(ledger, d, "prices", dec.prices, "prices"));
  } else if ("code" in dec) {
    need(objectFor(ledger, d, "rules", dec.rules, "rules"));
    need(objectFor(ledger, d, "members", dec.members, "members"));
    need(objectFor(ledger, d, "code", dec.code, "code"));
  }
  return out;
}

const pollIndexCache = new WeakMap<Ledger, Map<string, L<Decision>>>();

/** A poll approves one decision: recorded again, an old vote would approve a state it never saw. */
function pollReuse(ledger: Ledger, d: L<Decision>): Finding[] {
  let index = pollIndexCache.get(ledger);
  if (!index) {
    index = new Map();
    const polled = ledger.decisions.filter((x) => "evidence" in x.decision && x.decision.evidence?.type === "loomio-poll") as Array<
      L<Decision>
    >;
    polled.sort(
      (a, b) => Date.parse(a.decision.recordedAt) - Date.parse(b.decision.recordedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    for (const x of polled) {
      const ev = (x.decision as { evidence: { url: string; answer: object } }).evidence;
      const facts = recordedFacts(ev as never, undefined);
      const keys = [`url:${ev.url}`, ...(facts instanceof MalformedPoll ? [] : [`key:${facts.key}`, `id:${facts.pollId}`])];
      for (const k of keys) if (!index.has(k)) index.set(k, x);
    }
    pollIndexCache.set(ledger, index);
  }
  const ev = (d.decision as { evidence: { url: string } }).evidence;
  const facts = recordedFacts(ev as never, undefined);
  const keys = [`url:${ev.url}`, ...(facts instanceof MalformedPoll ? [] : [`key:${facts.key}`, `id:${facts.pollId}`])];
  const first = keys.map((k) => index!.get(k)).find((x) => x !== undefined && x !== d);
  if (!first) return [];
  return [
    {
      ...base(d),
      field: "evidence",
      code: "poll-reused",
      level: "error",
      message: `its poll was already recorded by '${first.id}'; a poll approves one decision, so this one has no vote of its own`,
      remediation: `the members vote on this: ${voteAgain(d.decision)}`,
    },
  ];
}

function lockOf(ledger: Ledger, d: L<Decision>, digest: string | null, field: string): Lock | null | undefined {
  if (digest === null) return null;
  const r = objectFor(ledger, d, "lock", digest, field);
  return "ok" in r ? r.ok : undefined;
}

function stackKindFindings(ledger: Ledger, d: L<StackDecision>, process: Process): Finding[] {
  const dec = d.decision;
  const findings: Finding[] = [];
  const found = founding(ledger);
  if (dec.kind === "genesis") {
    if (dec.previous !== null || dec.replaces !== null) {
      findings.push({
        ...base(d),
        field: "previous",
        code: "genesis-misplaced",
        level: "error",
        message: "a genesis starts a stack's chain; this one follows another decision",
        remediation: `a stack's later states need a vote: ${voteAgain(dec)}`,
      });
    } else if (!found?.decision.stacks.includes(dec.stack)) {
      findings.push({
        ...base(d),
        code: "new-stack-needs-vote",
        level: "error",
        message: `stack '${dec.stack}' was not named by the founding of the ledger, so its first state needs a vote, not a genesis`,
        remediation: `coop propose --stack ${dec.stack} --post, then coop decide --stack ${dec.stack} --poll <key>`,
      });
    }
  }
  const before = lockOf(ledger, d, dec.replaces, "replaces");
  const after = lockOf(ledger, d, dec.digest, "digest");
  if (before === undefined || after === undefined || after === null) return findings;
  const changes = changeRecordsOf(changesBetween(before, after));
  const steps = majorSteps(changes);
  for (const s of nextcloudSkips(steps)) {
    findings.push({
      ...base(d),
      code: "nextcloud-major-step",
      level: "error",
      message: `${s.urn.split("::").pop()}: Nextcloud moves from major version ${s.from} to ${s.to}; it upgrades one major version at a time`,
      remediation: "upgrade one major version at a time (docs/runbook/upgrade-nextcloud.md)",
    });
  }
  for (const s of primaryStorageSwitches(before, after)) {
    findings.push({
      ...base(d),
      code: "nextcloud-storage-switch",
      level: "error",
      message: describeSwitch(s),
      remediation: STORAGE_SWITCH_REMEDIATION,
    });
  }
  if (dec.kind === "change" || dec.kind === "routine") {
    const key =
      "evidence" in dec && dec.evidence.type === "loomio-poll" ? pollKeyAt(dec.evidence.url, process.version.rules.loomio.url) : undefined;
    for (const s of unnamedMajors(steps, dec.kind === "change" ? namedMajors(d, key) : [])) {
      findings.push({
        ...base(d),
        code: "major-unnamed",
        level: "error",
        message: `it approves ${s.family} ${s.from} → ${s.to} without naming it`,
        remediation: "a major upgrade needs a vote that names it: coop propose --post (it adds the coop-major line), then coop decide",
      });
    }
  }
  if (dec.kind === "routine") findings.push(...routineFindings(ledger, d as L<RoutineDecision>, changes));
  if (dec.kind === "change" || dec.kind === "ratification") findings.push(...ratifiesFindings(ledger, d));
  return findings;
}

function routineFindings(ledger: Ledger, d: L<RoutineDecision>, changes: ReturnType<typeof changeRecordsOf>): Finding[] {
  const dec = d.decision;
  const findings: Finding[] = [];
  const s = ledger.byId.get(dec.standing) as L<StandingDecision> | undefined;
  const missing = (message: string) =>
    findings.push({
      ...base(d),
      field: "standing",
      code: "standing-missing",
      level: "error",
      message,
      remediation: `this change needs a vote: ${voteAgain(dec)}`,
    });
  if (s?.decision.kind !== "standing") missing(`it cites '${dec.standing}', which is not a standing decision`);
  else {
    const gov = governanceChain(ledger);
    const sp = gov.position.get(s.id);
    const up = gov.position.get(dec.under);
    if (sp === undefined || up === undefined || sp > up) missing(`it cites '${s.id}', which was not in force when it was recorded`);
    if (recordFindings(ledger, s).some((f) => f.level === "error"))
      missing(`its standing decision '${s.id}' is not valid (coop verify shows why)`);
    const t = s.decision.terms;
    if (!t.classes.includes(dec.class) || !(t.stacks.includes("*") || t.stacks.includes(dec.stack))) {
      findings.push({
        ...base(d),
        field: "standing",
        code: "standing-scope",
        level: "error",
        message: `standing decision '${s.id}' covers ${t.classes.join(", ")} on ${t.stacks.join(", ")}, not ${dec.class} on '${dec.stack}'`,
        remediation: `this change needs a vote: ${voteAgain(dec)}`,
      });
    }
    if (t.until && Date.parse(dec.recordedAt) > Date.parse(t.until)) {
      findings.push({
        ...base(d),
        field: "standing",
        code: "standing-expired",
        level: "error",
        message: `standing decision '${s.id}' ended ${t.until.slice(0, 10)}, before this was recorded`,
        remediation: `this change needs a vote, or the members adopt a new standing decision: ${voteAgain(dec)}`,
      });
    }
  }
  const check = checkChangeClass(dec.class, changes);
  for (const o of check.outside) {
    findings.push({
      ...base(d),
      field: "class",
      code: "routine-out-of-class",
      level: "error",
      message: `${o.urn.split("::").pop()}${o.path ? ` ${o.path}` : ""}: ${o.reason} (recomputed from the two approved states)`,
      remediation: `only a vote can approve this change: ${voteAgain(dec)}`,
    });
  }
  return findings;
}

/** What a change or ratification ratifies: earlier emergency changes of its own stack. */
function ratifiesFindings(ledger: Ledger, d: L<StackDecision>): Finding[] {
  const dec = d.decision;
  const chain = stackChain(ledger, dec.stack);
  const own = chain.position.get(d.id);
  const findings: Finding[] = [];
  const target = (message: string): Finding => ({
    ...base(d),
    field: "ratifies",
    code: "ratification-target",
    level: "error",
    message,
    remediation: `restore the record from git (git restore ${d.file}); ${voteAgain(dec)}`,
  });
  for (const id of ratifiedIds(dec)) {
    const t = ledger.byId.get(id)?.decision;
    if (!t) findings.push(target(`it ratifies '${id}', which does not exist`));
    else if (t.kind !== "emergency") findings.push(target(`it ratifies '${id}', which is a ${t.kind} decision, not an emergency change`));
    else if (t.stack !== dec.stack) findings.push(target(`it ratifies '${id}', an emergency change of stack '${t.stack}'`));
    else {
      const p = chain.position.get(id);
      if (own !== undefined && (p === undefined || p >= own))
        findings.push(target(`it ratifies '${id}', which does not come before it in the chain of stack '${dec.stack}'`));
    }
  }
  return findings;
}

/** The emergency's deadline: from its recording, by the bylaws in force at its place. */
export function emergencyDeadline(ledger: Ledger, e: L<EmergencyDecision>): Date | undefined {
  const v = versionAfter(ledger, e.decision.under);
  if (!("ok" in v)) return undefined;
  return new Date(Date.parse(e.decision.recordedAt) + v.ok.rules.emergency.ratificationDays * 86_400_000);
}
