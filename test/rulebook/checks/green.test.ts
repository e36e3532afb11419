/**
 * The paths a co-op takes every day must stay open: each row records what coop records and the
 * whole ledger verifies, and the stack's lock counts as approved.
 */
import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { errorsOf, formatFinding, type Members, MembersSchema, readCodeManifest, stackFindings, verifyLedger } from "../../../rulebook";
import { LedgerFixture } from "../../helpers/ledger";

const fixtures: LedgerFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
});

function fixture(stacks?: string[]): LedgerFixture {
  const f = LedgerFixture.create(stacks);
  fixtures.push(f);
  return f;
}

function errors(f: LedgerFixture, at = new Date(f.clock + 60_000)): string[] {
  return errorsOf(verifyLedger(f.load(), at)).map(formatFinding);
}

describe("green paths", () => {
  it("a founding with the first state of a stack", () => {
    const f = fixture();
    expect(errors(f)).toEqual([]);
    const ledger = f.load();
    expect(errorsOf(stackFindings(ledger, "prod", ledger.locks.get("prod")?.lock, new Date(f.clock)))).toEqual([]);
  });

  it("a change decided by a Loomio poll and signed by two admins", () => {
    const f = fixture();
    f.write(f.vote("prod", f.lock("prod", "1", { serverType: "cx43" })));
    expect(errors(f)).toEqual([]);
  });

  it("a change decided by a general assembly, with its minutes in the repository", () => {
    const f = fixture();
    f.write(f.vote("prod", f.lock("prod", "1"), { meeting: {} }));
    expect(errors(f)).toEqual([]);
  });

  it("a routine patch upgrade under a standing decision", () => {
    const f = fixture();
    const s = f.write(f.standing({ classes: ["image-patch"], stacks: ["*"], until: null }));
    f.write(f.routine("prod", { ...f.lock("prod", "0", { mastodon: "v4.6.4" }) }, s.id));
    expect(errors(f)).toEqual([]);
  });

  it("an emergency change, flagged until a vote ratifies it", () => {
    const f = fixture();
    const e = f.write(f.emergency("prod", f.lock("prod", "e"), "disk full"));
    const ledger = f.load();
    const pending = stackFindings(ledger, "prod", ledger.locks.get("prod")?.lock, new Date(f.clock + 60_000));
    expect(pending.map((x) => x.code)).toContain("emergency-unratified");
    expect(errorsOf(pending)).toEqual([]);
    f.write(f.vote("prod", f.lock("prod", "e"), { ratifies: [e.id] }));
    expect(errors(f)).toEqual([]);
    const after = f.load();
    expect(stackFindings(after, "prod", after.locks.get("prod")?.lock, new Date(f.clock + 60_000)).map((x) => x.code)).not.toContain(
      "emergency-unratified",
    );
  });

  it("a member who leaves after signing earlier decisions: those decisions still count", () => {
    const f = fixture();
    f.write(f.vote("prod", f.lock("prod", "1"), { signers: ["grace", "ada"] }));
    const left: Members = MembersSchema.parse({
      ...f.members,
      members: f.members.members.map((m) => (m.name === "grace" ? { ...m, left: "2026-03-01" } : m)),
    });
    f.writeMembers(left);
    f.write(f.membersChange(left, { signers: ["ada", "grace"] }));
    expect(errors(f)).toEqual([]);
  });

  it("a member joins through the routine membership class", () => {
    const f = fixture();
    const joined = MembersSchema.parse({ ...f.members, members: [...f.members.members, { name: "mary", roles: ["member"], sshKeys: [] }] });
    f.writeMembers(joined);
    f.write(f.membersChange(joined));
    expect(errors(f)).toEqual([]);
  });

  it("a bylaws amendment that passes the old bylaws' larger majority", () => {
    const f = fixture();
    const rules = { ...f.rules, polls: { ...f.rules.polls, maxAgeDays: 21 } };
    f.writeRules(rules);
    f.write(f.bylaws(rules, { poll: { votes: { agree: 8, abstain: 0, disagree: 2, block: 0, voters: 12 } } }));
    expect(errors(f)).toEqual([]);
  });

  it("a dependency bump approved by two admins", () => {
    const f = fixture();
    writeFileSync(`${f.root}/package-lock.json`, '{"lockfileVersion":3,"packages":{"node_modules/yaml":{"version":"2.9.2"}}}\n');
    f.write(f.code(readCodeManifest(f.root)));
    expect(errors(f)).toEqual([]);
  });
});
