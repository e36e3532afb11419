import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../../kernel/json";
import { renderProposal } from "../../../cli/render/proposal";
import { type Decision, normalizeText, RulesSchema, type Rules } from "../../../rulebook";
import { atLeastShare, blocksInWords, passesInWords } from "../../../rulebook/summary/proposal-rules";
import { REPO_ROOT } from "../../helpers/repo";

const RULES: Rules = RulesSchema.parse(parse(readFileSync(join(REPO_ROOT, "governance", "rules.yaml"), "utf8")));
const DIGEST = "a".repeat(64);
const SUMMARY = "**What changes on stack example**\n\n- Mastodon upgrades from v4.6.3 to v4.6.4.";

const change = {
  version: 2,
  kind: "change",
  id: "example-0002-change",
  project: "coop-infra",
  summary: SUMMARY,
  stack: "example",
  digest: DIGEST,
  previous: "example-0001-genesis",
  replaces: "b".repeat(64),
  under: "governance-0001-founding",
  decidedAt: "2026-03-10T12:00:00.000Z",
  recordedAt: "2026-03-10T12:00:00.000Z",
  prices: "c".repeat(64),
  evidence: { type: "meeting", meeting: "-", decidedOn: "2026-03-10", minutes: "-" },
  signatures: [],
} as unknown as Decision;
const standing = {
  ...change,
  kind: "standing",
  id: "standing-0001-image-patch",
  summary: "**What the admins may then do without a separate vote**\n\n- image-patch: patches",
  terms: { classes: ["image-patch"], stacks: ["*"], until: null },
} as unknown as Decision;
const bylaws = {
  ...change,
  kind: "bylaws",
  id: "bylaws-0001-amendment",
  summary: "- polls.maxAgeDays: 30 → 21",
  rules: DIGEST,
} as unknown as Decision;

/** The process the rulebook computes for each kind (rulebook/checks/process.ts), as the renderer receives it. */
const md = (record: Decision, rules: Rules = RULES) => {
  const a = record.kind === "bylaws" ? rules.amendments.bylaws : record.kind === "members" ? rules.amendments.roles : undefined;
  const voting = {
    quorum: a?.quorum ?? rules.polls.quorum,
    threshold: a?.threshold ?? rules.polls.threshold,
    blocksAllowed: a?.blocksAllowed ?? rules.polls.blocksAllowed,
  };
  const recorders = a ? a.signatures : rules.signatures.decisions;
  return renderProposal({ record, voting, recorders, stack: "example", coopName: "Example Co-op" }).markdown;
};

describe("the proposal members vote on", () => {
  it("carries the rulebook's summary verbatim, then the binding line and the summary's digest", () => {
    const text = md(change);
    expect(text).toContain(`\n${SUMMARY}\n`);
    expect(text).toMatch(
      new RegExp(`\\ncoop-plan: stack=example sha256=${DIGEST}\\ncoop-summary: sha256=${sha256Hex(normalizeText(SUMMARY))}\\n$`),
    );
  });

  it("a bylaws amendment binds the new bylaws' digest and states the previous bylaws' rules for amending them", () => {
    const text = md(bylaws);
    expect(text).toContain(`\ncoop-bylaws: sha256=${DIGEST}\n`);
    expect(RULES.amendments.bylaws.threshold).toBe("3/4");
    expect(text).toContain("at least three quarters of the agree and disagree votes must be agree");
    expect(md(change)).toContain("at least two thirds of the agree and disagree votes must be agree");
  });
});

describe("the proposal states the voting rules it will be counted by", () => {
  it("the example's rules: half must vote, two thirds must agree, a single block stops it", () => {
    const text = md(change);
    expect(text).toContain(
      "*Block* only if you believe it would seriously harm the co-op: under our rules a single block stops the proposal.",
    );
    expect(text).toContain(
      "**When it passes** (the co-op's rules): at least half of the members invited must vote (abstaining counts as voting), and at least two thirds of the agree and disagree votes must be agree (abstentions do not count here); a single block stops the proposal.",
    );
  });

  it("rules that allow blocks never claim a single block stops the proposal", () => {
    for (const blocksAllowed of [1, 3]) {
      const rules = { ...RULES, polls: { ...RULES.polls, blocksAllowed } };
      for (const text of [md(change, rules), md(standing, rules)]) {
        expect(text).not.toMatch(/a (single )?block stops/);
        expect(text).toContain(blocksInWords(blocksAllowed));
      }
    }
    expect(blocksInWords(1)).toBe("up to 1 block is allowed; 2 or more stop the proposal");
    expect(blocksInWords(3)).toBe("up to 3 blocks are allowed; 4 or more stop the proposal");
  });

  it("the standing proposal states the same rules", () => {
    const rules = { ...RULES, polls: { ...RULES.polls, quorum: "1/3", threshold: 0.75 } } as Rules;
    const text = md(standing, rules);
    expect(text).toContain("under our rules a single block stops the proposal.");
    expect(text).toContain("at least a third of the members invited must vote");
    expect(text).toContain("at least three quarters of the agree and disagree votes must be agree");
    expect(text).toContain("\ncoop-standing: classes=image-patch stacks=* until=none\n");
  });

  it("shares in words: named fractions, else a percentage; zero is no condition, one is all", () => {
    expect(atLeastShare(0.5)).toBe("at least half");
    expect(atLeastShare("4/6")).toBe("at least two thirds");
    expect(atLeastShare(0.6)).toBe("at least three fifths");
    expect(atLeastShare(0.667)).toBe("at least 66.7%");
    expect(atLeastShare("1/1")).toBe("all");
    expect(atLeastShare(0)).toBeUndefined();
    expect(passesInWords({ quorum: 0, threshold: 1, blocksAllowed: 0 })).toBe(
      "**When it passes** (the co-op's rules): there is no minimum turnout, and all of the agree and disagree votes must be agree (abstentions do not count here); a single block stops the proposal.",
    );
  });
});
