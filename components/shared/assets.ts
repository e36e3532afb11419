/**
 * The components' static files: shell scripts kept as real `.sh` files next to the component
 * that installs them (so shellcheck and editors read them as shell), and filled in by the
 * TypeScript with data only — a header of settings in place of one marker line.
 *
 * The only module of components/ that reads files (the dependency rule
 * `components-read-no-files` allows it and no other). It reads the assets that ship with the
 * code, never anything of the user's: every loader (ts-node, vitest, kernel/load-sources.cjs)
 * runs a module under its source path, so they sit beside it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The line of a script asset that the rendered settings replace. */
export const SETTINGS_MARKER = "# @coop-infra-settings";

const ASSET = /^[a-z][a-z0-9-]*\/[a-z][a-z0-9-]*\.sh$/;
const cache = new Map<string, string>();

/** An asset by its path under components/, e.g. "backup/restore.sh". */
export function readAsset(path: string): string {
  if (!ASSET.test(path)) throw new Error(`internal: '${path}' is not an asset path such as backup/restore.sh`);
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  const file = join(__dirname, "..", path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(
      `components/${path} could not be read (${(e as NodeJS.ErrnoException).code ?? String(e)}): it ships with the program. ` +
        "Restore it with `git restore components/`.",
    );
  }
  cache.set(path, text);
  return text;
}

/**
 * The script asset with `settings` (shell lines, already quoted) in place of its marker line.
 * The marker must appear exactly once, on a line of its own, so nothing else is ever replaced.
 */
export function renderScript(path: string, settings: readonly string[]): string {
  const text = readAsset(path);
  const lines = text.split("\n");
  const at = lines.indexOf(SETTINGS_MARKER);
  if (at < 0 || lines.indexOf(SETTINGS_MARKER, at + 1) >= 0) {
    throw new Error(`internal: components/${path} must have the line '${SETTINGS_MARKER}' exactly once`);
  }
  return [...lines.slice(0, at), ...settings, ...lines.slice(at + 1)].join("\n");
}

/** Quotes a value for bash: single quotes, with embedded single quotes closed and escaped. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
