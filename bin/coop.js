#!/usr/bin/env node

// The `coop` command. Sources are TypeScript; they are transpiled to dist/ on first use and
// whenever a source changed, so a fresh clone needs nothing but `npm ci`.
try {
  require("../scripts/build.cjs").ensureBuilt();
} catch (e) {
  process.stderr.write(`coop: could not prepare the command (${e.message}).\n  hint: run \`npm ci\` in the repository, then try again.\n`);
  process.exit(2);
}
require("../dist/cli/startup.js").deferUnusedSdkModules();
require("../dist/cli/main.js").main(process.argv.slice(2));
