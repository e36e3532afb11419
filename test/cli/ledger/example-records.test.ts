/**
 * Which records coop init may replace without asking: only the bundled example's, recognised by
 * their verified signatures with the example's published keys — never by name or by digest.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isExampleRecord, ledgerOwnership } from "../../../cli/ledger/example-records";
import { listStacks } from "../../../stacks/load";
import type { Decision } from "../../../rulebook";
import { fixtureNodeKey, nodeKey, signWith } from "../../helpers/governance";
import { tempRepo } from "../../helpers/repo";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function repo(): string {
  const r = tempRepo();
  cleanups.push(r.cleanup);
  return r.root;
}

const FOUNDING = "governance/decisions/governance-0001-founding.json";
const read = (root: string, f: string) => JSON.parse(readFileSync(join(root, f), "utf8")) as Decision;

describe("the bundled example's records", () => {
  it("the repository's own ledger is the example's, every record of it", () => {
    const root = repo();
    const o = ledgerOwnership(root);
    expect(o.own).toEqual([]);
    expect(o.example).toContain(FOUNDING);
    // The founding and one genesis per bundled stack.
    expect(o.example).toHaveLength(1 + listStacks(root).length);
  });

  it("a co-op's founding under the same name is its own: unsigned, or signed with its members' keys", () => {
    const root = repo();
    const founding = read(root, FOUNDING);
    const unsigned = { ...founding, signatures: [] } as Decision;
    expect(isExampleRecord(unsigned)).toBe(false);
    const theirs = signWith(unsigned, "rosa", nodeKey("rosa@river.coop"));
    expect(isExampleRecord(theirs)).toBe(false);
    // Signed by the example key AND by one of theirs: not the example's alone.
    const both = { ...theirs, signatures: [...theirs.signatures, ...founding.signatures] } as Decision;
    expect(isExampleRecord(both)).toBe(false);
  });

  it("red team: an insider cannot make the co-op's records look like the example's to have init drop them silently", () => {
    const root = repo();
    const founding = read(root, FOUNDING);
    // Copying the example's signature onto another record: it does not verify, so the record is the co-op's.
    const edited = { ...founding, summary: "River Co-op adopts …" } as Decision;
    expect(isExampleRecord(edited)).toBe(false);
    // A vote signed with the example key (its private half is public) is still no founding or genesis.
    const vote = signWith({ ...founding, kind: "change", signatures: [] } as unknown as Decision, "ada", fixtureNodeKey("ada"));
    expect(isExampleRecord(vote)).toBe(false);
    // A damaged file, or one that is no record at all, counts as the co-op's own: asked about, never dropped unasked.
    writeFileSync(join(root, "governance/decisions/river-0002-change.json"), "{ not json");
    writeFileSync(join(root, "governance/decisions/notes.txt"), "minutes");
    expect(ledgerOwnership(root).own).toEqual(["governance/decisions/notes.txt", "governance/decisions/river-0002-change.json"]);
  });
});
