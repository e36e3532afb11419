/**
 * Major upgrades of the software that keeps the co-op's data, which the bylaws treat apart
 * from other changes:
 * - a Mastodon or Postgres major upgrade migrates data one way, so the decision that approves
 *   it must name it (a `coop-major:` line in the proposal the members voted on);
 * - Nextcloud upgrades one major version at a time (its upgrader refuses to skip one).
 *
 * Pure: works on the changes a decision records (old → new per path) and on image references.
 */
import type { Json } from "../../kernel/json";
import type { ChangeRecord } from "./change-records";
import { taggedImage } from "./change-classes";

export type Family = "mastodon" | "postgres" | "nextcloud";

/** Which image repositories belong to which family. Mastodon's streaming image moves with Mastodon. */
const FAMILIES: ReadonlyArray<readonly [Family, RegExp]> = [
  ["mastodon", /(^|\/)mastodon\/mastodon(-streaming)?$/],
  ["postgres", /(^|\/)(library\/)?postgres$/],
  ["nextcloud", /(^|\/)(library\/)?nextcloud$/],
];

export function familyOf(repository: string): Family | undefined {
  return FAMILIES.find(([, re]) => re.test(repository))?.[0];
}

/** The major version in a tag such as v4.6.3, 18-alpine, 34.0.2-apache. */
export function majorOf(tag: string): number | undefined {
  const m = /^v?(\d+)(?:[.-]|$)/.exec(tag);
  return m ? Number(m[1]) : undefined;
}

export interface MajorStep {
  readonly family: Family;
  readonly from: number;
  readonly to: number;
  readonly urn: string;
  readonly path: string;
}

/** The major step between two image references, if both are of one family and the major differs. */
export function majorStep(old: Json | undefined, now: Json | undefined, urn: string, path: string): MajorStep | undefined {
  const a = taggedImage(old);
  const b = taggedImage(now);
  if (!a || !b) return undefined;
  const family = familyOf(a.repository);
  if (!family || familyOf(b.repository) !== family) return undefined;
  const from = majorOf(a.tag);
  const to = majorOf(b.tag);
  if (from === undefined || to === undefined || from === to) return undefined;
  return { family, from, to, urn, path };
}

/** Every major step in a decision's recorded changes (each family/step once). */
export function majorSteps(changes: readonly ChangeRecord[]): MajorStep[] {
  const out: MajorStep[] = [];
  for (const c of changes) {
    for (const p of c.paths ?? []) {
      const s = majorStep(p.old, p.new, c.urn, p.path);
      if (s) out.push(s);
    }
  }
  return out;
}

/** The line a proposal carries to name a major step: `coop-major: mastodon 4 -> 5`. */
export function majorLine(s: Pick<MajorStep, "family" | "from" | "to">): string {
  return `coop-major: ${s.family} ${s.from} -> ${s.to}`;
}

const MAJOR_RE = /coop-major:\s*(mastodon|postgres|nextcloud)\s+(\d+)\s*(?:->|→)\s*(\d+)/g;

/** The coop-major lines in a poll's details (normalized). */
export function findMajorLines(text: string | null | undefined): string[] {
  const out = new Set<string>();
  for (const m of (text ?? "").matchAll(MAJOR_RE)) out.add(majorLine({ family: m[1] as Family, from: Number(m[2]), to: Number(m[3]) }));
  return [...out].sort();
}

/** Steps that need naming (Mastodon and Postgres majors) but are not among `named`. */
export function unnamedMajors(steps: readonly MajorStep[], named: readonly string[]): MajorStep[] {
  return steps.filter((s) => (s.family === "mastodon" || s.family === "postgres") && !named.includes(majorLine(s)));
}

/** Nextcloud steps that skip a major version (or go back, which Nextcloud cannot do). */
export function nextcloudSkips(steps: readonly MajorStep[]): MajorStep[] {
  return steps.filter((s) => s.family === "nextcloud" && (s.to > s.from + 1 || s.to < s.from));
}

/** The distinct lines a set of steps needs, sorted. */
export function requiredMajorLines(steps: readonly MajorStep[]): string[] {
  return [...new Set(steps.filter((s) => s.family !== "nextcloud").map(majorLine))].sort();
}
