import { describe, expect, it } from "vitest";
import { changedLines } from "../../plan/line-diff";

describe("changed lines of a multi-line value", () => {
  it("shows only what changed, marked + and -", () => {
    expect(changedLines("a\nb\nc\n", "a\nB\nc\nd\n")).toEqual(["- b", "+ B", "+ d"]);
  });

  it("says how many more when there are too many", () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const after = Array.from({ length: 30 }, (_, i) => `LINE ${i}`).join("\n");
    const out = changedLines(before, after, 4);
    expect(out).toHaveLength(5);
    expect(out[4]).toBe("… and 56 more changed lines");
  });
});
