/**
 * `coop verify` shares a large ledger's files between this thread and worker threads in
 * batches of 100 (the first two batches go to the worker, the third to this thread); the
 * verdict must not depend on how many threads there are.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLedger, type GeneratedLedger } from "../../bench/ledger";
import { spawnCoop } from "../helpers/cli";
import { REPO_ROOT } from "../helpers/repo";

let ledger: GeneratedLedger;
beforeAll(() => {
  ledger = generateLedger(600, 6, REPO_ROOT);
});
afterAll(() => rmSync(ledger.root, { recursive: true, force: true }));

function verify(threads: string) {
  const r = spawnCoop(["verify", "--json"], { root: ledger.root, env: { COOP_THREADS: threads } });
  const doc = JSON.parse(r.stdout) as { passed: boolean; decisions: number; findings: Array<{ code: string; decision?: string }> };
  return {
    code: r.code,
    passed: doc.passed,
    decisions: doc.decisions,
    findings: doc.findings.map((f) => `${f.code} ${f.decision ?? ""}`).sort(),
  };
}

describe("coop verify on one thread and on several", () => {
  it("agree on a sound ledger of 600 decisions", () => {
    const one = verify("1");
    expect(one).toMatchObject({ code: 0, passed: true, decisions: 600 });
    expect(verify("2")).toEqual(one);
  });

  it("agree on a ledger with forged signatures in the worker's share and in this thread's", () => {
    const dir = join(ledger.root, "governance", "decisions");
    const names = readdirSync(dir).sort();
    const victims = [names[10], names[250], names[599]];
    // A changed summary, and a changed vote count in the kept Loomio answer where the record has one.
    for (const v of victims) {
      const text = readFileSync(join(dir, v), "utf8");
      const tampered = /"voter_count": \d+/.test(text)
        ? text.replace(/"voter_count": (\d+)/, (_m, n: string) => `"voter_count": ${Number(n) + 1}`)
        : text.replace(/"summary": (.*)\n/, '"summary": "tampered",\n');
      expect(tampered, v).not.toBe(text);
      writeFileSync(join(dir, v), tampered);
    }
    const one = verify("1");
    expect(one.code).toBe(1);
    for (const v of victims) expect(one.findings).toContain(`signature-invalid ${v.slice(0, -".json".length)}`);
    expect(verify("2")).toEqual(one);
    expect(verify("3")).toEqual(one);
  });
});
