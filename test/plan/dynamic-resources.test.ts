/**
 * Dynamic resources (the federation blocks) in the governed view and the lock comparison: what
 * members decide is governed, the admin token is masked, and the serialized provider (code,
 * governed by the code digest) is neither recorded nor able to hide a decided value.
 */
import { describe, expect, it } from "vitest";
import { compareWithLock } from "../../plan/lock-compare";
import { buildView, SECRET, ungovernedInputs } from "../../plan/view";

const TYPE = "pulumi-nodejs:dynamic:Resource";
const PH = "coop-config-secret:coop-infra:mastodonAdminToken:0123456789abcdef";
const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const URN = `urn:pulumi:prod::coop-infra::coop:services:Mastodon$coop:mastodon:Federation$${TYPE}::mastodon-federation-block-bad.example`;
const decided = { kind: "block", url: "https://social.example.coop", domain: "bad.example", severity: "suspend", publicComment: "spam" };

describe("a dynamic resource in the governed view", () => {
  const view = buildView(
    "coop-infra",
    "prod",
    [
      {
        urn: URN,
        type: TYPE,
        name: "mastodon-federation-block-bad.example",
        custom: true,
        inputs: { ...decided, token: secret(PH), __provider: "exports.handler = __f0; /* thousands of characters of code */" },
      },
    ],
    [PH],
  );

  it("records what was decided, masks the token and leaves the provider's code out", () => {
    expect(view.resources[0].inputs).toEqual({ ...decided, token: SECRET });
    expect(JSON.stringify(view)).not.toContain(PH);
    expect(JSON.stringify(view)).not.toContain("exports.handler");
  });

  it("only dynamic resources have an ungoverned input", () => {
    expect(ungovernedInputs(TYPE)).toEqual(["__provider"]);
    expect(ungovernedInputs("docker:index/container:Container")).toEqual([]);
  });
});

describe("comparing what the engine sends with the lock", () => {
  const lock = { ...decided, token: SECRET };
  const sent = { ...decided, token: "the-real-token", __provider: "exports.handler = __f1;" };

  it("the provider's text (re-serialized at every run) is no difference", () => {
    expect(compareWithLock(lock, sent, { ungoverned: ungovernedInputs(TYPE) })).toEqual([]);
  });

  it("a lowered severity is, with or without the provider beside it", () => {
    const lowered = compareWithLock(lock, { ...sent, severity: "silence" }, { ungoverned: ungovernedInputs(TYPE) });
    expect(lowered).toEqual([{ path: "severity", kind: "changed", approved: "suspend", proposed: "silence" }]);
  });

  it("without the skip, an unrecorded __provider would be a new input (the policy passes the skip for dynamic types only)", () => {
    expect(compareWithLock(lock, sent).map((m) => `${m.kind} ${m.path}`)).toEqual(["added __provider"]);
  });

  it("a key the lock records is compared even when it is named like the skipped one", () => {
    const m = compareWithLock({ ...lock, __provider: "approved" }, sent, { ungoverned: ungovernedInputs(TYPE) });
    expect(m.map((x) => `${x.kind} ${x.path}`)).toEqual(["changed __provider"]);
  });
});
