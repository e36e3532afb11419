/**
 * What may decide which code runs besides the code: every way a change that touches no source
 * could preload, swap or shadow code is found, with the file and the fix; the repository as it
 * is has none of them.
 */
import { describe, expect, it } from "vitest";
import { codeBoundaryProblems, processProblems, splitNodeOptions, type CodeTree } from "../../kernel/code-boundary";
import { readCodeTree } from "../../kernel/code-tree";
import { REPO_ROOT } from "../helpers/repo";

const clean = readCodeTree(REPO_ROOT);

function withFiles(add: string[], texts: Record<string, string | undefined> = {}, links: string[] = []): CodeTree {
  const merged: Record<string, string> = { ...clean.texts };
  for (const [file, text] of Object.entries(texts)) {
    if (text === undefined) delete merged[file];
    else merged[file] = text;
  }
  return { files: [...clean.files, ...add], folders: clean.folders, links: [...clean.links, ...links], texts: merged };
}

const edit = (file: string, f: (t: string) => string) => withFiles([], { [file]: f(clean.texts[file]) });
const json = (file: string, f: (o: Record<string, unknown>) => void) =>
  edit(file, (t) => {
    const o = JSON.parse(t) as Record<string, unknown>;
    f(o);
    return JSON.stringify(o);
  });
const where = (tree: CodeTree) => codeBoundaryProblems(tree).map((p) => `${p.file}${p.field ? ` ${p.field}` : ""}`);

describe("the repository's code boundary", () => {
  it("is clean as committed, and reads every file it checks", () => {
    expect(codeBoundaryProblems(clean)).toEqual([]);
    expect(Object.keys(clean.texts).sort()).toEqual(
      [
        "Pulumi.yaml",
        "package.json",
        "policies/PulumiPolicy.yaml",
        "policies/package.json",
        "policies/tsconfig.json",
        "tsconfig.json",
      ].sort(),
    );
  });

  it.each([
    ["components/coop.js", "Node loads it instead of components/coop.ts"],
    ["kernel/errors.json", "Node loads it instead of kernel/errors.ts"],
    ["index.js", "Node loads it instead of index.ts"],
    ["policies.js", "Node loads it instead of policies/"],
    ["components/host.node", "Node loads it instead of components/host/"],
  ])("refuses %s, which Node resolves before the source", (file, message) => {
    const problems = codeBoundaryProblems(withFiles([file]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      file,
      message: expect.stringContaining(message),
      hint: `delete it (git rm ${file}); the sources are the .ts files`,
    });
  });

  it("leaves JavaScript alone that shadows nothing", () => {
    expect(codeBoundaryProblems(withFiles(["bench/helper.cjs", "components/mail/fixture.json", "docs/x.js"]))).toEqual([]);
  });

  it("refuses links, whose target the repository does not show", () => {
    expect(where(withFiles([], {}, ["components/coop.ts"]))).toEqual(["components/coop.ts"]);
  });

  describe("Pulumi.yaml", () => {
    it.each([
      ["no main", (t: string) => t.replace(/^main: index\.ts\n/m, ""), "Pulumi.yaml main"],
      ["another main", (t: string) => t.replace(/^main: index\.ts$/m, "main: index.js"), "Pulumi.yaml main"],
      [
        "nodeargs",
        (t: string) => t.replace("    typescript: true", '    typescript: true\n    nodeargs: "--require ./x.js"'),
        "Pulumi.yaml runtime.options.nodeargs",
      ],
      [
        "a tsconfig",
        (t: string) => t.replace("    typescript: true", "    typescript: true\n    tsconfig: other.json"),
        "Pulumi.yaml runtime.options.tsconfig",
      ],
      ["typescript off", (t: string) => t.replace("typescript: true", "typescript: false"), "Pulumi.yaml runtime.options.typescript"],
      ["another runtime", (t: string) => t.replace("name: nodejs", "name: python"), "Pulumi.yaml runtime.name"],
    ])("refuses %s", (_label, change, field) => {
      expect(where(edit("Pulumi.yaml", change))).toEqual([field]);
    });

    it("refuses a missing or unreadable file", () => {
      expect(where(withFiles([], { "Pulumi.yaml": undefined }))).toEqual(["Pulumi.yaml"]);
      expect(codeBoundaryProblems(withFiles([], { "Pulumi.yaml": "a: [" }))[0].message).toMatch(/cannot be read as YAML/);
    });
  });

  describe("the pack's PulumiPolicy.yaml and package.json", () => {
    it("refuses runtime options, which become arguments of run-policy-pack (--pwd moves the pack)", () => {
      const tree = edit("policies/PulumiPolicy.yaml", (t) =>
        t.replace("runtime: nodejs", "runtime:\n  name: nodejs\n  options:\n    -pwd: ../elsewhere"),
      );
      expect(codeBoundaryProblems(tree)).toEqual([
        expect.objectContaining({ file: "policies/PulumiPolicy.yaml", field: "runtime", message: expect.stringContaining("--pwd") }),
      ]);
    });

    it("refuses a main in PulumiPolicy.yaml", () => {
      expect(where(edit("policies/PulumiPolicy.yaml", (t) => `${t}main: other/\n`))).toEqual(["policies/PulumiPolicy.yaml main"]);
    });

    it("refuses another main, an ES module type or exports in policies/package.json", () => {
      expect(where(json("policies/package.json", (o) => (o.main = "index.js")))).toEqual(["policies/package.json main"]);
      expect(where(json("policies/package.json", (o) => delete o.main))).toEqual(["policies/package.json main"]);
      expect(where(json("policies/package.json", (o) => (o.type = "module")))).toEqual(["policies/package.json type"]);
      expect(where(json("policies/package.json", (o) => (o.exports = "./x.js")))).toEqual(["policies/package.json exports"]);
    });

    it("refuses a second entry or an ES module type in the root package.json", () => {
      expect(where(json("package.json", (o) => (o.main = "index.js")))).toEqual(["package.json main"]);
      expect(where(json("package.json", (o) => (o.type = "module")))).toEqual(["package.json type"]);
      expect(where(json("package.json", (o) => (o.type = "commonjs")))).toEqual([]);
    });
  });

  describe("the TypeScript settings ts-node reads", () => {
    it.each([
      [
        "a ts-node section (require preloads a module)",
        (o: Record<string, unknown>) => (o["ts-node"] = { require: ["./x.js"] }),
        "tsconfig.json ts-node",
      ],
      ["extends", (o: Record<string, unknown>) => (o.extends = "./base.json"), "tsconfig.json extends"],
      [
        "allowJs",
        (o: Record<string, unknown>) => ((o.compilerOptions as Record<string, unknown>).allowJs = true),
        "tsconfig.json compilerOptions.allowJs",
      ],
      [
        "paths",
        (o: Record<string, unknown>) => ((o.compilerOptions as Record<string, unknown>).paths = { x: ["y"] }),
        "tsconfig.json compilerOptions.paths",
      ],
      [
        "another module kind",
        (o: Record<string, unknown>) => ((o.compilerOptions as Record<string, unknown>).module = "esnext"),
        "tsconfig.json compilerOptions.module",
      ],
      [
        "no target",
        (o: Record<string, unknown>) => delete (o.compilerOptions as Record<string, unknown>).target,
        "tsconfig.json compilerOptions.target",
      ],
      [
        "class fields with other semantics",
        (o: Record<string, unknown>) => ((o.compilerOptions as Record<string, unknown>).useDefineForClassFields = false),
        "tsconfig.json compilerOptions.useDefineForClassFields",
      ],
    ])("refuses %s in tsconfig.json", (_label, change, field) => {
      expect(where(json("tsconfig.json", change))).toEqual([field]);
    });

    it("accepts settings that only change what tsc reports, in any case of letters", () => {
      const tree = json("tsconfig.json", (o) => {
        const c = o.compilerOptions as Record<string, unknown>;
        c.noImplicitReturns = true;
        c.target = "es2022";
      });
      expect(codeBoundaryProblems(tree)).toEqual([]);
    });

    it("refuses comments (what cannot be read is not waved through)", () => {
      expect(codeBoundaryProblems(edit("tsconfig.json", (t) => `// x\n${t}`))[0].message).toMatch(/plain JSON/);
    });

    it("refuses anything of its own in policies/tsconfig.json", () => {
      expect(where(json("policies/tsconfig.json", (o) => (o["ts-node"] = { transpiler: "x" })))).toEqual([
        "policies/tsconfig.json ts-node",
      ]);
      expect(where(json("policies/tsconfig.json", (o) => (o.compilerOptions = { allowJs: true })))).toEqual([
        "policies/tsconfig.json compilerOptions",
      ]);
      expect(where(json("policies/tsconfig.json", (o) => (o.extends = "./other.json")))).toEqual(["policies/tsconfig.json extends"]);
    });
  });

  describe("npm settings", () => {
    it("refuses node-options (NODE_OPTIONS of every npm script and npx), naming the line", () => {
      const problems = codeBoundaryProblems(withFiles([".npmrc"], { ".npmrc": "fund=false\nnode-options=--require ./x.js\n" }));
      expect(problems).toEqual([
        expect.objectContaining({ file: ".npmrc", line: 2, field: "node-options", message: expect.stringMatching(/NODE_OPTIONS/) }),
      ]);
    });

    it("refuses any setting not known to be harmless, in the pack's folder too", () => {
      expect(where(withFiles(["policies/.npmrc"], { "policies/.npmrc": "script-shell=/tmp/sh\n" }))).toEqual([
        "policies/.npmrc script-shell",
      ]);
    });

    it("accepts harmless settings, registry credentials and comments", () => {
      const text =
        "# mirror\nregistry=https://npm.example.org/\n//npm.example.org/:_authToken=${NPM_TOKEN}\n@coop:registry=https://npm.example.org/\nsave-exact=true\n";
      expect(codeBoundaryProblems(withFiles([".npmrc"], { ".npmrc": text }))).toEqual([]);
    });
  });
});

describe("the process", () => {
  it.each([
    ["--require ./x.js", "--require"],
    ["--require=./x.js", "--require"],
    ['-r "./my x.js"', "-r"],
    ["--import ./x.mjs", "--import"],
    ["--experimental-loader=./l.mjs", "--experimental-loader"],
    ["--conditions=evil", "--conditions"],
    ["--max-old-space-size=4096 --require ./x.js", "--require"],
  ])("refuses NODE_OPTIONS=%s", (options, flag) => {
    expect(processProblems({ NODE_OPTIONS: options }, [])).toEqual([
      expect.objectContaining({ file: "NODE_OPTIONS", field: flag, hint: expect.stringContaining("node-options from .npmrc") }),
    ]);
  });

  it("refuses the same options on node's command line", () => {
    expect(processProblems({}, ["-r", "./x.js"])).toEqual([expect.objectContaining({ file: "node's command line", field: "-r" })]);
  });

  it("refuses ts-node's variables and another tsconfig for the CLI", () => {
    expect(processProblems({ TS_NODE_COMPILER: "./evil", PULUMI_NODEJS_TSCONFIG_PATH: "other.json" }, []).map((p) => p.field)).toEqual([
      "TS_NODE_COMPILER",
      "PULUMI_NODEJS_TSCONFIG_PATH",
    ]);
  });

  it("accepts options that load no code", () => {
    expect(
      processProblems(
        {
          NODE_OPTIONS: "--max-old-space-size=4096 --enable-source-maps",
          PULUMI_NODEJS_TRANSPILE_ONLY: "true",
          PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.json",
        },
        ["--stack-size=2000"],
      ),
    ).toEqual([]);
  });

  it("splits NODE_OPTIONS as Node does", () => {
    expect(splitNodeOptions(' --a  "b c" --d="e \\"f\\"" ')).toEqual(["--a", "b c", '--d=e "f"']);
  });
});
