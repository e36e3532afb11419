import { describe, expect, it } from "vitest";
import { checkSource, valueAt } from "../../policies/governance-stack-computed-values-match-sources";
import { computedSources, describeSource, rawAt, type ComputedSource } from "../../plan/view";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ip = { urn: "urn:pulumi:s::p::hcloud:index/primaryIp:PrimaryIp::ipv4", output: "ipAddress" };
const fw = { urn: "urn:pulumi:s::p::hcloud:index/firewall:Firewall::fw", output: "id" };

describe("what a computed value is made of", () => {
  it("is read from the twin run, which answered IDs and addresses with recognisable values", () => {
    const twin = {
      inputs: { host: "ssh://coop@198.18.0.101", firewallIds: [7100000003], note: "x", pw: UNKNOWN },
      config: [],
      generated: [],
      traced: [
        ["198.18.0.101", ip],
        ["7100000003", fw],
      ] as const,
    };
    const governed = { host: "<computed>", firewallIds: ["<computed>"], note: "x", pw: "<computed>" };
    expect(computedSources(governed, { ...twin, traced: [...twin.traced] })).toEqual({
      host: { parts: ["ssh://coop@", ip] },
      "firewallIds[0]": { parts: [fw], number: true },
    });
    expect(describeSource({ parts: ["ssh://coop@", ip] })).toBe("ssh://coop@${ipv4.ipAddress}");
  });

  it("is never recorded for a value holding a secret", () => {
    const wire = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "u:198.18.0.101:PW" };
    expect(
      computedSources(
        { a: "<computed>", b: "<computed>" },
        { inputs: { a: wire, b: "198.18.0.101 PW" }, config: ["PW"], generated: [], traced: [["198.18.0.101", ip]] },
      ),
    ).toEqual({});
    expect(rawAt({ l: [wire] }, "l[0]")).toEqual({ value: "u:198.18.0.101:PW", secret: true });
  });

  it("is checked against the outputs the stack request carries", () => {
    const host: ComputedSource = { parts: ["ssh://coop@", ip] };
    const outputs = (v: unknown) => () => v;
    expect(checkSource(host, "ssh://coop@203.0.113.10", outputs("203.0.113.10"))).toEqual({ ok: true });
    expect(checkSource(host, "ssh://root@203.0.113.66", outputs("203.0.113.10"))).toEqual({
      ok: false,
      why: 'must be "ssh://coop@203.0.113.10"',
    });
    expect(checkSource(host, "ssh://coop@203.0.113.10", outputs(UNKNOWN)).ok).toBe(false);
    expect(checkSource({ parts: [fw], number: true }, 4711, outputs("4711"))).toEqual({ ok: true });
    expect(checkSource({ parts: [fw], number: true }, 4712, outputs("4711")).ok).toBe(false);
    expect(valueAt({ publicNets: [{ ipv4: 1 }] }, "publicNets[0].ipv4")).toBe(1);
    expect(valueAt({ a: 1 }, "b.c")).toBeUndefined();
  });
});
