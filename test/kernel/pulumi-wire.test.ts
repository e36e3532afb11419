/**
 * The engine's markers are the SDK's: a drift after an upgrade of @pulumi/pulumi would make the
 * view take secrets for plain values, so the copy is compared with the installed SDK.
 */
import { describe, expect, it } from "vitest";
import { isUnknown, isWireSecret, SECRET_SIG, SIG_KEY, UNKNOWN } from "../../kernel/pulumi-wire";

const rpc = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialSecretSig: string; unknownValue: string };

describe("the Pulumi wire markers", () => {
  it("are the installed SDK's", () => {
    expect({ SIG_KEY, SECRET_SIG, UNKNOWN }).toEqual({
      SIG_KEY: rpc.specialSigKey,
      SECRET_SIG: rpc.specialSecretSig,
      UNKNOWN: rpc.unknownValue,
    });
  });

  it("recognise secrets and every typed unknown, nothing else", () => {
    expect(isWireSecret({ [SIG_KEY]: SECRET_SIG, value: "x" })).toBe(true);
    expect(isWireSecret({ [SIG_KEY]: "other", value: "x" })).toBe(false);
    expect(isWireSecret(null)).toBe(false);
    expect(isUnknown(UNKNOWN)).toBe(true);
    expect(isUnknown("dd056dcd-154b-4c76-9bd3-c8f88648b5ff")).toBe(true); // an unknown object
    expect(isUnknown("04da6b54")).toBe(false);
    expect(isUnknown({ [SIG_KEY]: SECRET_SIG, value: UNKNOWN })).toBe(false);
  });
});
