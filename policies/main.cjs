/**
 * The policy pack's entry (package.json `main`). The Pulumi CLI starts the pack with
 * `@pulumi/pulumi/cmd/run-policy-pack <engine> .` in this folder, which registers ts-node (with
 * type checking) and requires the folder; `coop gate` requires the folder the same way. The
 * sources load through the project's loader instead (compiled once per source text, no type
 * checking: `npm test` type-checks), which is what lets the pack start in well under a second.
 *
 * Exports what coop gate uses in-process (policies/index.ts); the CLI ignores a pack's exports.
 */
"use strict";
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const loader = require("../kernel/load-sources.cjs");
try {
  loader.start(root);
} catch (e) {
  // In coop's process the error is coop's to report; under the CLI's launcher, the engine shows
  // the pack's stderr and stops ("policy pack ... failed to start"), without a stack trace.
  if (!(e instanceof loader.CodeBoundaryError) || loader.launcher(root) !== "pack") throw e;
  process.stderr.write(`coop-infra policy pack: ${e.message}\n`);
  process.exit(1);
}
require(path.join(root, "kernel", "sdk-internals.ts")).deferUnusedSdkModules();
module.exports = require("./index.ts");
