import { describe, expect, it } from "vitest";
import { renderProposal, renderStandingProposal, type ProposalInput } from "../../../cli/render/proposal";
import { atLeastShare, blocksInWords, passesInWords } from "../../../cli/render/proposal-rules";

const BASE: ProposalInput = {
  stack: "example",
  coopName: "Example Co-op",
  digest: "a".repeat(64),
  changes: [],
  runs: [],
  cost: { before: 10, after: 10, asOf: "2026-08-02", vat: "excluded", unpriced: 0 },
  voting: { quorum: 0.5, threshold: "2/3", blocksAllowed: 0 },
};
const TERMS = { classes: ["image-patch"], stacks: ["*"], until: null };

describe("the proposal states the voting rules it will be counted by", () => {
  it("the example's rules: half must vote, two thirds must agree, a single block stops it", () => {
    const md = renderProposal(BASE).markdown;
    expect(md).toContain(
      "*Block* only if you believe it would seriously harm the co-op: under our rules a single block stops the proposal.",
    );
    expect(md).toContain(
      "**When it passes** (the co-op's rules): at least half of the members invited must vote (abstaining counts as voting), and at least two thirds of the agree and disagree votes must be agree (abstentions do not count here); a single block stops the proposal.",
    );
  });

  it("rules that allow blocks never claim a single block stops the proposal", () => {
    for (const blocksAllowed of [1, 3]) {
      const voting = { ...BASE.voting, blocksAllowed };
      for (const md of [
        renderProposal({ ...BASE, voting }).markdown,
        renderStandingProposal("Example Co-op", TERMS, {}, voting).markdown,
      ]) {
        expect(md).not.toMatch(/a (single )?block stops/);
        expect(md).toContain(blocksInWords(blocksAllowed));
      }
    }
    expect(blocksInWords(1)).toBe("up to 1 block is allowed; 2 or more stop the proposal");
    expect(blocksInWords(3)).toBe("up to 3 blocks are allowed; 4 or more stop the proposal");
  });

  it("the standing proposal states the same rules", () => {
    const md = renderStandingProposal("Example Co-op", TERMS, {}, { quorum: "1/3", threshold: 0.75, blocksAllowed: 0 }).markdown;
    expect(md).toContain("under our rules a single block stops the proposal.");
    expect(md).toContain("at least a third of the members invited must vote");
    expect(md).toContain("at least three quarters of the agree and disagree votes must be agree");
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
