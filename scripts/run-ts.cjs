/**
 * Runs one of the project's TypeScript scripts (npm run schema, ledger:example, bench) through
 * the loader the program, the pack and coop use (kernel/load-sources.cjs):
 *
 *   node scripts/run-ts.cjs scripts/gen-schemas.ts [args…]
 */
"use strict";
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const [script, ...args] = process.argv.slice(2);
if (!script?.endsWith(".ts")) {
  process.stderr.write("usage: node scripts/run-ts.cjs <file.ts> [args…]\n");
  process.exit(2);
}
const loader = require("../kernel/load-sources.cjs");
try {
  loader.start(root);
} catch (e) {
  process.stderr.write(`${e instanceof loader.CodeBoundaryError ? e.message : `cannot load the sources: ${e.message}`}\n`);
  process.exit(2);
}
require("../kernel/sdk-internals.ts").deferUnusedSdkModules();
process.argv = [process.argv[0], path.resolve(script), ...args];
require(path.resolve(script));
