/**
 * Compiles every TypeScript source into the loader's cache ahead of use (`npm run build`, and
 * before the tests), so the first `coop`, program or pack run after `npm ci` does not compile.
 * Optional: the loader (kernel/load-sources.cjs) compiles any source it finds missing or changed
 * on first use, and it is the only thing that reads the cache.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const SOURCE_FOLDERS = ["kernel", "stacks", "components", "plan", "rulebook", "policies", "cli", "bench", "scripts"];

function sources() {
  const out = [path.join(root, "index.ts")];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
    }
  };
  for (const d of SOURCE_FOLDERS) if (fs.existsSync(path.join(root, d))) walk(path.join(root, d));
  return out;
}

if (require.main === module) {
  const loader = require("../kernel/load-sources.cjs");
  try {
    const files = sources();
    const compiled = loader.precompile(root, files);
    process.stdout.write(`compiled ${compiled} of ${files.length} sources (the rest were up to date)\n`);
  } catch (e) {
    process.stderr.write(`build failed: ${e.message}\n`);
    process.exit(1);
  }
}
