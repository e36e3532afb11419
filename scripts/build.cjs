/**
 * Transpiles the TypeScript sources to dist/ (CommonJS, no bundling) so the `coop` command
 * starts as fast as plain JavaScript. Type checking is separate: `npm run typecheck`.
 *
 *   node scripts/build.cjs          build now
 *   require("./build.cjs").ensureBuilt()   build only if a source is newer than the last build
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const DIST = path.join(ROOT, "dist");
const STAMP = path.join(DIST, ".build-stamp");
const SOURCE_DIRS = ["kernel", "stacks", "components", "plan", "rulebook", "policies", "cli", "bench", "scripts"];

function sources() {
  const out = [path.join(ROOT, "index.ts")];
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts")) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(path.join(ROOT, d));
  return out;
}

function isStale(files) {
  let built;
  try {
    built = fs.statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  const known = new Set(fs.readFileSync(STAMP, "utf8").split("\n"));
  return files.some((f) => !known.has(path.relative(ROOT, f)) || fs.statSync(f).mtimeMs > built);
}

function build(files = sources()) {
  const esbuild = require("esbuild");
  // Build into a fresh directory and swap it in, so a concurrent `coop` never sees half a build.
  const tmp = `${DIST}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  esbuild.buildSync({
    entryPoints: files,
    outdir: tmp,
    outbase: ROOT,
    format: "cjs",
    platform: "node",
    target: "node20",
    sourcemap: "linked",
    logLevel: "error",
    // Lazy command loading uses import(); keep it a require() so it resolves like the rest of CommonJS.
    supported: { "dynamic-import": false },
  });
  fs.writeFileSync(path.join(tmp, ".build-stamp"), files.map((f) => path.relative(ROOT, f)).join("\n"));
  const old = `${DIST}.${process.pid}.old`;
  try {
    fs.renameSync(DIST, old);
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
  try {
    fs.renameSync(tmp, DIST);
  } catch (_e) {
    // Another process swapped in its build first; theirs is as fresh as ours.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
}

function ensureBuilt() {
  const files = sources();
  if (isStale(files)) build(files);
}

module.exports = { build, ensureBuilt };

if (require.main === module) {
  try {
    build();
  } catch (e) {
    console.error(`build failed: ${e.message}`);
    process.exit(1);
  }
}
