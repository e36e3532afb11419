/**
 * The loader every process runs the sources with: a source compiles once per text (an edited
 * source is never served from an older compile), and a file Node would load instead of a source
 * is refused at the moment Node picks it. Each case runs in a fresh process: the loader is
 * process-wide.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/repo";

const LOADER = join(REPO_ROOT, "kernel", "load-sources.cjs");
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "coop-loader-"));
  copyFileSync(join(REPO_ROOT, "tsconfig.json"), join(root, "tsconfig.json"));
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Runs `body` in a fresh Node process with the loader installed for the temporary repository. */
function run(body: string): { status: number | null; out: string; err: string } {
  const script = `const loader = require(${JSON.stringify(LOADER)}); loader.install(${JSON.stringify(root)});\n${body}`;
  const r = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

describe("the loader", () => {
  it("compiles a source on first use, serves the same text from the cache, and compiles an edited one again", () => {
    // The cache is shared by every copy of the repository: a text no earlier run compiled.
    const nonce = `// ${randomUUID()}\n`;
    writeFileSync(join(root, "answer.ts"), `${nonce}export const answer: number = 41;\n`);
    const first = run(`console.log(require("./answer").answer + 1, loader.compiledCount());`);
    expect(first.out, first.err).toBe("42 1");
    const again = run(`console.log(require("./answer").answer + 1, loader.compiledCount());`);
    expect(again.out, again.err).toBe("42 0");
    writeFileSync(join(root, "answer.ts"), `${nonce}export const answer: number = 99;\n`);
    const edited = run(`console.log(require("./answer").answer + 1, loader.compiledCount());`);
    expect(edited.out, edited.err).toBe("100 1");
  });

  it("compiles again what a crash cut short, rather than running part of it", () => {
    const nonce = randomUUID();
    writeFileSync(join(root, "cut.ts"), `export const nonce = "${nonce}";\nexport const whole = true;\n`);
    expect(run(`console.log(require("./cut").whole, loader.compiledCount());`).out).toBe("true 1");
    const cache = join(REPO_ROOT, "node_modules", ".cache", "coop-infra", "compiled");
    const file = readdirSync(cache).find((f) => f.endsWith(".js") && readFileSync(join(cache, f), "utf8").includes(nonce));
    expect(file).toBeDefined();
    const text = readFileSync(join(cache, file!), "utf8");
    writeFileSync(join(cache, file!), text.slice(0, text.indexOf("exports.whole")));
    expect(run(`console.log(require("./cut").whole, loader.compiledCount());`).out).toBe("true 1");
  });

  it("refuses a .js that Node would load instead of a .ts source, naming both", () => {
    writeFileSync(join(root, "policy.ts"), "export const verdict = 'refuse';\n");
    writeFileSync(join(root, "policy.js"), "exports.verdict = 'approve';\n");
    const r = run(`try { console.log(require("./policy").verdict); } catch (e) { console.log(e.name + ": " + e.message); }`);
    expect(r.out).toMatch(/^CodeBoundaryError: refusing to run/);
    expect(r.out).toContain("policy.js: Node loads it instead of policy.ts");
    expect(r.out).not.toContain("approve");
  });

  it("refuses a file Node would load instead of a folder", () => {
    writeFileSync(join(root, "main.ts"), "export const x = require('./pack');\n");
    spawnSync("mkdir", [join(root, "pack")]);
    writeFileSync(join(root, "pack", "index.ts"), "export const ok = true;\n");
    writeFileSync(join(root, "pack.json"), '{"ok": false}');
    const r = run(`try { require("./main"); console.log("loaded"); } catch (e) { console.log(e.message); }`);
    expect(r.out).toContain("pack.json: Node loads it instead of pack/");
  });

  it("loads JavaScript that hides nothing", () => {
    writeFileSync(join(root, "helper.js"), "exports.x = 1;\n");
    expect(run(`console.log(require("./helper").x);`).out).toBe("1");
  });
});
