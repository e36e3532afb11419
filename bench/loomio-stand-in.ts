/**
 * A loopback Loomio for the benchmark of `coop verify --online`: answers GET /api/b2/polls/:key
 * with the polls of a generated ledger (Loomio's b2 shape), in its own process so the benchmark
 * can time coop from the outside.
 *
 *   node scripts/run-ts.cjs bench/loomio-stand-in.ts <polls.json> <port file>
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const [pollsFile, portFile] = process.argv.slice(2);
// Reloaded when the file changes: the benchmark starts the server first, then writes the ledger naming its port.
let loaded = -1;
let polls = new Map<string, unknown>();
function current(): Map<string, unknown> {
  const m = statSync(pollsFile).mtimeMs;
  if (m !== loaded) {
    polls = new Map(Object.entries(JSON.parse(readFileSync(pollsFile, "utf8")) as Record<string, unknown>));
    loaded = m;
  }
  return polls;
}
const server = createServer((req, res) => {
  const key = /^\/api\/b2\/polls\/([A-Za-z0-9_-]+)$/.exec(req.url ?? "")?.[1];
  const body = key ? current().get(key) : undefined;
  res.writeHead(body ? 200 : 404, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body ?? { error: "not found" }));
});
server.listen(0, "127.0.0.1", () => writeFileSync(portFile, String((server.address() as AddressInfo).port)));
