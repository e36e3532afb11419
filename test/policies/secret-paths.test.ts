import { describe, expect, it } from "vitest";
import { secretPathTest } from "../../policies/support/secret-paths";

const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

describe("which paths of an input count as secret in a message", () => {
  const isSecret = secretPathTest({ name: "n", labels: [{ key: "k", value: secret("hunter2-SECRET") }], envs: secret(["A=1"]) });

  it("a path at or below a secret (the wrapper may be lifted to a whole list)", () => {
    expect(isSecret("labels[0].value")).toBe(true);
    expect(isSecret("envs")).toBe(true);
    expect(isSecret("envs[0]")).toBe(true);
  });

  it("a path above a secret: a compound value holding one is never printed", () => {
    expect(isSecret("labels")).toBe(true);
    expect(isSecret("labels[0]")).toBe(true);
    expect(isSecret("")).toBe(true);
  });

  it("not a path beside a secret", () => {
    expect(isSecret("name")).toBe(false);
    expect(isSecret("labels[0].key")).toBe(false);
    expect(isSecret("labels[1]")).toBe(false);
    expect(isSecret("env")).toBe(false); // a prefix of a name is not a parent
    expect(secretPathTest({ a: 1 })("a")).toBe(false);
  });
});
