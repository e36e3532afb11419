import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLedger, type GeneratedLedger } from "../../../bench/ledger";
import { readAndCheckDecisions } from "../../../cli/ledger/decision-worker";
import { checkRecordSignatures } from "../../../rulebook/signatures/signatures";
import { REPO_ROOT } from "../../helpers/repo";

let ledger: GeneratedLedger;
let names: string[];
beforeAll(() => {
  ledger = generateLedger(6, 1, join(REPO_ROOT, "governance", "rules.yaml"));
  const dir = join(ledger.root, "governance", "decisions");
  names = readdirSync(dir).sort();
  // One record changed after signing, one no longer YAML.
  writeFileSync(
    join(dir, names[2]),
    readFileSync(join(dir, names[2]), "utf8").replace(/summary: (.*)\n/, 'summary: "Größer – tampered"\n'),
  );
  writeFileSync(join(dir, names[4]), "id: [unclosed\n");
});
afterAll(() => rmSync(ledger.root, { recursive: true, force: true }));

describe("a verification thread's share of the decision files", () => {
  it("answers in the order asked, with what each signature says", () => {
    const files = readAndCheckDecisions(ledger.root, names);
    expect(files).toHaveLength(names.length);
    files.forEach((f, i) => {
      if (i === 4) return;
      if (!("loaded" in f.result)) throw new Error(`${names[i]} did not load`);
      expect(f.result.loaded.id).toBe(names[i].slice(0, -".yaml".length));
      // The same verdicts as checking in the loading thread.
      expect(f.signatures).toEqual(checkRecordSignatures(f.result.loaded.raw, f.result.loaded.decision.signatures));
      expect(f.signatures!.length).toBeGreaterThan(0);
      expect(f.signatures!.every((s) => s.ok)).toBe(i !== 2);
    });
  });

  it("reports an unreadable file as problems, with no signatures to check", () => {
    const [broken] = readAndCheckDecisions(ledger.root, [names[4]]);
    expect("problems" in broken.result && broken.result.problems[0].file).toBe(`governance/decisions/${names[4]}`);
    expect(broken.signatures).toBeUndefined();
  });

  it("survives the trip between threads: a structured clone is the same record", () => {
    const files = readAndCheckDecisions(ledger.root, names);
    expect(structuredClone(files)).toEqual(files);
  });
});
