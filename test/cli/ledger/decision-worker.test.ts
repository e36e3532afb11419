import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLedger, type GeneratedLedger } from "../../../bench/ledger";
import { readAndCheckDecisions } from "../../../cli/ledger/decision-worker";
import { readDecisionFile } from "../../../rulebook";
import { checkRecordSignatures } from "../../../rulebook/signatures/signatures";
import { REPO_ROOT } from "../../helpers/repo";

let ledger: GeneratedLedger;
let names: string[];
beforeAll(() => {
  ledger = generateLedger(6, 1, REPO_ROOT);
  const dir = join(ledger.root, "governance", "decisions");
  names = readdirSync(dir).sort();
  // One record changed after signing (a non-ASCII summary), one no longer JSON.
  const record = JSON.parse(readFileSync(join(dir, names[2]), "utf8")) as { summary: string };
  record.summary = "Größer – tampered";
  writeFileSync(join(dir, names[2]), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(join(dir, names[4]), '{"id": [unclosed\n');
});
afterAll(() => rmSync(ledger.root, { recursive: true, force: true }));

const idOf = (name: string) => name.slice(0, -".json".length);

describe("a verification thread's share of the decision files", () => {
  it("answers in the order asked, with what each signature says", () => {
    const files = readAndCheckDecisions(ledger.root, names);
    expect(files.map((f) => f.id)).toEqual(names.map((n, i) => (i === 4 ? n : idOf(n))));
    files.forEach((f, i) => {
      if (i === 4) return;
      const loaded = readDecisionFile(ledger.root, names[i]);
      if (!("loaded" in loaded)) throw new Error(`${names[i]} did not load`);
      // The same verdicts as checking in the loading thread.
      expect(f.signatures).toEqual(checkRecordSignatures(loaded.loaded.decision));
      expect(f.signatures!.length).toBeGreaterThan(0);
      expect(f.signatures!.every((s) => s.ok)).toBe(i !== 2);
    });
  });

  it("reports no signatures for an unreadable file (the loading thread reports the file itself)", () => {
    const [broken] = readAndCheckDecisions(ledger.root, [names[4]]);
    expect(broken).toEqual({ id: names[4] });
    expect(readDecisionFile(ledger.root, names[4])).toEqual({
      problems: [expect.objectContaining({ file: `governance/decisions/${names[4]}`, message: "is not valid JSON" })],
    });
  });

  it("survives the trip between threads: a structured clone is the same answer", () => {
    const files = readAndCheckDecisions(ledger.root, names);
    expect(structuredClone(files)).toEqual(files);
  });
});
