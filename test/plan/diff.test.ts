import { describe, expect, it } from "vitest";
import { PROVIDER_PATH, diffJson, diffResources } from "../../plan/diff";
import { describeChanges } from "../../rulebook/summary/plain-words";
import type { GovernedResource } from "../../plan/view";

const r = (name: string, inputs: GovernedResource["inputs"]): GovernedResource => ({
  urn: `urn:pulumi:s::p::t::${name}`,
  type: "t",
  name,
  inputs,
});

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

  it("shows a resource moved to another provider (another Docker host or account) as a change", () => {
    const host = "urn:pulumi:s::p::coop:host:Host$pulumi:providers:docker::host-docker";
    const other = "urn:pulumi:s::p::pulumi:providers:docker::default_1_0_0";
    const changes = diffResources([{ ...r("web", { image: "x" }), provider: host }], [{ ...r("web", { image: "x" }), provider: other }]);
    expect(changes).toEqual([
      expect.objectContaining({ op: "update", paths: [PROVIDER_PATH], details: [{ path: PROVIDER_PATH, old: host, new: other }] }),
    ]);
    expect(describeChanges(changes).flatMap((s) => s.sentences)).toContain(
      "⚠ web is deployed through another provider: host-docker → default_1_0_0.",
    );
  });

  it("shows a computed value now made of something else, although both views say <computed>", () => {
    const ip = { urn: "urn:pulumi:s::p::hcloud:index/primaryIp:PrimaryIp::host-ipv4", output: "ipAddress" };
    const before = { ...r("docker", { host: "<computed>" }), sources: { host: { parts: ["ssh://coop@", ip] } } };
    const after = { ...r("docker", { host: "<computed>" }), sources: { host: { parts: ["ssh://root@", ip] } } };
    expect(diffResources([before], [after])[0].details).toEqual([
      { path: "host (computed from)", old: "ssh://coop@${host-ipv4.ipAddress}", new: "ssh://root@${host-ipv4.ipAddress}" },
    ]);
    expect(diffResources([before], [before])).toEqual([]);
  });
});
