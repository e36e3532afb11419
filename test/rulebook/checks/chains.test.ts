/**
 * The chains and the records' own integrity: what `coop verify` reports for a ledger whose files
 * were edited, forked or pieced together by hand.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Decision, errorsOf, type Finding, stackFindings, verifyLedger } from "../../../rulebook";
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

function codes(f: LedgerFixture): string[] {
  return errorsOf(verifyLedger(f.load(), new Date(f.clock + 60_000))).map((x) => x.code);
}

function find(f: LedgerFixture, code: string): Finding | undefined {
  return verifyLedger(f.load(), new Date(f.clock + 60_000)).find((x) => x.code === code);
}

describe("chains", () => {
  it("two decisions following the same one are a fork", () => {
    const f = fixture();
    const head = f.head("prod");
    f.write(f.vote("prod", f.lock("prod", "1")));
    const heads = (f as unknown as { heads: Map<string, unknown> }).heads;
    heads.set("prod", head);
    f.write(f.vote("prod", f.lock("prod", "2")));
    expect(find(f, "chain-fork")?.message).toMatch(/forks: .* both follow 'prod-0001-genesis'/);
  });

  it("a decision following a missing one breaks the chain", () => {
    const f = fixture();
    f.write(f.vote("prod", f.lock("prod", "1"), { edit: { previous: "prod-0042-change" } }));
    expect(find(f, "chain-broken")?.message).toMatch(/follows 'prod-0042-change', which does not exist/);
  });

  it("a decision replacing another state than the one before it", () => {
    const f = fixture();
    f.write(f.vote("prod", f.lock("prod", "1"), { edit: { replaces: "0".repeat(64) } }));
    expect(codes(f)).toContain("chain-replaces-mismatch");
  });

  it("a stack has at most one genesis, and only first", () => {
    const f = fixture();
    f.write(
      f.sign(
        {
          ...f.genesis("prod", f.lock("prod", "g")),
          id: "prod-0002-genesis",
          previous: "prod-0001-genesis",
          replaces: f.head("prod").lock.digest,
        } as Decision,
        "ada",
      ),
    );
    expect(find(f, "genesis-misplaced")?.message).toMatch(/a genesis starts a stack's chain; this one follows another decision/);
  });

  it("a lock approved for another stack does not back this one", () => {
    const f = fixture(["prod", "stage"]);
    const ledger = f.load();
    const other = ledger.locks.get("stage")!.lock;
    expect(errorsOf(stackFindings(ledger, "prod", other, new Date(f.clock))).map((x) => x.code)).toContain("lock-other-stack");
  });

  it("a lock no decision approved", () => {
    const f = fixture();
    const ledger = f.load();
    const lock = f.lock("prod", "unapproved");
    expect(errorsOf(stackFindings(ledger, "prod", lock, new Date(f.clock))).find((x) => x.code === "lock-unbacked")?.message).toMatch(
      /no decision approved this lock/,
    );
  });
});

describe("a record's own integrity", () => {
  it("a changed byte in a decision invalidates its signatures", () => {
    const f = fixture();
    const d = f.write(f.vote("prod", f.lock("prod", "1")));
    const file = join(f.root, "governance", "decisions", `${d.id}.json`);
    writeFileSync(file, readFileSync(file, "utf8").replace('"recordedAt": "', '"recordedAt": "2').replace('"2202', '"202'));
    const text = readFileSync(file, "utf8").replace(/"note"|"prices": "([0-9a-f])/, (m, c) =>
      c ? m.replace(c, c === "0" ? "1" : "0") : m,
    );
    writeFileSync(file, text);
    expect(find(f, "signature-invalid")?.remediation).toMatch(
      /restore the file from git \(git restore governance\/decisions\/.*\); never sign a record you did not check/,
    );
  });

  it("a signature that names another member than the key's owner", () => {
    const f = fixture();
    const d = f.vote("prod", f.lock("prod", "1"));
    f.write({ ...d, signatures: d.signatures.map((s, i) => (i === 0 ? { ...s, member: "grace" } : s)) } as Decision);
    expect(find(f, "signature-member-mismatch")?.message).toMatch(/says 'grace' but was made with ada's key/);
  });

  it("a file named unlike its id", () => {
    const f = fixture();
    const d = f.vote("prod", f.lock("prod", "1"));
    writeFileSync(join(f.root, "governance", "decisions", "prod-0777-change.json"), JSON.stringify(d));
    expect(find(f, "schema")?.message).toMatch(/id differs from its file name/);
  });

  it("a ratification that names an emergency its poll did not name", () => {
    const f = fixture();
    const e = f.write(f.emergency("prod", f.lock("prod", "e"), "disk full"));
    f.write(f.vote("prod", f.lock("prod", "e"), { ratifies: [e.id], poll: { details: (t) => t.replace(/coop-ratifies:[^\n]*\n/, "") } }));
    expect(find(f, "ratification-target")?.message).toMatch(/named no emergency change \(coop-ratifies line\)/);
  });

  it("a major upgrade the poll did not name", () => {
    const f = fixture();
    f.write(
      f.vote("prod", f.lock("prod", "1", { mastodon: "v5.0.0" }), { poll: { details: (t) => t.replace(/coop-major:[^\n]*\n/, "") } }),
    );
    expect(find(f, "major-unnamed")?.message).toMatch(/approves mastodon 4 → 5 without naming it/);
  });

  it("a meeting's decision whose minutes are not in the repository", () => {
    const f = fixture();
    f.write(f.vote("prod", f.lock("prod", "1"), { meeting: { minutes: "docs/minutes/never-written.md" } }));
    expect(find(f, "minutes-missing")?.message).toMatch(/are not a readable file of the repository/);
  });
});
