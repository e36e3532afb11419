/**
 * `coop verify` loads large ledgers on every core, and verifies very large ones in a worker
 * thread sized for them; the verdict must not depend on either.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLedger, type GeneratedLedger } from "../../bench/ledger";
import { spawnCoop } from "../helpers/cli";
import { REPO_ROOT } from "../helpers/repo";

let ledger: GeneratedLedger;
beforeAll(() => {
  ledger = generateLedger(600, 6, join(REPO_ROOT, "governance", "rules.yaml"));
});
afterAll(() => rmSync(ledger.root, { recursive: true, force: true }));

function verify(threads: string) {
  const r = spawnCoop(["verify", "--json"], { root: ledger.root, env: { COOP_THREADS: threads } });
  const doc = JSON.parse(r.stdout) as { passed: boolean; decisions: number; findings: Array<{ code: string; decision?: string }> };
  return { code: r.code, passed: doc.passed, decisions: doc.decisions, findings: doc.findings.map((f) => `${f.code} ${f.decision ?? ""}`).sort() };
}

describe("coop verify on one thread and on several", () => {
  it("agree on a sound ledger of 600 decisions", () => {
    const one = verify("1");
    expect(one).toMatchObject({ code: 0, passed: true, decisions: 600 });
    expect(verify("2")).toEqual(one);
  });

  it("agree on a ledger with a forged signature deep in the second thread's share", () => {
    const dir = join(ledger.root, "governance", "decisions");
    const last = readdirSync(dir).sort().at(-1)!;
    const text = readFileSync(join(dir, last), "utf8");
    writeFileSync(join(dir, last), text.replace(/summary: (.*)\n/, 'summary: "tampered"\n'));
    const one = verify("1");
    expect(one.code).toBe(1);
    expect(one.findings).toContain(`signature-invalid ${last.slice(0, -".yaml".length)}`);
    expect(verify("2")).toEqual(one);
  });
});

describe("coop verify on a ledger large enough for its worker thread", () => {
  it("gives the same verdict as a single thread, findings included", () => {
    const big = generateLedger(2100, 10, join(REPO_ROOT, "governance", "rules.yaml"));
    try {
      const dir = join(big.root, "governance", "decisions");
      const victim = readdirSync(dir).sort()[1500];
      writeFileSync(join(dir, victim), readFileSync(join(dir, victim), "utf8").replace(/summary: (.*)\n/, 'summary: "tampered"\n'));
      const run = (threads?: string) => {
        const r = spawnCoop(["verify", "--json"], { root: big.root, env: threads ? { COOP_THREADS: threads } : {} });
        const doc = JSON.parse(r.stdout) as { decisions: number; findings: Array<{ code: string; decision?: string }> };
        return { code: r.code, decisions: doc.decisions, findings: doc.findings.map((f) => `${f.code} ${f.decision ?? ""}`).sort() };
      };
      const single = run("1");
      expect(single.code).toBe(1);
      expect(single.findings).toContain(`signature-invalid ${victim.slice(0, -".yaml".length)}`);
      expect(run()).toEqual(single);
    } finally {
      rmSync(big.root, { recursive: true, force: true });
    }
  });
});
