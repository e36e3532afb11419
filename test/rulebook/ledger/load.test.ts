/**
 * Decision records are read exactly as written, and the ledger fails closed: a record that does
 * not match its format, cannot be parsed, is not a regular file or sits where no record belongs
 * is a located `schema` finding — never a crash, never a skip — and the state it approved is
 * not approved.
 */
import { readFileSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { decisionFile, errorsOf, formatFinding, stackFindings, verifyLedger } from "../../../rulebook";
import { DecisionSchema } from "../../../rulebook/records/decision";
import { coop } from "../../helpers/cli";
import { LedgerFixture } from "../../helpers/ledger";

const fixtures: LedgerFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
});

/** A ledger whose latest decision (a poll decision on prod) is `id`, its file's text given to `damage`. */
function damaged(damage: (text: string, f: LedgerFixture, file: string) => void): { f: LedgerFixture; file: string } {
  const f = LedgerFixture.create();
  fixtures.push(f);
  const d = f.write(f.vote("prod", f.lock("prod", "1", { serverType: "cx43" })));
  const file = decisionFile(d.id);
  damage(readFileSync(join(f.root, file), "utf8"), f, file);
  return { f, file };
}

const edit = (change: (record: Record<string, unknown>) => void) => (text: string, f: LedgerFixture, file: string) => {
  const record = JSON.parse(text) as Record<string, unknown>;
  change(record);
  writeFileSync(join(f.root, file), JSON.stringify(record, null, 2));
};

describe("decision records are read as written", () => {
  it("the decision schema fills in nothing: the record the members signed is the decision", () => {
    const text = JSON.stringify(z.toJSONSchema(DecisionSchema, { io: "input", unrepresentable: "any" }));
    expect(text).not.toContain('"default"');
  });

  it("an intact ledger verifies and its lock is approved", () => {
    const { f } = damaged(() => undefined);
    const ledger = f.load();
    expect(errorsOf(verifyLedger(ledger, new Date(f.clock + 60_000))).map(formatFinding)).toEqual([]);
    expect(errorsOf(stackFindings(ledger, "prod", ledger.locks.get("prod")?.lock, new Date(f.clock + 60_000)))).toEqual([]);
  });

  const cases: Array<[string, (text: string, f: LedgerFixture, file: string) => void, string | undefined, RegExp]> = [
    ["a field the format does not know", edit((r) => Object.assign(r, { approvedBy: "everyone" })), undefined, /approvedBy|unrecognized/i],
    ["a required field removed", edit((r) => delete r.under), "under", /expected string/i],
    ["a kind no decision has", edit((r) => Object.assign(r, { kind: "decree" })), "kind", /./],
    ["a signature without its member", edit((r) => Object.assign(r, { signatures: [{ signature: "x" }] })), "signatures.0.member", /./],
    ["text that is not JSON", (_t, f, file) => writeFileSync(join(f.root, file), "id: [unclosed\n"), undefined, /is not valid JSON/],
    [
      "a record whose id is not its file name",
      edit((r) => Object.assign(r, { id: "prod-9999-change" })),
      "id",
      /the decision's id differs from its file name/,
    ],
    [
      "a symbolic link instead of the record",
      (_t, f, file) => {
        unlinkSync(join(f.root, file));
        symlinkSync("/etc/hostname", join(f.root, file));
      },
      undefined,
      /regular file|symbolic link/i,
    ],
  ];
  for (const [name, damage, field, message] of cases) {
    it(`${name}: a schema finding naming the file, the state it approved not approved, verify exits 1 without a crash`, async () => {
      const { f, file } = damaged(damage);
      const ledger = f.load();
      expect(ledger.problems).toEqual([expect.objectContaining({ file, ...(field ? { field } : {}) })]);
      expect(ledger.problems[0].message).toMatch(message);
      const at = new Date(f.clock + 60_000);
      expect(verifyLedger(ledger, at)).toContainEqual(expect.objectContaining({ code: "schema", level: "error", file }));
      const gate = errorsOf(stackFindings(ledger, "prod", ledger.locks.get("prod")?.lock, at)).map((x) => x.code);
      expect(gate).toEqual(expect.arrayContaining(["schema", "lock-unbacked"]));

      const r = await coop(["verify"], { root: f.root, at });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(/\[schema\]/);
      expect(r.stderr).not.toMatch(/internal error|at Object\.|\n\s+at /);
      // No message echoes the file's content.
      expect(r.stderr).not.toContain("everyone");
    });
  }

  it("a stray file among the decisions is refused, not skipped", () => {
    const { f } = damaged((_t, fx) => writeFileSync(join(fx.root, "governance", "decisions", "notes.yaml"), "kind: change\n"));
    expect(verifyLedger(f.load(), new Date(f.clock + 60_000))).toContainEqual(
      expect.objectContaining({
        code: "schema",
        file: "governance/decisions/notes.yaml",
        message: expect.stringMatching(/is not a decision record/),
      }),
    );
  });
});
