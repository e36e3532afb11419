import { describe, expect, it } from "vitest";
import { diffJson, diffResources } from "../../policies/diff";
import type { GovernedResource } from "../../policies/view";

const r = (name: string, inputs: GovernedResource["inputs"]): GovernedResource => ({ urn: `urn:pulumi:s::p::t::${name}`, type: "t", name, inputs });

describe("the change between two views", () => {
  it("lists deletions, updates with old → new per path, then creations", () => {
    const before = [r("server", { serverType: "cx23", labels: { a: "1" } }), r("old", {})];
    const after = [r("server", { serverType: "cx33", labels: { a: "1", b: "2" } }), r("new", {})];
    expect(diffResources(before, after)).toEqual([
      { urn: "urn:pulumi:s::p::t::old", type: "t", name: "old", op: "delete" },
      {
        urn: "urn:pulumi:s::p::t::server",
        type: "t",
        name: "server",
        op: "update",
        paths: ["labels.b", "serverType"],
        details: [
          { path: "labels.b", new: "2" },
          { path: "serverType", old: "cx23", new: "cx33" },
        ],
      },
      { urn: "urn:pulumi:s::p::t::new", type: "t", name: "new", op: "create" },
    ]);
  });

  it("reports list items by index and nothing for equal views", () => {
    expect(diffJson(["a", "b"], ["a", "c", "d"], "envs")).toEqual([
      { path: "envs[1]", old: "b", new: "c" },
      { path: "envs[2]", new: "d" },
    ]);
    expect(diffResources([r("x", { a: [1, { b: null }] })], [r("x", { a: [1, { b: null }] })])).toEqual([]);
  });
});
