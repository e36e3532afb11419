/** Which example each of a fork's stacks starts from (coop init --stack NAME[:SHAPE]). */
import { describe, expect, it } from "vitest";
import { parseStackRequest, planStacks, renameStacks } from "../../../cli/init/stack-shapes";

const EXAMPLES = ["example", "example-grown", "local", "split-cloud", "split-mail", "split-social"];

describe("stack shapes", () => {
  it("one-host by default, split in three named after the stack, local from local.yaml", () => {
    const plan = planStacks(["prod", "home:local", "river:split"].map(parseStackRequest), EXAMPLES);
    expect(plan.map((p) => [p.stack, p.from])).toEqual([
      ["prod", "example"],
      ["home", "local"],
      ["river-mail", "split-mail"],
      ["river-social", "split-social"],
      ["river-cloud", "split-cloud"],
    ]);
  });

  it("grown from the grown example, as one stack", () => {
    expect(planStacks([parseStackRequest("prod:grown")], EXAMPLES)).toEqual([{ stack: "prod", from: "example-grown", renames: [] }]);
  });

  it("a stack whose spec exists keeps its own file", () => {
    expect(planStacks([parseStackRequest("prod")], [...EXAMPLES, "prod"])).toEqual([{ stack: "prod", from: "prod", renames: [] }]);
    expect(planStacks([parseStackRequest("local:local")], EXAMPLES)).toEqual([{ stack: "local", from: "local", renames: [] }]);
  });

  it("refuses what it cannot make, naming the fix", () => {
    expect(() => parseStackRequest("prod:huge")).toThrow(/unknown shape 'huge'/);
    expect(() => parseStackRequest("a:b:c")).toThrow(/must be NAME or NAME:SHAPE/);
    expect(() => parseStackRequest("-x")).toThrow(/is not a stack name/);
    expect(() => planStacks([parseStackRequest("prod")], ["local"])).toThrow(
      /stacks\/example\.yaml, the example prod would start from, is not in this repository/,
    );
    expect(() => planStacks(["river:split", "river-mail"].map(parseStackRequest), EXAMPLES)).toThrow(/river-mail would be made twice/);
  });

  it("renames the example's stack names in comments and the StackReference, not other words", () => {
    const text = "# see split-mail.yaml\nfromStack: organization/coop-infra/split-mail # split-mailbox stays\n";
    expect(renameStacks(text, [["split-mail", "river-mail"]])).toBe(
      "# see river-mail.yaml\nfromStack: organization/coop-infra/river-mail # split-mailbox stays\n",
    );
  });
});
