/**
 * Transpiles the TypeScript sources to dist/ (CommonJS, no bundling) so the `coop` command
 * starts as fast as plain JavaScript, and copies the components' shell assets beside them.
 * Type checking is separate: `npm run typecheck`.
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
  for (const d of SOURCE_DIRS)
    walkFiles(path.join(ROOT, d), (n) => n.endsWith(".ts") && !n.endsWith(".d.ts") && !n.endsWith(".test.ts"), out);
  return out;
}

/** Static files the components read at run time (components/shared/assets.ts): copied beside the .js. */
function assets() {
  const out = [];
  walkFiles(path.join(ROOT, "components"), (n) => n.endsWith(".sh"), out);
  return out;
}

function walkFiles(root, wanted, out) {
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
      else if (wanted(e.name)) out.push(p);
    }
  };
  walk(root);
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

function build(files = sources(), copied = assets()) {
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
  for (const f of copied) {
    const to = path.join(tmp, path.relative(ROOT, f));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(f, to);
  }
  fs.writeFileSync(path.join(tmp, ".build-stamp"), [...files, ...copied].map((f) => path.relative(ROOT, f)).join("\n"));
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
  const copied = assets();
  if (isStale([...files, ...copied])) build(files, copied);
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
