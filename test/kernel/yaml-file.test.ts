/**
 * The YAML reader's located problems and hints, on a schema built for the purpose: unknown keys
 * in the branch of a union the value names, through lists, records and every wrapper zod has;
 * examples from defaults; a list's description for its entries.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { FileProblems, type Problem } from "../../kernel/errors";
import { parseYamlText } from "../../kernel/yaml-file";

const Hetzner = z
  .object({
    target: z.literal("hetzner"),
    size: z.enum(["small", "large"]).default("small").describe("How big the server is."),
  })
  .strict();
const Local = z.object({ target: z.literal("local"), socket: z.string().default("/run/docker.sock") }).strict();

const Schema = z
  .object({
    host: z.discriminatedUnion("target", [Hetzner, Local]),
    people: z
      .array(
        z
          .object({ name: z.string().describe("A short name."), age: z.number().optional() })
          .strict()
          .nullable(),
      )
      .default([])
      .describe("Who takes part."),
    tags: z.record(z.string(), z.object({ colour: z.string().default("red") }).strict()).prefault({}),
    ports: z.array(z.number().int().max(65535)).default([80]).describe("Ports to open."),
    retries: z.number().int().readonly().default(3).describe("How often to try again."),
    name: z.string().pipe(z.string().min(2)).default("coop").describe("The co-op's name."),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.name === "forbidden")
      ctx.addIssue({ code: "custom", path: [], message: "the whole file is wrong", params: { hint: "start again" } });
  });

function problems(text: string): Problem[] {
  try {
    parseYamlText(text, Schema, "t.yaml");
  } catch (e) {
    if (e instanceof FileProblems) return [...e.problems];
    throw e;
  }
  throw new Error("expected problems");
}

const one = (text: string, field: string) => {
  const p = problems(text).find((x) => x.field === field);
  if (!p) throw new Error(`no problem at ${field}: ${JSON.stringify(problems(text))}`);
  return p;
};

describe("unknown keys", () => {
  it("are judged by the union branch the value names", () => {
    const p = one("host:\n  target: local\n  sockett: /x\n", "host.sockett");
    expect(p).toMatchObject({ line: 3, col: 3, message: "unknown field 'sockett'" });
    expect(p.hint).toBe("did you mean 'socket'? allowed here: target, socket");
    expect(one("host:\n  target: hetzner\n  sise: large\n", "host.sise").hint).toBe("did you mean 'size'? allowed here: target, size");
  });

  it("inside list entries behind nullable, and record values behind prefault", () => {
    const text = "host: {target: local}\npeople:\n  - name: ada\n    agee: 36\ntags:\n  blue:\n    colur: blue\n";
    expect(one(text, "people[0].agee")).toMatchObject({ line: 4, hint: "did you mean 'age'? allowed here: name, age" });
    expect(one(text, "tags.blue.colur")).toMatchObject({ line: 7, hint: "did you mean 'colour'? allowed here: colour" });
  });
});

describe("hints from the schema", () => {
  it("the values of an enum and the default as an example, through the default wrapper", () => {
    const p = one("host:\n  target: hetzner\n  size: huge\n", "host.size");
    expect(p.message).toBe("expected one of small, large; got 'huge'");
    expect(p.hint).toBe("use one of small, large; for example size: small (How big the server is)");
  });

  it("an example through readonly and pipe wrappers", () => {
    expect(one("host: {target: local}\nretries: many\n", "retries").hint).toMatch(/for example retries: 3 \(How often to try again\)$/);
    expect(one("host: {target: local}\nname: x\n", "name").hint).toBe(
      "use at least 2 characters; for example name: coop (The co-op's name)",
    );
  });

  it("a list's entries share its description; a field's own description wins", () => {
    expect(one("host: {target: local}\nports: [80, 99999]\n", "ports[1]").hint).toBe("use at most 65535 (Ports to open)");
    expect(one("host: {target: local}\npeople:\n  - name: 7\n", "people[0].name").hint).toMatch(/^quote it: "7"/);
    expect(one("host: {target: local}\npeople:\n  - age: 3\n", "people[0].name").hint).toMatch(/^add it/);
  });

  it("a discriminator that names no branch lists the branches", () => {
    const p = one("host:\n  target: hetznr\n", "host.target");
    expect(p.message).toBe("expected target to be one of hetzner, local; got 'hetznr'");
    expect(p.hint).toBe("did you mean 'hetzner'?");
  });

  it("a problem of the whole file keeps its own hint and quotes no field", () => {
    expect(one("host: {target: local}\nname: forbidden\n", "(top level)")).toMatchObject({
      line: 1,
      message: "the whole file is wrong",
      hint: "start again",
    });
  });
});
