/**
 * `coop verify` on a generated ledger: median wall time over several runs of the real command
 * (a fresh process each time, as CI runs it).
 *
 *   node scripts/build.cjs && node dist/bench/verify-ledger.js [decisions=1000] [runs=5]
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateLedger } from "./ledger";

const count = Number(process.argv[2] ?? 1000);
const runs = Number(process.argv[3] ?? 5);
const repo = resolve(__dirname, "..", "..");
const t0 = Date.now();
const ledger = generateLedger(count, Math.max(1, Math.min(50, Math.ceil(count / 100))), join(repo, "governance", "rules.yaml"));
console.log(`generated ${ledger.decisions} decisions over ${ledger.stacks} stacks in ${Date.now() - t0} ms (${ledger.root})`);
const times: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(repo, "bin", "coop.js"), "verify"], { cwd: ledger.root, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) {
      console.error(r.stdout, r.stderr);
      throw new Error(`coop verify exited ${r.status}`);
    }
    times.push(ms);
    console.log(`run ${i + 1}: ${ms.toFixed(0)} ms  (${r.stdout.trim()})`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`median wall time of coop verify on ${ledger.decisions} decisions: ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms over ${runs} runs`);
} finally {
  rmSync(ledger.root, { recursive: true, force: true });
}
