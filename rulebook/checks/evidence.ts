/**
 * The evidence of a decision, re-derived from what the record keeps — never from its own word:
 * a poll's facts come from the Loomio answer stored in it (which must be from the bylaws'
 * Loomio instance and group), are evaluated by the process of the change, and must name what
 * the decision approves (binding line, major upgrades, emergency changes it ratifies). A
 * meeting's evidence is its signatures and its minutes, which must be in the repository.
 */
import { join } from "node:path";
import { isMissing, readRegularFile, SIZE_LIMITS } from "../../kernel/safe-read";
import { findMajorLines } from "../changes/majors";
import type { Finding, FindingCode } from "../findings";
import type { Ledger } from "../ledger/load";
import { detailsText, findPlanBindings, ratifiedNamesFor } from "../loomio/binding";
import { MalformedPoll, pollFactsFromResponse, type PollFacts } from "../loomio/poll-facts";
import { evaluatePoll, type PollRule } from "../loomio/poll-rules";
import type { Decision, MeetingEvidence, PollEvidence } from "../records/decision";
import type { L } from "./chains";
import { base, CLOCK_TOLERANCE_MS, voteAgain } from "./common";
import type { Process } from "./process";

const RULE_CODES: Record<PollRule, FindingCode> = {
  closed: "poll-not-closed",
  "not-discarded": "poll-discarded",
  "poll-type": "poll-type",
  options: "poll-options",
  group: "poll-group",
  electorate: "poll-electorate",
  binding: "poll-binding",
  quorum: "poll-quorum",
  threshold: "poll-threshold",
  blocks: "poll-blocks",
  age: "decision-stale",
};

/** The poll key an evidence URL names at the instance `loomioUrl`; undefined when it is elsewhere. */
export function pollKeyAt(url: string, loomioUrl: string | null): string | undefined {
  if (!loomioUrl) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.origin !== new URL(loomioUrl).origin || u.search || u.hash) return undefined;
  const m = /^\/p\/([A-Za-z0-9_-]{1,64})$/.exec(u.pathname);
  return m?.[1];
}

const factsCache = new WeakMap<object, PollFacts | MalformedPoll>();

/** The facts of a recorded poll, from its stored answer. */
export function recordedFacts(ev: PollEvidence, key: string | undefined): PollFacts | MalformedPoll {
  const hit = factsCache.get(ev);
  if (hit) return hit;
  let out: PollFacts | MalformedPoll;
  try {
    out = pollFactsFromResponse(ev.answer, key);
  } catch (e) {
    out = e instanceof MalformedPoll ? e : new MalformedPoll(String(e));
  }
  factsCache.set(ev, out);
  return out;
}

/**
 * Everything a poll's stored answer says about the decision under `process`. `seenAt`: when the
 * verifier first sees the record (a new record: now), else its recording time.
 */
export function pollFindings(d: L<Decision>, ev: PollEvidence, process: Process, seenAt: Date): Finding[] {
  const rules = process.version.rules;
  const at = (code: FindingCode, message: string, remediation: string, field = "evidence"): Finding => ({
    ...base(d),
    field,
    code,
    level: "error",
    message,
    remediation,
  });
  const key = pollKeyAt(ev.url, rules.loomio.url);
  if (!key) {
    return [
      at(
        "poll-instance",
        `the poll's address ${JSON.stringify(ev.url.slice(0, 200))} is not a poll at the co-op's Loomio instance (${rules.loomio.url ?? "the bylaws name none"})`,
        rules.loomio.url
          ? `record a poll of ${rules.loomio.url}: ${voteAgain(d.decision)}`
          : "set loomio.url in governance/rules.yaml (a bylaws change), then let the members vote",
        "evidence.url",
      ),
    ];
  }
  const facts = recordedFacts(ev, key);
  if (facts instanceof MalformedPoll)
    return [
      at(
        "poll-answer",
        `the recorded Loomio answer cannot be used: ${facts.message}`,
        `restore the record from git (git restore ${d.file})`,
        "evidence.answer",
      ),
    ];
  if (!process.poll || !process.expectation)
    return [at("poll-type", "this decision is not one a poll decides", `restore the record from git (git restore ${d.file})`)];
  const findings: Finding[] = [];
  const result = evaluatePoll(facts, process.poll, process.expectation, seenAt);
  for (const f of result.failed) {
    let code = RULE_CODES[f.rule];
    const exp = process.expectation;
    if (f.rule === "binding" && exp.kind === "plan" && findPlanBindings(facts.details).some((b) => b.stack === exp.stack))
      code = "digest-mismatch";
    findings.push(
      at(
        code,
        `poll ${facts.key}: ${f.detail}`,
        code === "decision-stale"
          ? `the poll is too old: ${voteAgain(d.decision)}`
          : `a decision needs a poll that passes every rule of ${process.label}: ${voteAgain(d.decision)}`,
      ),
    );
  }
  const dec = d.decision;
  if (facts.closedAt !== null && dec.decidedAt !== facts.closedAt) {
    findings.push(
      at(
        "poll-answer",
        `decidedAt (${dec.decidedAt}) is not the poll's closing time (${facts.closedAt})`,
        `restore the record from git (git restore ${d.file})`,
        "decidedAt",
      ),
    );
  }
  const fetched = Date.parse(ev.fetchedAt);
  if (
    fetched > Date.parse(dec.recordedAt) + CLOCK_TOLERANCE_MS ||
    (facts.closedAt !== null && fetched < Date.parse(facts.closedAt) - CLOCK_TOLERANCE_MS)
  ) {
    findings.push(
      at(
        "poll-answer",
        `the answer was fetched ${ev.fetchedAt}, outside the time between the poll's close and the record`,
        `restore the record from git (git restore ${d.file})`,
        "evidence.fetchedAt",
      ),
    );
  }
  if ("stack" in dec && (dec.kind === "change" || dec.kind === "ratification")) {
    const named = ratifiedNamesFor(facts.details, dec.stack).sort();
    const recorded = [...(dec.ratifies ?? [])].sort();
    if (named.join(",") !== recorded.join(",")) {
      findings.push({
        ...at(
          "ratification-target",
          `it ratifies ${recorded.length ? recorded.join(", ") : "nothing"}, but poll ${facts.key} named ${named.length ? named.join(", ") : "no emergency change"} (coop-ratifies line): a vote ratifies exactly what its text named`,
          `restore the record from git (git restore ${d.file}); ${voteAgain(dec)}`,
          "ratifies",
        ),
      });
    }
  }
  return findings;
}

/** The coop-major lines a poll named, or a meeting recorded. */
export function namedMajors(d: L<Decision>, key: string | undefined): string[] {
  const ev = "evidence" in d.decision ? d.decision.evidence : undefined;
  if (!ev) return [];
  if (ev.type === "meeting") return ev.majors ?? [];
  const facts = recordedFacts(ev, key);
  return facts instanceof MalformedPoll ? [] : findMajorLines(detailsText(facts.details));
}

/** A meeting's decision: dated on or before its recording, with minutes that exist. */
export function meetingFindings(ledger: Ledger, d: L<Decision>, ev: MeetingEvidence): Finding[] {
  const findings: Finding[] = [];
  const on = `${ev.decidedOn}T00:00:00.000Z`;
  if (Number.isNaN(Date.parse(on)) || d.decision.decidedAt !== on) {
    findings.push({
      ...base(d),
      field: "decidedAt",
      code: "poll-answer",
      level: "error",
      message: `decidedAt (${d.decision.decidedAt}) is not the meeting's date (${ev.decidedOn})`,
      remediation: `restore the record from git (git restore ${d.file})`,
    });
  } else if (Date.parse(on) > Date.parse(d.decision.recordedAt)) {
    findings.push({
      ...base(d),
      field: "evidence.decidedOn",
      code: "recorded-in-future",
      level: "error",
      message: `the meeting (${ev.decidedOn}) is after the decision was recorded`,
      remediation: `restore the record from git (git restore ${d.file})`,
    });
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(ev.minutes)) {
    const rel = ev.minutes.replace(/^\.\//, "");
    const bad = rel.startsWith("/") || rel.split("/").includes("..");
    let missing = bad;
    if (!bad) {
      try {
        readRegularFile(join(ledger.root, rel), SIZE_LIMITS.config, rel);
      } catch (e) {
        missing = true;
        void isMissing(e);
      }
    }
    if (missing) {
      findings.push({
        ...base(d),
        field: "evidence.minutes",
        code: "minutes-missing",
        level: "error",
        message: `the minutes ${JSON.stringify(ev.minutes.slice(0, 200))} are not a readable file of the repository`,
        remediation: "commit the meeting's minutes at that path (e.g. docs/minutes/<date>.md), or restore them from git",
      });
    }
  }
  return findings;
}
