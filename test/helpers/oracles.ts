/**
 * The facts from official sources the tests compare against: test/oracles/, kept in the
 * repository with the public source of every line (test/oracles/README.md), so a fork's clone
 * passes its own tests.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export const ORACLES_DIR = resolve(__dirname, "..", "oracles");

export function readOracle(name: string): string {
  return readFileSync(resolve(ORACLES_DIR, name), "utf8");
}

/** docker-mailserver: every env name it knows (mailserver.env plus the documented-only list), with defaults. */
export function mailserverEnvOracle(): { defaults: Map<string, string>; documentedOnly: Set<string> } {
  const text = readOracle("mailserver-env.txt");
  const defaults = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) defaults.set(m[1], m[2]);
  }
  const header = text
    .split("\n")
    .filter((l) => l.startsWith("#"))
    .join(" ");
  const listed = /documented-only vars not in mailserver\.env:([A-Z0-9_#\s]+?)\)/.exec(header);
  if (!listed) throw new Error("mailserver-env.txt: the documented-only list was not found in its header");
  const documentedOnly = new Set(
    listed[1]
      .replace(/#/g, " ")
      .split(/\s+/)
      .filter((w) => /^[A-Z][A-Z0-9_]+$/.test(w)),
  );
  return { defaults, documentedOnly };
}

/** docker-mailserver: the recommended overrides (NAME -> VALUE). */
export function mailserverRecommendedOracle(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readOracle("mailserver-env-recommended.txt").split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=([^\t]*)\t/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** Image-declared persistent paths: image -> container paths. */
export function imageVolumesOracle(): Array<{ image: string; path: string }> {
  return readOracle("image-volumes.txt")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [image, path] = l.split("\t");
      return { image, path };
    });
}
