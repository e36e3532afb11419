/**
 * Red team: a pull request an ordinary reviewer might approve, touching no source, that would
 * run its own code inside the program, the pack or coop (issue 12's code-boundary paths). Each
 * is tried on a copy of the repository against the real launchers: the program as the Pulumi
 * CLI's language host starts it, the pack as its run-policy-pack launcher starts it, and `coop
 * gate` as CI runs it. Each must be refused by the program's and the pack's start-up, and make
 * `coop gate` fail exactly where the engine's run would. The unchanged copy passes everywhere.
 *
 * A module preloaded by Node (NODE_OPTIONS, npm's node-options, ts-node's `require`) has run
 * by the time anything of the project can look; what the start-up refuses is to go on with it.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOffline } from "../../../cli/plan/planning";
import { codeCopy, coopIn, launchPack, launchProgram } from "../../helpers/launchers";
import { REPO_ROOT } from "../../helpers/repo";

let copy: { root: string; cleanup(): void };
beforeAll(() => {
  copy = codeCopy();
});
afterAll(() => copy?.cleanup());

/** Writes `files` into the copy (null deletes), runs `fn`, and puts everything back. */
async function withChange<T>(files: Record<string, string | null>, fn: () => Promise<T> | T): Promise<T> {
  const before = new Map<string, string | null>();
  for (const [file, text] of Object.entries(files)) {
    const path = join(copy.root, file);
    let old: string | null = null;
    try {
      old = readFileSync(path, "utf8");
    } catch {
      old = null;
    }
    before.set(path, old);
    if (text === null) rmSync(path, { force: true });
    else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  try {
    return await fn();
  } finally {
    for (const [path, old] of before) {
      if (old === null) rmSync(path, { force: true });
      else writeFileSync(path, old);
    }
  }
}

const STACK = "example";
const PRELOAD = "require('node:fs').writeFileSync(require('node:path').join(__dirname, 'preloaded.txt'), 'ran');\n";
const edit = (file: string, f: (t: string) => string) => f(readFileSync(join(REPO_ROOT, file), "utf8"));

describe("the unchanged repository, started as the CLI and CI start it", () => {
  it("runs the program through Pulumi.yaml main, registering exactly what coop plans", async () => {
    const launched = await launchProgram(copy.root, STACK);
    expect(launched.code, launched.stderr).toBe(0);
    const planned = (await runOffline(REPO_ROOT, STACK)).resources.map((r) => r.urn);
    expect(launched.registered.filter((u) => !u.includes("::pulumi:pulumi:Stack::")).sort()).toEqual([...planned].sort());
  });

  it("starts the pack, and coop gate passes with the pack in-process and as the CLI starts it", async () => {
    const pack = await launchPack(join(copy.root, "policies"));
    expect(pack.code, pack.stderr).toBeNull();
    expect(pack.port).toBeGreaterThan(0);
    for (const transport of ["wire", "cli"]) {
      const gate = coopIn(copy.root, ["gate", "--stack", STACK, "--json"], { COOP_GATE_TRANSPORT: transport });
      expect(gate.code, gate.stderr).toBe(0);
    }
  });
});

interface Row {
  readonly name: string;
  readonly files: Record<string, string | null>;
  /** The environment the row runs with (given the copy's root). */
  readonly env?: (root: string) => NodeJS.ProcessEnv;
  /** What each refusal names. */
  readonly refusal: RegExp;
}

const ROWS: Row[] = [
  {
    name: "npm config that preloads a module (.npmrc node-options)",
    files: { ".npmrc": "node-options=--require ./preload.js\n", "preload.js": PRELOAD },
    refusal: /\.npmrc:1 node-options: npm passes it to Node as NODE_OPTIONS/,
  },
  {
    name: "NODE_OPTIONS that preloads a module (a workflow's env)",
    files: { "preload.js": PRELOAD },
    env: (root) => ({ NODE_OPTIONS: `--require ${join(root, "preload.js")}` }),
    refusal: /NODE_OPTIONS --require: --require \S+preload\.js runs a module before the entry point/,
  },
  {
    name: "ts-node settings in tsconfig.json (require preloads a module)",
    files: {
      "tsconfig.json": edit("tsconfig.json", (t) =>
        t.replace('"compilerOptions": {', '"ts-node": { "require": ["./preload.js"] },\n  "compilerOptions": {'),
      ),
      "preload.js": PRELOAD,
    },
    refusal: /tsconfig\.json ts-node: configures ts-node/,
  },
  {
    name: "a .js beside a .ts source (the program's components, the pack's policies)",
    files: {
      "components/coop.js": "exports.declareCoop = () => ({ outputs: {} });\n",
      "policies/pack.js": 'exports.PACK_NAME = "p"; exports.POLICIES = []; exports.GOVERNANCE_POLICY_NAMES = new Set();\n',
    },
    refusal: /components\/coop\.js: Node loads it instead of components\/coop\.ts/,
  },
  {
    name: "a root index.js (what the CLI ran when Pulumi.yaml named no main)",
    files: { "index.js": "module.exports = {};\n" },
    refusal: /index\.js: Node loads it instead of index\.ts/,
  },
];

describe.each(ROWS)("$name", ({ files, env, refusal }) => {
  it("stops the program as the language host starts it", async () => {
    const launched = await withChange(files, () => launchProgram(copy.root, STACK, env?.(copy.root)));
    expect(launched.code).not.toBe(0);
    expect(launched.stdout + launched.stderr).toMatch(/refusing to run/);
    expect(launched.stdout + launched.stderr).toMatch(refusal);
    expect(launched.registered.filter((u) => !u.includes("::pulumi:pulumi:Stack::"))).toEqual([]);
  });

  it("stops the pack as run-policy-pack starts it", async () => {
    const pack = await withChange(files, () => launchPack(join(copy.root, "policies"), env?.(copy.root)));
    expect(pack.port).toBeUndefined();
    expect(pack.code).toBe(1);
    expect(pack.stderr).toMatch(/^coop-infra policy pack: refusing to run/);
    expect(pack.stderr).toMatch(refusal);
    expect(pack.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("makes coop gate fail (exit 2), in --json too", async () => {
    const gate = await withChange(files, () => coopIn(copy.root, ["gate", "--stack", STACK, "--json"], env?.(copy.root)));
    expect(gate.code).toBe(2);
    expect(gate.stderr).toMatch(refusal);
    expect(JSON.parse(gate.stdout).error.message).toMatch(/refusing to run/);
  });
});

describe("npm's own scripts with a preloading .npmrc", () => {
  it("npm start (coop gate) refuses", async () => {
    const r = await withChange(ROWS[0].files, () =>
      spawnSync("npm", ["start", "--silent"], {
        cwd: copy.root,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, NODE_OPTIONS: "" },
      }),
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/NODE_OPTIONS --require/);
    expect(r.stderr).toMatch(/\.npmrc:1 node-options/);
  });
});

describe("the CLI's entry script and build scripts", () => {
  const unapproved = ["gate", "--stack", STACK, "--set", "host.serverType=cx43", "--json"];

  it("coop runs the sources, not a build planted beside them (dist/ from an earlier coop)", async () => {
    const forged =
      'exports.main = () => { process.stdout.write(JSON.stringify({ stack: "example", passed: true, violations: [] })); process.exit(0); };\n';
    const gate = await withChange({ "dist/cli/main.js": forged, "dist/policies/index.js": "module.exports = {};\n" }, () =>
      coopIn(copy.root, unapproved),
    );
    expect(gate.code).toBe(1);
    expect(JSON.parse(gate.stdout).violations.map((v: { policy: string }) => v.policy)).toContain("governance-resource-matches-lock");
  });

  it("a source edited after it was compiled runs as edited, in coop and in the pack the CLI starts", async () => {
    const file = "policies/governance-resource-matches-lock.ts";
    const before = coopIn(copy.root, unapproved); // compiles (or finds) the current sources
    expect(before.stdout).toMatch(/differs from the approved lock/);
    const edited = edit(file, (t) => t.replace("differs from the approved lock", "DIFFERS (edited source) from the approved lock"));
    expect(edited).toContain("DIFFERS (edited source)");
    await withChange({ [file]: edited }, () => {
      for (const transport of ["wire", "cli"]) {
        const gate = coopIn(copy.root, unapproved, { COOP_GATE_TRANSPORT: transport });
        expect(gate.code, transport).toBe(1);
        expect(gate.stdout, transport).toMatch(/DIFFERS \(edited source\) from the approved lock/);
      }
    });
  });

  it("belong to the admins: CODEOWNERS gives every tracked path to them but the data the gate checks", () => {
    const rules = readFileSync(join(REPO_ROOT, ".github", "CODEOWNERS"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => {
        const [pattern, ...owners] = l.split(/\s+/);
        // The forms this check understands; another form would need the check extended, not skipped.
        expect(pattern).toMatch(/^(\*|\/[\w./*-]+)$/);
        return { pattern, owners };
      });
    const owned = (file: string) => rules.reduce<string[]>((acc, r) => (matches(r.pattern, file) ? r.owners : acc), []).length > 0;
    const tracked = spawnSync("git", ["ls-files"], { cwd: REPO_ROOT, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    expect(tracked.length).toBeGreaterThan(100);
    const data = (f: string) =>
      /^stacks\/[^/]+\.yaml$/.test(f) || f.startsWith("governance/decisions/") || f.startsWith("governance/approved/");
    expect(tracked.filter((f) => !data(f) && !owned(f))).toEqual([]);
    expect(tracked.filter((f) => data(f) && owned(f))).toEqual([]);
    for (const f of [
      "bin/coop.js",
      "scripts/build.cjs",
      "kernel/load-sources.cjs",
      "tsconfig.json",
      ".npmrc",
      "policies/index.js",
      "index.js",
    ])
      expect(owned(f), f).toBe(true);
  });
});

/** A CODEOWNERS pattern of the forms used here: `*`, or anchored paths with `*` within a segment and a trailing `/` for folders. */
function matches(pattern: string, file: string): boolean {
  if (pattern === "*") return true;
  const path = pattern.slice(1);
  if (path.endsWith("/")) return file.startsWith(path);
  const re = new RegExp(
    `^${path
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^/]*")}(/.*)?$`,
  );
  return re.test(file);
}
