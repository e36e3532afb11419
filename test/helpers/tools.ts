/**
 * Tests that need a real validator (caddy, cloud-init, named-checkzone, doveadm, ssh-keygen,
 * shellcheck) or the real browser (chromium) use it when it is installed and skip loudly when not. CI installs the tools and
 * sets COOP_REQUIRE_TOOLS=1, which turns a missing tool into a failure.
 */
import { execFileSync } from "node:child_process";
import { it } from "vitest";

export interface Tool {
  readonly name: string;
  readonly available: boolean;
}

const cache = new Map<string, boolean>();

function onPath(name: string): boolean {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let ok = false;
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    ok = true;
  } catch {
    ok = false;
  }
  cache.set(name, ok);
  return ok;
}

/**
 * Declares that the calling test file uses `name`. Returns an `it` that runs when the tool is
 * installed; otherwise it skips with a message, or fails when COOP_REQUIRE_TOOLS=1.
 */
export function withTool(name: string, debianPackage: string): typeof it {
  if (onPath(name)) return it;
  const message = `${name} is not installed (Debian package ${debianPackage}); tests that check files with it are skipped`;
  if (process.env.COOP_REQUIRE_TOOLS === "1") {
    it(`requires ${name}`, () => {
      throw new Error(`${message}, but COOP_REQUIRE_TOOLS=1 requires it: apt-get install ${debianPackage}`);
    });
  } else {
    process.stderr.write(`\n!!! SKIPPING: ${message}. Install it to run them: apt-get install ${debianPackage}\n\n`);
  }
  return it.skip as unknown as typeof it;
}

/** Debian's chromium: the browser the members' record is tested in (playwright-core drives it). */
export const CHROMIUM = { name: "chromium", debianPackage: "chromium" } as const;

export function withChromium(): typeof it {
  return withTool(CHROMIUM.name, CHROMIUM.debianPackage);
}

/** Where `name` is on PATH (call only once withTool said it is there). */
export function toolPath(name: string): string {
  return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
}
