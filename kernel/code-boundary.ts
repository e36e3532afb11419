/**
 * What decides which code runs, besides the code itself: the files and settings through which
 * a change that touches no source could still preload, swap or shadow code in the program (run
 * by the Pulumi CLI's language host), the policy pack (run by its `run-policy-pack` launcher)
 * or `coop`. Each entry point refuses to start when one of these says anything but what the
 * project's loader (kernel/load-sources.cjs) and the Pulumi CLI agree on; `coop gate` loads the
 * program and the pack through those same entry points, so it fails wherever the engine's run
 * would differ.
 *
 * Pure: the process's flags and the repository's tree come in (kernel/code-tree.ts reads them).
 * Facts about the Pulumi CLI come from its sources: the Node.js language host's options
 * (typescript, tsconfig, nodeargs, packagemanager), its `cmd/run` (ts-node registered with the
 * project's tsconfig.json, PULUMI_NODEJS_TSCONFIG_PATH), the analyzer plugin (a policy pack's
 * runtime options become `-key=value` arguments of run-policy-pack, which reads `--pwd`), and
 * ts-node 10's register() (the tsconfig's "ts-node" section and TS_NODE_* variables; its
 * `require` option preloads modules).
 */
import { parse as parseYaml } from "yaml";
import type { Problem } from "./errors";

/** The repository's tree as the checks see it: "/"-separated paths relative to its root. */
export interface CodeTree {
  /** Every file, outside node_modules and .git. */
  readonly files: readonly string[];
  /** Every folder, likewise. */
  readonly folders: readonly string[];
  /** Symbolic links, likewise (neither files nor folders above). */
  readonly links: readonly string[];
  /** The text of each file in CONFIG_FILES that exists. */
  readonly texts: Readonly<Record<string, string>>;
}

/** The files whose settings decide how the sources load. */
export const CONFIG_FILES = [
  "Pulumi.yaml",
  "package.json",
  "tsconfig.json",
  ".npmrc",
  "policies/PulumiPolicy.yaml",
  "policies/package.json",
  "policies/tsconfig.json",
  "policies/.npmrc",
] as const;

/** The program's entry, named by Pulumi.yaml `main`. */
export const PROGRAM_MAIN = "index.ts";
/** The pack's entry, named by policies/package.json `main` (run-policy-pack requires the folder). */
export const PACK_MAIN = "main.cjs";

const RESTORE = (file: string) => `restore it from the approved version (git checkout origin/main -- ${file})`;

export function codeBoundaryProblems(tree: CodeTree): Problem[] {
  return [
    ...shadowProblems(tree),
    ...linkProblems(tree),
    ...pulumiProjectProblems(tree.texts["Pulumi.yaml"]),
    ...policyProjectProblems(tree.texts["policies/PulumiPolicy.yaml"]),
    ...packageProblems("package.json", tree.texts["package.json"], undefined),
    ...packageProblems("policies/package.json", tree.texts["policies/package.json"], PACK_MAIN),
    ...rootTsconfigProblems(tree.texts["tsconfig.json"]),
    ...packTsconfigProblems(tree.texts["policies/tsconfig.json"]),
    ...npmrcProblems(".npmrc", tree.texts[".npmrc"]),
    ...npmrcProblems("policies/.npmrc", tree.texts["policies/.npmrc"]),
  ];
}

// ---------------------------------------------------------------------------------------------
// Files Node resolves before the sources

interface ShadowRule {
  shadowedSource(file: string, isFile: (f: string) => boolean, isFolder: (d: string) => boolean): string | undefined;
  shadowProblem(file: string, hidden: string): Problem;
}

/** The rule is the loader's, which applies it to every file Node loads (kernel/load-sources.cjs). */
const shadowRule = require("./load-sources.cjs") as ShadowRule;

/** Every file of the tree Node would load instead of a source. */
function shadowProblems(tree: CodeTree): Problem[] {
  const files = new Set(tree.files);
  const folders = new Set(tree.folders);
  const out: Problem[] = [];
  for (const file of tree.files) {
    const hidden = shadowRule.shadowedSource(
      file,
      (f) => files.has(f),
      (d) => folders.has(d),
    );
    if (hidden) out.push(shadowRule.shadowProblem(file, hidden));
  }
  return out;
}

function linkProblems(tree: CodeTree): Problem[] {
  return tree.links.map((file) => ({
    file,
    message: "is a symbolic link: Node loads whatever it points to, which the repository does not show",
    hint: "replace it by the file itself",
  }));
}

// ---------------------------------------------------------------------------------------------
// Pulumi's project files

/** The Node.js language host's runtime options and what each may be. */
function pulumiProjectProblems(text: string | undefined): Problem[] {
  const file = "Pulumi.yaml";
  if (text === undefined) return [{ file, message: "is missing: it names the program's entry", hint: RESTORE(file) }];
  const doc = parseDoc(file, text, "yaml");
  if ("problem" in doc) return [doc.problem];
  const out: Problem[] = [];
  if (doc.value.main !== PROGRAM_MAIN)
    out.push({
      file,
      field: "main",
      message: `must be ${PROGRAM_MAIN}: without it the CLI runs whatever package.json or an index.js names`,
      hint: `set \`main: ${PROGRAM_MAIN}\``,
    });
  const runtime = doc.value.runtime;
  const name = typeof runtime === "string" ? runtime : isObject(runtime) ? runtime.name : undefined;
  if (name !== "nodejs") out.push({ file, field: "runtime.name", message: "must be nodejs", hint: RESTORE(file) });
  const options = isObject(runtime) && isObject(runtime.options) ? runtime.options : {};
  for (const [key, value] of Object.entries(options)) {
    if (key === "typescript" && value === true) continue;
    if (key === "packagemanager" && value === "npm") continue;
    out.push({
      file,
      field: `runtime.options.${key}`,
      message: RUNTIME_OPTION_PROBLEMS[key] ?? "is not an option this project uses",
      hint: RESTORE(file),
    });
  }
  return out;
}

const RUNTIME_OPTION_PROBLEMS: Readonly<Record<string, string>> = {
  nodeargs: "passes arguments to Node (e.g. --require) that run code before the program",
  tsconfig: "points ts-node at another TypeScript configuration than the one checked here",
  typescript: "must be true: the program is TypeScript",
  packagemanager: "must be npm: the lockfile is npm's",
};

/** The pack's project file: the runtime, and nothing that becomes an argument of its launcher. */
function policyProjectProblems(text: string | undefined): Problem[] {
  const file = "policies/PulumiPolicy.yaml";
  if (text === undefined) return [{ file, message: "is missing: without it the folder is no policy pack", hint: RESTORE(file) }];
  const doc = parseDoc(file, text, "yaml");
  if ("problem" in doc) return [doc.problem];
  const out: Problem[] = [];
  const runtime = doc.value.runtime;
  if (runtime !== "nodejs" && !(isObject(runtime) && runtime.name === "nodejs" && Object.keys(runtime).every((k) => k === "name")))
    out.push({
      file,
      field: "runtime",
      message: "must be `nodejs` without options: the CLI passes each option to run-policy-pack as an argument (`--pwd` moves the pack)",
      hint: "set `runtime: nodejs`",
    });
  if ("main" in doc.value)
    out.push({ file, field: "main", message: "must not be set: the pack's entry is policies/package.json `main`", hint: RESTORE(file) });
  return out;
}

/** package.json: no module type but CommonJS; the pack's `main` is its launcher; no second entry at the root. */
function packageProblems(file: string, text: string | undefined, main: string | undefined): Problem[] {
  if (text === undefined) return main ? [{ file, message: "is missing: it names the pack's entry and version", hint: RESTORE(file) }] : [];
  const doc = parseDoc(file, text, "json");
  if ("problem" in doc) return [doc.problem];
  const out: Problem[] = [];
  const pkg = doc.value;
  if (pkg.type !== undefined && pkg.type !== "commonjs")
    out.push({
      file,
      field: "type",
      message: "turns every .js and .ts file into an ES module, loaded by other rules",
      hint: RESTORE(file),
    });
  if (pkg.exports !== undefined)
    out.push({ file, field: "exports", message: "names entry points besides the one the Pulumi CLI uses", hint: RESTORE(file) });
  if (main ? pkg.main !== main : pkg.main !== undefined)
    out.push({
      file,
      field: "main",
      message: main
        ? `must be ${main}: run-policy-pack starts the pack through it`
        : `must not be set: the program's entry is Pulumi.yaml \`main\` (${PROGRAM_MAIN})`,
      hint: RESTORE(file),
    });
  return out;
}

// ---------------------------------------------------------------------------------------------
// TypeScript settings

/**
 * Compiler options that only change what tsc reports, never the JavaScript that runs. ts-node
 * and the loader read the same tsconfig.json; any other option would make them differ or
 * change the output, so it is refused.
 */
const CHECK_ONLY_OPTIONS: ReadonlySet<string> = new Set([
  "strict",
  "noImplicitAny",
  "strictNullChecks",
  "strictFunctionTypes",
  "strictBindCallApply",
  "strictPropertyInitialization",
  "strictBuiltinIteratorReturn",
  "noImplicitThis",
  "useUnknownInCatchVariables",
  "noImplicitOverride",
  "noImplicitReturns",
  "noUnusedLocals",
  "noUnusedParameters",
  "noFallthroughCasesInSwitch",
  "noUncheckedIndexedAccess",
  "exactOptionalPropertyTypes",
  "noPropertyAccessFromIndexSignature",
  "allowUnreachableCode",
  "allowUnusedLabels",
  "skipLibCheck",
  "forceConsistentCasingInFileNames",
  "isolatedModules",
  "resolveJsonModule",
  "lib",
  "types",
  "noEmit",
  "outDir",
  "sourceMap",
]);

/** Options that change the output, each at the one value both compilers are run with. */
const PINNED_OPTIONS: Readonly<Record<string, string | boolean>> = {
  target: "es2022",
  module: "commonjs",
  moduleResolution: "node",
  esModuleInterop: true,
};

const TSCONFIG_FIX = "keep tsconfig.json's compilerOptions to type-checking settings; the emitted JavaScript is fixed";

function rootTsconfigProblems(text: string | undefined): Problem[] {
  const file = "tsconfig.json";
  if (text === undefined)
    return [{ file, message: "is missing: the program, the pack and coop compile with its options", hint: RESTORE(file) }];
  const doc = parseDoc(file, text, "json");
  if ("problem" in doc) return [doc.problem];
  const out = tsconfigKeyProblems(file, doc.value, ["compilerOptions", "include", "exclude", "files"]);
  const options = isObject(doc.value.compilerOptions) ? doc.value.compilerOptions : {};
  for (const key of Object.keys(options)) {
    if (CHECK_ONLY_OPTIONS.has(key) || key in PINNED_OPTIONS) continue;
    out.push({
      file,
      field: `compilerOptions.${key}`,
      message: "changes the JavaScript the sources compile to, or how ts-node loads them",
      hint: TSCONFIG_FIX,
    });
  }
  for (const [key, pinned] of Object.entries(PINNED_OPTIONS)) {
    const value = options[key];
    const same = typeof pinned === "string" ? typeof value === "string" && value.toLowerCase() === pinned : value === pinned;
    if (!same)
      out.push({
        file,
        field: `compilerOptions.${key}`,
        message: `must be ${JSON.stringify(pinned)}: the Pulumi CLI fills in another value when it is missing, and the output would differ`,
        hint: `set "${key}": ${JSON.stringify(pinned)}`,
      });
  }
  return out;
}

/** policies/tsconfig.json (read by ts-node in the pack's launcher): the root's settings, nothing of its own. */
function packTsconfigProblems(text: string | undefined): Problem[] {
  const file = "policies/tsconfig.json";
  if (text === undefined) return [];
  const doc = parseDoc(file, text, "json");
  if ("problem" in doc) return [doc.problem];
  const out = tsconfigKeyProblems(file, doc.value, ["extends", "include", "exclude", "files"]);
  if (doc.value.extends !== "../tsconfig.json")
    out.push({
      file,
      field: "extends",
      message: 'must be "../tsconfig.json": the pack compiles with the repository\'s settings',
      hint: RESTORE(file),
    });
  return out;
}

function tsconfigKeyProblems(file: string, config: Record<string, unknown>, allowed: readonly string[]): Problem[] {
  return Object.keys(config)
    .filter((k) => !allowed.includes(k))
    .map((key) => ({
      file,
      field: key,
      message:
        key === "ts-node"
          ? "configures ts-node, which the Pulumi CLI registers with this file: `require` preloads modules, `transpiler`/`compiler` swap the compiler, `preferTsExts` changes which files load"
          : key === "extends"
            ? "takes settings from another file than the ones checked here"
            : "is not a setting this project uses",
      hint: `remove "${key}" (${RESTORE(file)})`,
    }));
}

// ---------------------------------------------------------------------------------------------
// npm settings

/**
 * npm settings that cannot make npm or Node run other code. Anything else is refused: e.g.
 * `node-options` becomes NODE_OPTIONS of every npm script and npx (a `--require` runs first in
 * `npm start`, `npx coop`), `script-shell` swaps the shell that runs the scripts.
 */
const HARMLESS_NPM_SETTINGS: ReadonlySet<string> = new Set([
  "audit",
  "audit-level",
  "engine-strict",
  "fund",
  "ignore-scripts",
  "legacy-peer-deps",
  "lockfile-version",
  "loglevel",
  "package-lock",
  "prefer-offline",
  "prefer-online",
  "progress",
  "registry",
  "save-exact",
  "save-prefix",
  "update-notifier",
]);

function npmrcProblems(file: string, text: string | undefined): Problem[] {
  if (text === undefined) return [];
  const out: Problem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const key = line.split("=")[0].trim().replace(/\[\]$/, "");
    // Registry credentials and per-scope registries are keyed by the registry's address.
    if (HARMLESS_NPM_SETTINGS.has(key) || key.startsWith("//") || /^@[^:]+:registry$/.test(key)) return;
    out.push({
      file,
      line: i + 1,
      col: 1,
      field: key,
      message:
        key === "node-options"
          ? "npm passes it to Node as NODE_OPTIONS in every script and npx: options like --require run code before coop, the program or the pack"
          : "is not an npm setting this project allows: it may make npm or Node run other code",
      hint: `remove the line (${RESTORE(file)})`,
    });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The process

/** Node options that load code before the entry point or change which files a module name loads. */
const CODE_OPTIONS: ReadonlyArray<readonly [flag: string, why: string]> = [
  ["--require", "runs a module before the entry point"],
  ["-r", "runs a module before the entry point"],
  ["--import", "runs a module before the entry point"],
  ["--loader", "replaces how modules are found and compiled"],
  ["--experimental-loader", "replaces how modules are found and compiled"],
  ["--conditions", "makes packages resolve to other files"],
  ["-C", "makes packages resolve to other files"],
  ["--experimental-policy", "can redirect modules to other files"],
  ["--experimental-default-type", "changes how files are loaded"],
  ["--experimental-specifier-resolution", "changes how module names resolve"],
  ["--preserve-symlinks", "changes which copy of a module loads"],
  ["--preserve-symlinks-main", "changes which copy of a module loads"],
];

/**
 * Problems with the process itself: Node options (from NODE_OPTIONS, where npm's `node-options`
 * lands, or the command line) that preload or redirect code, and environment variables that
 * reconfigure ts-node or point the Pulumi CLI at another TypeScript configuration.
 */
export function processProblems(env: Readonly<Record<string, string | undefined>>, execArgv: readonly string[]): Problem[] {
  const out: Problem[] = [];
  const fromEnv = splitNodeOptions(env.NODE_OPTIONS ?? "");
  for (const [where, args] of [
    ["NODE_OPTIONS", fromEnv],
    ["node's command line", execArgv],
  ] as const) {
    args.forEach((arg, i) => {
      const hit = CODE_OPTIONS.find(([flag]) => arg === flag || arg.startsWith(`${flag}=`));
      if (!hit) return;
      const given = arg === hit[0] && i + 1 < args.length ? `${arg} ${args[i + 1]}` : arg;
      out.push({
        file: where,
        field: hit[0],
        message: `${given} ${hit[1]}`,
        hint:
          where === "NODE_OPTIONS"
            ? "unset NODE_OPTIONS; if npm set it, remove node-options from .npmrc (npm config get node-options shows it)"
            : "start it without that option",
      });
    });
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.startsWith("TS_NODE_"))
      out.push({
        file: "environment",
        field: name,
        message: "reconfigures ts-node, which the Pulumi CLI registers for the program and the pack",
        hint: `unset ${name}`,
      });
    if (name === "PULUMI_NODEJS_TSCONFIG_PATH" && value !== "" && value !== "tsconfig.json")
      out.push({
        file: "environment",
        field: name,
        message: "points the Pulumi CLI at another TypeScript configuration than tsconfig.json",
        hint: `unset ${name}`,
      });
  }
  return out;
}

/** NODE_OPTIONS split as Node splits it: on spaces, with double quotes grouping. */
export function splitNodeOptions(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted && i + 1 < text.length) {
      cur += text[++i];
    } else if (c === '"') {
      quoted = !quoted;
      has = true;
    } else if (c === " " && !quoted) {
      if (has || cur) out.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

// ---------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A configuration document, strictly parsed: what cannot be read is refused, never skipped. */
function parseDoc(file: string, text: string, kind: "json" | "yaml"): { value: Record<string, unknown> } | { problem: Problem } {
  let value: unknown;
  try {
    value = kind === "json" ? JSON.parse(text) : parseYaml(text, { strict: true, maxAliasCount: 0 });
  } catch (e) {
    return {
      problem: {
        file,
        message: `cannot be read as ${kind === "json" ? "plain JSON (no comments)" : "YAML"}: ${(e as Error).message.split("\n")[0]}`,
        hint: RESTORE(file),
      },
    };
  }
  if (!isObject(value)) return { problem: { file, message: "must hold a mapping of settings", hint: RESTORE(file) } };
  return { value };
}
