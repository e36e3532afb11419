#!/usr/bin/env node

// The `coop` command. Its sources are TypeScript, run through the same loader as the program and
// the policy pack under the Pulumi CLI (kernel/load-sources.cjs): each source is compiled the
// first time it is used and whenever it changed, so a fresh clone needs nothing but `npm ci`.

const path = require("node:path");

const root = path.resolve(__dirname, "..");
const json = process.argv.includes("--json");
let loader;
try {
  loader = require("../kernel/load-sources.cjs");
  loader.start(root);
} catch (e) {
  const refused = loader && e instanceof loader.CodeBoundaryError;
  const message = refused ? e.message : `could not prepare the command (${e.message})`;
  const hint = refused ? undefined : "run `npm ci` in the repository, then try again";
  if (json) process.stdout.write(`${JSON.stringify({ error: { message, hint, exitCode: 2, problems: e.problems } }, null, 2)}\n`);
  process.stderr.write(`coop: ${message}${hint ? `\n  hint: ${hint}` : ""}\n`);
  process.exit(2);
}
require("../kernel/sdk-internals.ts").deferUnusedSdkModules();
require("../cli/main.ts").main(process.argv.slice(2));
