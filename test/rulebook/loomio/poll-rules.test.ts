import { describe, expect, it } from "vitest";
import { checkBinding, findPlanBindings, planBindingLine, standingBindingLine } from "../../../rulebook/loomio/binding";
import { MalformedPoll, pollFactsFromResponse } from "../../../rulebook/loomio/poll-facts";
import { AGE_TOLERANCE_MS, evaluatePoll, type PollProcess } from "../../../rulebook/loomio/poll-rules";
import { closedPoll, withVotes } from "../../helpers/loomio";

const DIGEST = "a".repeat(64);
const LINE = planBindingLine("example", DIGEST);
const RULES: PollProcess = {
  groupId: 42,
  wholeGroup: true,
  quorum: 0.5,
  threshold: "2/3",
  blocksAllowed: 0,
  maxAgeDays: 30,
};
const CLOSED_AT = "2026-03-10T12:00:03.512Z";
const SOON = new Date("2026-03-11T09:00:00Z");
const expected = { kind: "plan" as const, stack: "example", digest: DIGEST };

function facts(overrides: Record<string, unknown> = {}) {
  return pollFactsFromResponse(closedPoll({ details: `Please approve.\n\n${LINE}\n`, ...overrides }));
}

function failed(overrides: Record<string, unknown>, at = SOON, rules = RULES) {
  return evaluatePoll(facts(overrides), rules, expected, at).failed.map((r) => r.rule);
}

describe("reading Loomio's poll", () => {
  it("takes the oracle's closed proposal: counts by icon, 5 of 7 decided", () => {
    const f = facts();
    expect(f).toMatchObject({
      pollId: 555,
      key: "AbC123xy",
      groupId: 42,
      pollType: "proposal",
      closedAt: CLOSED_AT,
      discardedAt: null,
      votersCount: 7,
      decidedVotersCount: 5,
    });
    expect(f.counts).toEqual({ agree: 4, abstain: 0, disagree: 1, block: 0 });
  });

  it("counts by icon, never by option name (renamed, translated options)", () => {
    const body = closedPoll() as { polls: Array<{ results: Array<{ name: string }> }>; poll_options: Array<{ name: string }> };
    body.polls[0].results.forEach((r, i) => {
      r.name = ["Ja", "Enthaltung", "Nein", "Veto", "x"][i];
    });
    body.poll_options.forEach((o, i) => {
      o.name = ["Ja", "Enthaltung", "Nein", "Veto"][i];
    });
    expect(pollFactsFromResponse(body).counts).toEqual({ agree: 4, abstain: 0, disagree: 1, block: 0 });
  });

  it("falls back to stance_counts with the options' icons when results are absent", () => {
    expect(pollFactsFromResponse(closedPoll({ results: null })).counts).toEqual({ agree: 4, abstain: 0, disagree: 1, block: 0 });
  });

  it("refuses answers that are not Loomio's shape, or contradict themselves", () => {
    expect(() => pollFactsFromResponse({ polls: [] })).toThrow(MalformedPoll);
    expect(() => pollFactsFromResponse({ error: "nope" })).toThrow(MalformedPoll);
    expect(() => pollFactsFromResponse(closedPoll({ stance_counts: [1, 0, 1, 0] }))).toThrow(/disagree/);
    expect(() => pollFactsFromResponse(closedPoll({ closed_at: "yesterday" }))).toThrow(/closed_at/);
    const odd = closedPoll() as { polls: Array<{ results: Array<{ icon?: string }> }> };
    odd.polls[0].results[0].icon = "thumbs";
    expect(() => pollFactsFromResponse(odd)).toThrow(/icon 'thumbs'/);
  });

  it("takes only the poll asked for, by key or id, from a response with several", () => {
    const body = closedPoll() as { polls: Array<Record<string, unknown>> };
    body.polls.unshift({ ...body.polls[0], id: 777, key: "Other777", group_id: 42 });
    expect(pollFactsFromResponse(body, "AbC123xy")).toMatchObject({ pollId: 555, key: "AbC123xy" });
    expect(pollFactsFromResponse(body, "555")).toMatchObject({ pollId: 555, key: "AbC123xy" });
  });

  it("refuses an answer for another poll than the one asked for", () => {
    expect(() => pollFactsFromResponse(closedPoll(), "XyZ98765")).toThrow(MalformedPoll);
    expect(() => pollFactsFromResponse(closedPoll(), "XyZ98765")).toThrow(
      /the response is for poll 'AbC123xy' \(id 555\), not the poll 'XyZ98765' coop asked for/,
    );
    expect(() => pollFactsFromResponse(closedPoll(), "556")).toThrow(/not the poll '556'/);
  });

  it("refuses counts that do not add up: votes by icon must sum to decided_voters_count, decided ≤ voters", () => {
    expect(() => pollFactsFromResponse(closedPoll({ decided_voters_count: 6 }), "AbC123xy")).toThrow(
      /the votes per option add up to 5 \(agree 4, abstain 0, disagree 1, block 0\), but decided_voters_count is 6/,
    );
    expect(() => pollFactsFromResponse(closedPoll({ decided_voters_count: 4 }), "AbC123xy")).toThrow(MalformedPoll);
    // 8 decided of 7 invited: the counts agree with each other but not with the electorate.
    expect(() =>
      pollFactsFromResponse(closedPoll({ ...withVotes({ agree: 5, abstain: 1, disagree: 1, block: 1 }, 8), voters_count: 7 }), "AbC123xy"),
    ).toThrow(/decided_voters_count \(8\) is larger than voters_count \(7\)/);
    // Hidden results: no counts to add up, the voter numbers are still checked.
    expect(() => pollFactsFromResponse(closedPoll({ results: null, stance_counts: null, decided_voters_count: 9 }))).toThrow(
      /larger than voters_count/,
    );
    expect(pollFactsFromResponse(closedPoll({ results: null, stance_counts: null }), "AbC123xy").counts).toBeUndefined();
  });

  it("a poll that hides its results cannot pass", () => {
    expect(failed({ results: null, stance_counts: null })).toEqual(["threshold", "blocks"]);
  });
});

describe("the rules, one by one", () => {
  it("the oracle poll with the binding line passes every rule", () => {
    const e = evaluatePoll(facts(), RULES, expected, SOON);
    expect(e.failed).toEqual([]);
    expect(e.results.map((r) => r.rule)).toEqual([
      "closed",
      "not-discarded",
      "poll-type",
      "options",
      "group",
      "electorate",
      "binding",
      "quorum",
      "threshold",
      "blocks",
      "age",
    ]);
    expect(e.binding).toBe(LINE);
  });

  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ["open (or reopened)", { closed_at: null }, ["closed", "age"]],
    ["discarded", { discarded_at: "2026-03-10T13:00:00Z" }, ["not-discarded"]],
    ["another poll type", { poll_type: "count" }, ["poll-type"]],
    ["another group", { group_id: 7 }, ["group"]],
    ["hand-picked voters", { specified_voters_only: true }, ["electorate"]],
    ["no binding line", { details: "Please approve." }, ["binding"]],
    ["a binding line for another stack", { details: planBindingLine("prod", DIGEST) }, ["binding"]],
    ["a binding line with another digest", { details: planBindingLine("example", "b".repeat(64)) }, ["binding"]],
    ["no quorum: 3 of 7 decided", { ...withVotes({ agree: 3, abstain: 0, disagree: 0, block: 0 }, 7) }, ["quorum"]],
    ["below two thirds: 3 agree, 2 disagree", { ...withVotes({ agree: 3, abstain: 0, disagree: 2, block: 0 }, 7) }, ["threshold"]],
    ["one block", { ...withVotes({ agree: 5, abstain: 0, disagree: 0, block: 1 }, 7) }, ["blocks"]],
  ];
  for (const [name, overrides, rules] of cases) {
    it(`${name} → ${rules.join(", ")}`, () => {
      expect(failed({ details: `x\n${LINE}`, ...overrides })).toEqual(rules);
    });
  }

  it("exactly two thirds passes; quorum counts abstentions", () => {
    expect(failed(withVotes({ agree: 2, abstain: 2, disagree: 1, block: 0 }, 8))).toEqual([]);
    expect(failed(withVotes({ agree: 3, abstain: 0, disagree: 2, block: 0 }, 8))).toEqual(["threshold"]);
    expect(failed(withVotes({ agree: 4, abstain: 0, disagree: 2, block: 0 }, 12))).toEqual([]);
    expect(failed(withVotes({ agree: 2, abstain: 2, disagree: 0, block: 0 }, 8))).toEqual([]);
  });

  it("too old: closed more than 30 days (and the stated clock tolerance) before it reached the ledger", () => {
    const limit = Date.parse(CLOSED_AT) + 30 * 86_400_000 + AGE_TOLERANCE_MS;
    expect(failed({}, new Date(limit + 1000))).toEqual(["age"]);
    expect(failed({}, new Date(limit))).toEqual([]);
  });

  it("a poll that closes in the future (beyond the tolerance) cannot have decided yet", () => {
    expect(failed({}, new Date(Date.parse(CLOSED_AT) - AGE_TOLERANCE_MS - 1000))).toEqual(["age"]);
  });

  it("the options the bylaws count, each once: another template or a renamed meaning cannot pass", () => {
    const body = closedPoll({ details: `x\n${LINE}` }) as {
      poll_options: Array<Record<string, unknown>>;
      polls: Array<Record<string, unknown>>;
    };
    body.poll_options.push({ id: 9005, poll_id: 555, name: "Consent", icon: "agree", priority: 4, meaning: "I consent" });
    body.polls[0].poll_option_ids = body.poll_options.map((o) => o.id);
    const withFifth = pollFactsFromResponse(body);
    expect(evaluatePoll(withFifth, RULES, expected, SOON).failed.map((r) => r.rule)).toContain("options");
  });

  it("no Loomio group in the rules: nothing can pass", () => {
    expect(failed({}, SOON, { ...RULES, groupId: null })).toEqual(["group"]);
  });
});

describe("binding lines", () => {
  it("finds lines in Markdown and HTML, in code spans, for several stacks", () => {
    const html = `<p>Change</p><p><code>${LINE}</code><br>${planBindingLine("mail", "c".repeat(64))}</p>`;
    expect(findPlanBindings(html).map((b) => b.stack)).toEqual(["example", "mail"]);
    expect(checkBinding(html, expected).passed).toBe(true);
  });

  it("refuses two different digests for the same stack", () => {
    const r = checkBinding(`${LINE}\n${planBindingLine("example", "b".repeat(64))}`, expected);
    expect(r.passed).toBe(false);
    expect(r.detail).toMatch(/2 different digests/);
  });

  it("standing terms bind classes, stacks and end date", () => {
    const terms = { classes: ["image-patch"], stacks: ["example"], until: "2027-01-31T00:00:00.000Z" };
    const line = standingBindingLine(terms);
    expect(line).toBe("coop-standing: classes=image-patch stacks=example until=2027-01-31");
    expect(checkBinding(`ok\n${line}`, { kind: "standing", terms }).passed).toBe(true);
    expect(checkBinding(`ok\n${line}`, { kind: "standing", terms: { ...terms, stacks: ["*"] } }).passed).toBe(false);
  });
});
