import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { describe, expect, it } from "vitest";
import { runProgramOffline } from "../../cli/offline/run-program";
import { renderTree } from "../../cli/render/tree";
import { COMPUTED, SECRET, buildView, canonicalJson, computedPaths, governedValue, viewDigest, type DesiredStateView } from "../../policies/view";
import { StackSpecSchema } from "../../stacks/schema";
import { bundledSpec } from "../helpers/program";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const PH = "coop-config-secret:coop-infra:relay:0123456789abcdef";

describe("governed values", () => {
  it("mask config secrets by provenance, keeping an env entry's name", () => {
    expect(governedValue(`SMTP_PASSWORD=${PH}`, [PH])).toBe(`SMTP_PASSWORD=${SECRET}`);
    expect(governedValue(PH, [PH])).toBe(SECRET);
    expect(governedValue(`smtp://user:${PH}@relay`, [PH])).toBe(SECRET);
  });

  it("keep plain entries beside a secret verbatim although the SDK wrapped the whole list", () => {
    expect(governedValue(secret([UNKNOWN, "PLAIN=1", `PW=${PH}`]), [PH])).toEqual([COMPUTED, "PLAIN=1", `PW=${SECRET}`]);
  });

  it("mark values computed from other resources, wherever they are", () => {
    const v = governedValue({ b: [1, { c: UNKNOWN }], a: UNKNOWN, d: "3eeb2bf0-c639-47a8-9e75-3b44932eb421" }, []);
    expect(v).toEqual({ a: COMPUTED, b: [1, { c: COMPUTED }], d: COMPUTED });
    expect(computedPaths(v)).toEqual(["a", "b[1].c", "d"]);
  });

  it("refuse literal text that would pass for a mask", () => {
    for (const literal of [SECRET, COMPUTED, `TOKEN=${SECRET}`]) expect(() => governedValue({ env: [literal] }, [])).toThrow(/reserves for masked values/);
    expect(governedValue("a <secret> inside", [])).toBe("a <secret> inside");
  });
});

describe("the plan digest", () => {
  const view = (resources: DesiredStateView["resources"]): DesiredStateView => ({ version: 1, project: "p", stack: "s", resources });
  it("is the sha256 of RFC 8785 canonical JSON, so key order does not matter", () => {
    const a = view([{ urn: "u", type: "t", name: "n", inputs: { b: 1, a: [true, "x"] } }]);
    const b = view([{ name: "n", inputs: { a: [true, "x"], b: 1 }, type: "t", urn: "u" }]);
    expect(canonicalJson(a)).toBe('{"project":"p","resources":[{"inputs":{"a":[true,"x"],"b":1},"name":"n","type":"t","urn":"u"}],"stack":"s","version":1}');
    expect(viewDigest(a)).toBe(viewDigest(b));
    expect(viewDigest(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with any governed input, and binds the stack", () => {
    const base = view([{ urn: "u", type: "t", name: "n", inputs: { size: 50 } }]);
    expect(viewDigest(view([{ urn: "u", type: "t", name: "n", inputs: { size: 51 } }]))).not.toBe(viewDigest(base));
    expect(viewDigest({ ...base, stack: "other" })).not.toBe(viewDigest(base));
  });

  it("covers custom resources only, sorted by URN", () => {
    const v = buildView("p", "s", [
      { urn: "urn:b", type: "t", name: "b", custom: true, inputs: {} },
      { urn: "urn:c", type: "coop:x:X", name: "c", custom: false, inputs: {} },
      { urn: "urn:a", type: "t", name: "a", custom: true, inputs: {} },
    ], []);
    expect(v.resources.map((r) => r.urn)).toEqual(["urn:a", "urn:b"]);
  });
});

describe("a real program with a config secret and a generated secret, run offline", async () => {
  const spec = StackSpecSchema.parse({ ...bundledSpec("local"), services: { mail: { relay: { host: "relay.example", username: "co", spfInclude: "spf.relay.example" } } } });
  // A stand-in program: the same kinds of inputs the services give a container.
  const run = await runProgramOffline({
    project: "coop-infra",
    stack: "masking",
    spec,
    declare: ({ secrets }) => {
      const pw = new random.RandomPassword("db-password", { length: 32, special: false });
      new docker.Container("app", {
        name: "app",
        image: "example/app:1.2.3",
        envs: [pulumi.interpolate`DB_PASSWORD=${pw.result}`, "PLAIN=1", pulumi.interpolate`RELAY_PASSWORD=${secrets.mailRelayPassword!}`],
      });
    },
  });
  const view = buildView("coop-infra", "masking", run.resources, run.secretPlaceholders);
  const json = JSON.stringify(view);
  const tree = renderTree({ stack: "masking", digest: viewDigest(view), registrations: run.resources, governed: view.resources, stackUrn: run.stackUrn });

  it("injects a placeholder for the config secret and masks it, keeping the entry's name", () => {
    expect(run.secretPlaceholders).toHaveLength(1);
    const app = view.resources.find((r) => r.name === "app")!;
    expect(app.inputs.envs).toEqual([COMPUTED, "PLAIN=1", `RELAY_PASSWORD=${SECRET}`]);
  });

  it("never shows the placeholder in the JSON or the tree", () => {
    for (const p of run.secretPlaceholders) {
      expect(json).not.toContain(p);
      expect(tree).not.toContain(p);
    }
    expect(json).not.toContain("coop-config-secret");
    expect(tree).not.toContain("coop-config-secret");
  });

  it("uses a fresh placeholder each run, so a program cannot forge one", async () => {
    const again = await runProgramOffline({ project: "coop-infra", stack: "masking", spec, declare: () => undefined });
    expect(again.secretPlaceholders[0]).not.toBe(run.secretPlaceholders[0]);
  });
});
