/**
 * Policy evaluation per resource, through the analyzer service: the example's Analyze requests
 * sent one at a time (no queueing), each timed from the request to the decoded response, over
 * both transports the gate knows. Prints one JSON document.
 *
 *   node scripts/run-ts.cjs bench/policy-eval.ts [rounds=5]
 */
import { enginePreview, resourceRequests } from "../cli/gate/engine-requests";
import { policyPack, type Transport } from "../cli/gate/policy-host";
import { runGate } from "../cli/gate/run-gate";
import { runOffline } from "../cli/plan/planning";
import { deferUnusedSdkModules } from "../kernel/sdk-internals";
import { findRepoRoot } from "../kernel/repo";

deferUnusedSdkModules();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const root = findRepoRoot(__dirname);
  const run = await runOffline(root, "example");
  const out: Record<string, unknown> = { stack: "example" };
  for (const transport of ["wire", "grpc"] as Transport[]) {
    // A full gate first: configures the pack and warms it, as the engine's run would.
    await runGate(root, run, {}, transport);
    const pack = (await policyPack(transport)).calls;
    const requests = resourceRequests(enginePreview(run));
    const samples: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const { analyze } of requests) {
        const t0 = performance.now();
        await pack.analyze(analyze);
        samples.push(performance.now() - t0);
      }
    }
    out[transport] = {
      resources: requests.length,
      samples: samples.length,
      medianMs: median(samples),
      p90Ms: [...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.9)],
    };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(2);
});
