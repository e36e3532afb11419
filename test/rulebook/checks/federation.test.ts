/**
 * Federation decisions under bylaws that give them their own process: the moderation working
 * group's Loomio subgroup (77) decides by consensus (no block, every decided vote agrees), two
 * members with the `tech` role sign (here: ada and hedy, the moderators). Red-team rows are
 * written as an insider would try it; green rows are the paths the working group takes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { errorsOf, type Finding, formatFinding, type Rules, verifyLedger } from "../../../rulebook";
import { areaOf } from "../../../rulebook/changes/areas";
import type { Lock } from "../../../plan/lock";
import { LedgerFixture } from "../../helpers/ledger";

const fixtures: LedgerFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
});

const WORKING_GROUP = 77;
const CONSENSUS = { agree: 6, abstain: 1, disagree: 0, block: 0, voters: 8 };
const DAY = 86_400_000;

/** A ledger whose bylaws (adopted by the members) give federation its own process. */
function fixture(): LedgerFixture {
  const f = LedgerFixture.create();
  fixtures.push(f);
  const rules: Rules = {
    ...f.rules,
    areas: {
      federation: {
        description: "Which servers Mastodon blocks, limits or allows.",
        loomioGroupId: WORKING_GROUP,
        quorum: 0.5,
        threshold: 1,
        blocksAllowed: 0,
        signatures: { count: 2, roles: ["tech"] },
      },
    },
  };
  f.writeRules(rules);
  f.write(f.bylaws(rules, { poll: { votes: { agree: 9, abstain: 0, disagree: 1, block: 0, voters: 12 } } }));
  f.rules = rules;
  return f;
}

type Block = { domain: string; severity: "silence" | "suspend" | "noop"; publicComment?: string };

/** A state of prod whose Mastodon blocks `blocks` (and whose server is `serverType`). */
function state(f: LedgerFixture, blocks: readonly Block[], over: { serverType?: string; url?: string } = {}): Lock {
  const extra = blocks.map((b) => {
    const name = `mastodon-federation-block-${b.domain}`;
    return {
      urn: `urn:pulumi:prod::coop-infra::coop:services:Mastodon$coop:mastodon:Federation$pulumi-nodejs:dynamic:Resource::${name}`,
      type: "pulumi-nodejs:dynamic:Resource",
      name,
      inputs: {
        kind: "block",
        url: over.url ?? "https://social.example.coop",
        token: "<secret>",
        domain: b.domain,
        severity: b.severity,
        rejectMedia: b.severity === "suspend",
        rejectReports: b.severity === "suspend",
        publicComment: b.publicComment ?? "Spam-only server",
        privateComment: "",
        obfuscate: false,
      },
    };
  });
  return f.lock("prod", "0", { serverType: over.serverType, extra });
}

const wg = { poll: { votes: CONSENSUS, poll: { group_id: WORKING_GROUP } }, signers: ["ada", "hedy"] as const };

function errors(f: LedgerFixture, at = new Date(f.clock + 60_000)): Finding[] {
  return errorsOf(verifyLedger(f.load(), at));
}

function expectFinding(findings: readonly Finding[], code: string, reason: RegExp): void {
  const hit = findings.find((x) => x.code === code && reason.test(x.message));
  expect(hit, `expected ${code} ${reason}; got ${findings.map((x) => `${x.code}: ${x.message}`).join(" | ") || "nothing"}`).toBeDefined();
}

describe("which changes are federation changes (computed from the change)", () => {
  const urn = (type: string, parent = "coop:services:Mastodon$coop:mastodon:Federation") =>
    `urn:pulumi:prod::coop-infra::${parent}$${type}::mastodon-federation-block-bad.example`;
  const dyn = urn("pulumi-nodejs:dynamic:Resource");

  it("creating, lifting or changing the decided fields of a block", () => {
    expect(areaOf([{ urn: dyn, op: "create" }])).toBe("federation");
    expect(areaOf([{ urn: dyn, op: "delete" }])).toBe("federation");
    expect(areaOf([{ urn: dyn, op: "update", paths: [{ path: "severity", old: "suspend", new: "silence" }] }])).toBe("federation");
  });

  it("not: pointing a block (and the admin token) at another server", () => {
    expect(
      areaOf([{ urn: dyn, op: "update", paths: [{ path: "url", old: "https://social.example.coop", new: "https://evil.example" }] }]),
    ).toBe(undefined);
  });

  it("not: another kind of resource placed under the federation component, nor a dynamic resource elsewhere", () => {
    expect(areaOf([{ urn: urn("docker:index/container:Container"), op: "create" }])).toBe(undefined);
    expect(areaOf([{ urn: urn("pulumi-nodejs:dynamic:Resource", "coop:services:Mastodon"), op: "create" }])).toBe(undefined);
  });

  it("not: a block together with anything else", () => {
    const server = "urn:pulumi:prod::coop-infra::coop:host:Host$hcloud:index/server:Server::host-server";
    expect(
      areaOf([
        { urn: dyn, op: "create" },
        { urn: server, op: "update", paths: [{ path: "serverType" }] },
      ]),
    ).toBe(undefined);
  });
});

describe("green: the working group decides the block list", () => {
  it("a consensus poll of the working group suspends a server, signed by two moderators", () => {
    const f = fixture();
    f.write(f.vote("prod", state(f, [{ domain: "bad.example", severity: "suspend" }]), wg));
    expect(errors(f).map(formatFinding)).toEqual([]);
  });

  it("an emergency suspension (a harassment wave) ratified in time by the working group", () => {
    const f = fixture();
    const blocked = state(f, [{ domain: "bad.example", severity: "suspend" }]);
    const e = f.write(f.emergency("prod", blocked, "harassment wave from bad.example"));
    f.write(f.vote("prod", blocked, { ...wg, ratifies: [e.id], after: 3 * 24 * 60 }));
    expect(errors(f, new Date(f.clock + 20 * DAY)).map(formatFinding)).toEqual([]);
  });
});

describe("red team: federation decisions", () => {
  it("a block lifted under the routine patch-upgrade standing decision", () => {
    const f = fixture();
    f.write(f.vote("prod", state(f, [{ domain: "bad.example", severity: "suspend" }]), wg));
    const s = f.write(f.standing({ classes: ["image-patch"], stacks: ["*"], until: null }));
    f.write(f.routine("prod", state(f, []), s.id));
    expectFinding(errors(f), "routine-out-of-class", /mastodon-federation-block-bad\.example: the resource is deleted/);
  });

  it("a severity lowered (suspend → silence) with a poll of the whole co-op instead of the working group", () => {
    const f = fixture();
    f.write(f.vote("prod", state(f, [{ domain: "bad.example", severity: "suspend" }]), wg));
    f.write(f.vote("prod", state(f, [{ domain: "bad.example", severity: "silence" }]), { signers: ["ada", "hedy"] }));
    expectFinding(errors(f), "poll-group", /group/);
  });

  it("an infrastructure change slipped into a federation decision: judged as infrastructure, so the working group's vote and signatures do not count", () => {
    const f = fixture();
    f.write(f.vote("prod", state(f, [{ domain: "bad.example", severity: "suspend" }], { serverType: "cx43" }), wg));
    const found = errors(f);
    expectFinding(found, "poll-group", /group/);
    expectFinding(
      found,
      "signature-wrong-role",
      /hedy \(tech\) signed, but the bylaws' process for infrastructure changes needs signers with role admin/,
    );
  });

  it("blocks pointed at another server inside a 'federation' decision are an infrastructure change", () => {
    const f = fixture();
    f.write(f.vote("prod", state(f, [{ domain: "bad.example", severity: "suspend" }]), wg));
    f.write(f.vote("prod", state(f, [{ domain: "bad.example", severity: "suspend" }], { url: "https://collector.example" }), wg));
    expectFinding(errors(f), "signature-wrong-role", /process for infrastructure changes/);
  });

  it("a federation decision signed by an admin outside the working group", () => {
    const f = fixture();
    f.write(f.vote("prod", state(f, [{ domain: "bad.example", severity: "suspend" }]), { ...wg, signers: ["ada", "grace"] }));
    expectFinding(
      errors(f),
      "signature-wrong-role",
      /grace \(admin\) signed, but the bylaws' process for federation decisions needs signers with role tech/,
    );
  });

  it("a federation decision whose poll had a block (no consensus)", () => {
    const f = fixture();
    const votes = { ...CONSENSUS, agree: 5, block: 1 };
    f.write(f.vote("prod", state(f, [{ domain: "bad.example", severity: "suspend" }]), { ...wg, poll: { ...wg.poll, votes } }));
    expect(errors(f).length).toBeGreaterThan(0);
    expect(
      errors(f)
        .map((x) => x.message)
        .join(" "),
    ).toMatch(/block/);
  });
});
