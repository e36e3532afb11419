/**
 * How every process of the project runs its TypeScript sources: the program under the Pulumi
 * CLI's language host, the policy pack under its `run-policy-pack` launcher, and `coop`. Plain
 * JavaScript, because it is what makes TypeScript loadable.
 *
 * - A `.ts` file is compiled, on first use, by the TypeScript compiler ts-node would use, with
 *   the compiler options of the repository's tsconfig.json, one file at a time (what ts-node
 *   does in transpile-only mode; `isolatedModules` in tsconfig.json makes tsc refuse code whose
 *   output would differ). The result is kept under node_modules/.cache, named by the sha256 of
 *   everything it was made from (this file, the compiler's version, tsconfig.json, the source's
 *   name and text), so a compiled file is found only for the exact source it came from: there is
 *   no separate build that could be older than the sources, and `npm ci` (which deletes
 *   node_modules) leaves nothing a pull request could have planted.
 * - Node resolves `./x` to x.js (or x.json, x.node) before x.ts. Loading such a file beside a
 *   `.ts` source of the same name is refused here, in every process, at the moment Node picks it.
 * - Then kernel/code-tree.ts and kernel/code-boundary.ts (loaded by exact path, so nothing can
 *   shadow them) check the process and the repository for anything else that would preload or
 *   swap code; the first start in a process refuses to go on if they find something.
 *
 * Loaded by exact path (`require(".../kernel/load-sources.cjs")`): nothing resolves before it.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

/** One loader per process, even if this file is reached through two paths. */
const STATE = Symbol.for("coop-infra.load-sources");

/** Extensions Node tries before a registered `.ts` when resolving `./x`. */
const RESOLVED_BEFORE_TS = [".js", ".json", ".node"];

class CodeBoundaryError extends Error {
  /** @param {ReadonlyArray<{file: string, line?: number, field?: string, message: string, hint?: string}>} problems */
  constructor(problems) {
    super(
      `refusing to run: ${problems.length === 1 ? "this changes" : "these change"} which code runs\n` +
        problems
          .map(
            (p) =>
              `  ${p.file}${p.line ? `:${p.line}` : ""}${p.field ? ` ${p.field}` : ""}: ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ""}`,
          )
          .join("\n"),
    );
    this.name = "CodeBoundaryError";
    this.problems = problems;
  }
}

/**
 * Installs the loader for the repository at `root` (once per process) and checks the process
 * and the repository, once. Throws a CodeBoundaryError listing every problem found, and again
 * on every later call in the same process.
 */
function start(root) {
  root = path.resolve(root);
  const state = install(root);
  if (!state.checked) {
    state.checked = true;
    const { readCodeTree } = require(path.join(root, "kernel", "code-tree.ts"));
    const { codeBoundaryProblems, processProblems } = require(path.join(root, "kernel", "code-boundary.ts"));
    const problems = [
      ...(launcher(root) ? processProblems(process.env, process.execArgv) : []),
      ...codeBoundaryProblems(readCodeTree(root)),
    ];
    if (problems.length > 0) state.refusal = new CodeBoundaryError(problems);
  }
  if (state.refusal) throw state.refusal;
}

/**
 * Which of the project's entry points started this process: "program" or "pack" (the Pulumi
 * CLI's launchers), "coop", "script" (scripts/run-ts.cjs, npm's scripts), or undefined for
 * anything else — a test runner loading the sources in its own process, with its own flags.
 * The process's flags and environment are checked only for the project's entry points.
 */
function launcher(root) {
  const main = (require.main?.filename ?? "").replace(/\\/g, "/");
  if (main.endsWith("/@pulumi/pulumi/cmd/run/index.js")) return "program";
  if (main.endsWith("/@pulumi/pulumi/cmd/run-policy-pack/index.js")) return "pack";
  if (require.main?.filename === path.join(root, "bin", "coop.js")) return "coop";
  if (require.main?.filename === path.join(root, "scripts", "run-ts.cjs")) return "script";
  return undefined;
}

/** Registers the `.ts` loader and the shadow refusal (idempotent); returns the process's state. */
function install(root) {
  root = path.resolve(root);
  const existing = process[STATE];
  if (existing) {
    if (existing.root !== root)
      throw new Error(`the sources of ${existing.root} are loaded in this process already; ${root} cannot load here too`);
    return existing;
  }
  const state = { root, checked: false, refusal: undefined, compiler: undefined, cacheDir: undefined, compiled: 0 };
  process[STATE] = state;

  const previousTs = Module._extensions[".ts"];
  Module._extensions[".ts"] = function loadTypeScript(module, filename) {
    if (!isSource(root, filename)) {
      if (previousTs) return previousTs.call(this, module, filename);
      throw new Error(`${filename} is TypeScript outside the repository's sources; it cannot be loaded`);
    }
    module._compile(compiled(state, filename), filename);
  };

  for (const ext of RESOLVED_BEFORE_TS) {
    const original = Module._extensions[ext];
    Module._extensions[ext] = function refuseShadow(module, filename) {
      // ts-node's `.ts` handler reads its files through the `.js` handler: only real `.js` files count.
      if (filename.endsWith(ext) && isSource(root, filename)) {
        const file = path.relative(root, filename).split(path.sep).join("/");
        const hidden = shadowedSource(
          file,
          (f) => fs.existsSync(path.join(root, f)),
          (d) => isFolder(path.join(root, d)),
        );
        if (hidden) throw new CodeBoundaryError([shadowProblem(file, hidden)]);
      }
      return original.call(this, module, filename);
    };
  }
  return state;
}

/** A file of the repository's own code (not an installed package). */
function isSource(root, filename) {
  const rel = path.relative(root, filename);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) && !rel.split(path.sep).includes("node_modules");
}

/**
 * The rule, for the loader here and for kernel/code-boundary.ts: the source a file hides from
 * Node's resolution ("/"-separated paths relative to the repository), if any. Node resolves
 * `./x` to x.js, x.json or x.node before x.ts, and before the folder x/ (`require("./policies")`
 * loads policies.js first).
 */
function shadowedSource(file, isFile, isFolderPath) {
  const ext = RESOLVED_BEFORE_TS.find((e) => file.endsWith(e));
  if (!ext) return undefined;
  const stem = file.slice(0, -ext.length);
  if (isFile(`${stem}.ts`)) return `${stem}.ts`;
  if (isFolderPath(stem)) return `${stem}/`;
  return undefined;
}

function shadowProblem(file, hidden) {
  return {
    file,
    message: `Node loads it instead of ${hidden}: the code that runs would not be the code the repository shows`,
    hint: `delete it (git rm ${file}); the sources are the .ts files`,
  };
}

function isFolder(p) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The compiled JavaScript of one source: from the cache when it was made from exactly this text. */
function compiled(state, filename) {
  const text = fs.readFileSync(filename, "utf8");
  const compiler = compilerOf(state);
  // The output depends on the file's name, not its folder (the source map names the file alone).
  const key = crypto
    .createHash("sha256")
    .update(compiler.identity)
    .update("\0")
    .update(path.basename(filename))
    .update("\0")
    .update(text)
    .digest("hex");
  const cached = state.cacheDir && path.join(state.cacheDir, `${key}.js`);
  // The last line closes a complete file: one cut short (a crash while writing, a power loss
  // after the rename) is compiled again, never run in part.
  const end = `\n// coop-compiled ${key}\n`;
  if (cached) {
    try {
      const js = fs.readFileSync(cached, "utf8");
      if (js.endsWith(end)) return js;
    } catch {
      // not compiled yet
    }
  }
  const js = compiler.compile(text, filename) + end;
  state.compiled++;
  if (cached) writeCache(cached, js);
  return js;
}

/**
 * What compiled files depend on besides their source: this loader, the compiler's version and
 * tsconfig.json. The compiler itself loads only when a file must be compiled.
 */
function compilerOf(state) {
  if (state.compiler) return state.compiler;
  const root = state.root;
  const tsconfigFile = path.join(root, "tsconfig.json");
  const typescriptDir = path.dirname(require.resolve("typescript/package.json", { paths: [root] }));
  const version = JSON.parse(fs.readFileSync(path.join(typescriptDir, "package.json"), "utf8")).version;
  const identity = crypto
    .createHash("sha256")
    .update(fs.readFileSync(__filename))
    .update(`\0typescript@${version}\0`)
    .update(fs.readFileSync(tsconfigFile))
    .digest("hex");
  let options;
  let ts;
  state.cacheDir = cacheDirOf(root);
  state.compiler = {
    identity,
    compile(text, filename) {
      ts ??= require(typescriptDir);
      options ??= compilerOptions(ts, tsconfigFile);
      const out = ts.transpileModule(text, { fileName: filename, compilerOptions: options, reportDiagnostics: false });
      return out.outputText;
    },
  };
  return state.compiler;
}

/** tsconfig.json's options as tsc reads them, emitting what ts-node emits: JS with an inline source map. */
function compilerOptions(ts, tsconfigFile) {
  const read = ts.readConfigFile(tsconfigFile, ts.sys.readFile);
  if (read.error) throw new Error(`cannot read ${tsconfigFile}: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(tsconfigFile), undefined, tsconfigFile);
  const options = { ...parsed.options, sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false, noEmit: false };
  delete options.outDir;
  return options;
}

/** node_modules/.cache/coop-infra/compiled, or none when node_modules cannot hold it (then nothing is kept). */
function cacheDirOf(root) {
  const dir = path.join(root, "node_modules", ".cache", "coop-infra", "compiled");
  try {
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * Written beside its final name and renamed, so a concurrent reader never sees half a file (no
 * flush: a file a crash cut short lacks its last line and is compiled again).
 */
function writeCache(file, text) {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  try {
    fs.writeFileSync(tmp, text, { mode: 0o644 });
    fs.renameSync(tmp, file);
  } catch {
    // Only a cache: the next run compiles again.
    fs.rmSync(tmp, { force: true });
  }
}

/** Makes sure every file in `files` is in the cache; returns how many had to be compiled. */
function precompile(root, files) {
  const state = install(root);
  const before = state.compiled;
  for (const file of files) compiled(state, path.resolve(file));
  return state.compiled - before;
}

/** How many sources this process compiled (the rest came from the cache). */
function compiledCount() {
  return process[STATE]?.compiled ?? 0;
}

module.exports = { start, install, launcher, precompile, compiledCount, shadowedSource, shadowProblem, CodeBoundaryError };
