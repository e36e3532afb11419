import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { describe, expect, it } from "vitest";
import { runProgramOffline } from "../../cli/offline/run-program";
import { renderTree } from "../../cli/render/tree";
import {
  COMPUTED,
  GENERATED,
  SECRET,
  buildView,
  computedPaths,
  deriveTemplate,
  governedValue,
  viewDigest,
  type DesiredStateView,
} from "../../plan/view";
import { canonicalJson } from "../../kernel/json";
import { StackSpecSchema } from "../../stacks/schema";
import { bundledSpec } from "../helpers/program";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const PH = "coop-config-secret:coop-infra:relay:0123456789abcdef";

describe("governed values", () => {
  it("mask config secrets by provenance, keeping an env entry's name", () => {
    expect(governedValue(`SMTP_PASSWORD=${PH}`, [PH])).toBe(`SMTP_PASSWORD=${SECRET}`);
    expect(governedValue(PH, [PH])).toBe(SECRET);
    // Only the placeholder is masked: the text around a secret stays governed.
    expect(governedValue(`smtp://user:${PH}@relay`, [PH])).toBe(`smtp://user:${SECRET}@relay`);
    expect(governedValue(`[relay]:587 co:${PH}\nx:${PH}`, [PH])).toBe(`[relay]:587 co:${SECRET}\nx:${SECRET}`);
  });

  it("mask generated secrets as their own marker, which records that a first preview may not know them", () => {
    const G = "Zq8v1Lr3Xy5Wb7Nc9Md2Kf4Hg6Ja0Ps";
    expect(governedValue(`DB_PASS=${G}`, { config: [PH], generated: [G] })).toBe(`DB_PASS=${GENERATED}`);
    expect(governedValue(`postgres://mastodon:${G}@203.0.113.66/mastodon`, { config: [], generated: [G] })).toBe(
      `postgres://mastodon:${GENERATED}@203.0.113.66/mastodon`,
    );
  });

  it("mask text derived from a secret where a twin run with other placeholders differs, keeping the rest", () => {
    const line = (salt: string, hash: string) =>
      `# header\nada@x|{SHA512-CRYPT}$6$${salt}$${hash}\ngrace@x|{SHA512-CRYPT}$6$${salt}x$${hash}y\n`;
    const a = line("AAAAAAAAAAAAAAAA", "h1/Zx.9qwe");
    const b = line("BBBBBBBBBBBBBBBB", "k7.Yy/2rty");
    const ph = (salt: string) => ({ config: [], generated: [salt] });
    const v = governedValue({ f: a }, ph("AAAAAAAAAAAAAAAA"), "", { value: { f: b }, placeholders: ph("BBBBBBBBBBBBBBBB") });
    expect(v).toEqual({
      f: `# header\nada@x|{SHA512-CRYPT}$6$${GENERATED}$${GENERATED}\ngrace@x|{SHA512-CRYPT}$6$${GENERATED}x$${GENERATED}\n`,
    });
    expect(deriveTemplate("K=abc=", "K=xyz=")).toBe(`K=${GENERATED}=`);
    expect(deriveTemplate("same", "same")).toBe("same");
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
    // Templates match markers anywhere, so program text may not hold one anywhere either.
    for (const literal of [SECRET, COMPUTED, GENERATED, `TOKEN=${SECRET}`, "a <secret> inside", `url://u:${GENERATED}@h`])
      expect(() => governedValue({ env: [literal] }, [])).toThrow(/reserves for masked values/);
  });
});

describe("the plan digest", () => {
  const view = (resources: DesiredStateView["resources"]): DesiredStateView => ({ version: 1, project: "p", stack: "s", resources });
  it("is the sha256 of RFC 8785 canonical JSON, so key order does not matter", () => {
    const a = view([{ urn: "u", type: "t", name: "n", inputs: { b: 1, a: [true, "x"] } }]);
    const b = view([{ name: "n", inputs: { a: [true, "x"], b: 1 }, type: "t", urn: "u" }]);
    expect(canonicalJson(a)).toBe(
      '{"project":"p","resources":[{"inputs":{"a":[true,"x"],"b":1},"name":"n","type":"t","urn":"u"}],"stack":"s","version":1}',
    );
    expect(viewDigest(a)).toBe(viewDigest(b));
    expect(viewDigest(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with any governed input, and binds the stack", () => {
    const base = view([{ urn: "u", type: "t", name: "n", inputs: { size: 50 } }]);
    expect(viewDigest(view([{ urn: "u", type: "t", name: "n", inputs: { size: 51 } }]))).not.toBe(viewDigest(base));
    expect(viewDigest({ ...base, stack: "other" })).not.toBe(viewDigest(base));
  });

  it("covers custom resources only, sorted by URN", () => {
    const v = buildView(
      "p",
      "s",
      [
        { urn: "urn:b", type: "t", name: "b", custom: true, inputs: {} },
        { urn: "urn:c", type: "coop:x:X", name: "c", custom: false, inputs: {} },
        { urn: "urn:a", type: "t", name: "a", custom: true, inputs: {} },
      ],
      [],
    );
    expect(v.resources.map((r) => r.urn)).toEqual(["urn:a", "urn:b"]);
  });
});

describe("a real program with a config secret and a generated secret, run offline", async () => {
  const spec = StackSpecSchema.parse({
    ...bundledSpec("local"),
    services: { mail: { relay: { host: "relay.example", username: "co", spfInclude: "spf.relay.example" } } },
  });
  // A stand-in program: the same kinds of inputs the services give a container.
  const run = await runProgramOffline({
    project: "coop-infra",
    stack: "masking",
    spec,
    twin: true,
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
  const tree = renderTree({
    stack: "masking",
    digest: viewDigest(view),
    registrations: run.resources,
    governed: view.resources,
    stackUrn: run.stackUrn,
  });

  it("injects a placeholder for the config secret and masks it, keeping the entry's name", () => {
    expect(run.secretPlaceholders).toHaveLength(1);
    const app = view.resources.find((r) => r.name === "app")!;
    expect(app.inputs.envs).toEqual([`DB_PASSWORD=${GENERATED}`, "PLAIN=1", `RELAY_PASSWORD=${SECRET}`]);
  });

  it("answers the generated password with a per-run placeholder, never shown, different in the twin run", () => {
    const pw = run.resources.find((r) => r.name === "db-password")!;
    const placeholder = pw.generatedOutputs!.result;
    expect(placeholder).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(json).not.toContain(placeholder);
    expect(tree).not.toContain(placeholder);
    const app = run.resources.find((r) => r.name === "app")!;
    expect(JSON.stringify(app.inputs)).toContain(placeholder);
    expect(app.twin!.generated).not.toContain(placeholder);
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

describe("a program that derives text from generated secrets (a hash, a key parsed from a PEM)", async () => {
  const spec = StackSpecSchema.parse(bundledSpec("local"));
  const { createHash, createPrivateKey } = await import("node:crypto");
  const tls = await import("@pulumi/tls");
  const declare = () => {
    const pw = new random.RandomPassword("pw", { length: 32, special: false });
    const salt = new random.RandomString("salt", { length: 16, special: false });
    const key = new tls.PrivateKey("k", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const jwk = key.privateKeyPem.apply((pem) => createPrivateKey(pem).export({ format: "jwk" }).d!);
    new docker.Container("app", {
      name: "app",
      image: "example/app:1.2.3",
      envs: [pulumi.secret(pulumi.interpolate`KEY=${jwk}`), "PLAIN=1"],
      uploads: [
        {
          file: "/etc/accounts",
          content: pulumi.secret(
            pulumi.all([pw.result, salt.result]).apply(
              ([p, s]) =>
                `ada@x|$6$${s}$${createHash("sha256")
                  .update(p + s)
                  .digest("base64")}\n`,
            ),
          ),
        },
      ],
    });
  };
  const plan = async () => {
    const run = await runProgramOffline({ project: "coop-infra", stack: "derived", spec, declare, twin: true });
    return buildView("coop-infra", "derived", run.resources, run.secretPlaceholders);
  };
  const first = await plan();
  const second = await plan();
  const app = first.resources.find((r) => r.name === "app")!;

  it("masks the derived parts and keeps the rest of the text", () => {
    expect(app.inputs.envs).toEqual([`KEY=${GENERATED}`, "PLAIN=1"]);
    expect(app.inputs.uploads).toEqual([{ file: "/etc/accounts", content: `ada@x|$6$${GENERATED}$${GENERATED}=\n` }]); // base64 padding is not secret
  });

  it("is deterministic: two plans have the same digest", () => {
    expect(viewDigest(second)).toBe(viewDigest(first));
  });

  it("records the provider of every custom resource, and the SDK's version in provider inputs", async () => {
    expect(app.provider).toMatch(/^urn:pulumi:derived::coop-infra::pulumi:providers:docker::default_\d+_\d+_\d+/);
    const run = await runProgramOffline({
      project: "coop-infra",
      stack: "derived",
      spec,
      twin: false,
      declare: () => {
        const p = new docker.Provider("remote", { host: "ssh://coop@203.0.113.10" });
        new docker.Network("n", { name: "n" }, { provider: p });
      },
    });
    const view = buildView("coop-infra", "derived", run.resources, run.secretPlaceholders);
    const provider = view.resources.find((r) => r.name === "remote")!;
    const version = (await import("@pulumi/docker/package.json")).version;
    expect(provider.inputs.version).toBe(version);
    expect(provider.provider).toBeUndefined();
    expect(view.resources.find((r) => r.name === "n")!.provider).toBe(provider.urn);
  });
});
