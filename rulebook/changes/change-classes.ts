/**
 * Classes of change that a standing decision may pre-approve, recognised from the change
 * itself (the diff between the approved lock and the plan), never from what anyone says it is.
 *
 * image-patch: every change is an update whose every changed value is a container image
 * reference that keeps its repository and moves up by patch version only
 * (ghcr.io/mastodon/mastodon:v4.6.3 → …:v4.6.4, nextcloud:34.0.2-apache → …:34.0.3-apache),
 * or the name of a container named after that release, following the same step.
 * Anything else — a created or deleted resource, any other changed value, a digest pin, a
 * minor or major version step, a downgrade — falls outside and needs a vote.
 */
import { parseImageRef } from "../../kernel/image-ref";
import type { Json } from "../../kernel/json";
import type { ChangeClass } from "../records/rules";

/** An image reference as the classes of change compare them: a repository and a release tag. */
export interface TaggedImage {
  readonly repository: string;
  readonly tag: string;
}

/**
 * A value that names an image by tag alone ("registry/path/name:tag"); undefined for anything
 * else, digest pins included: a digest says nothing about the version it holds, so a change to
 * or from one is never recognised as a version step.
 */
export function taggedImage(value: Json | undefined): TaggedImage | undefined {
  const ref = typeof value === "string" ? parseImageRef(value) : undefined;
  if (!ref || ref.tag === undefined || ref.digest !== undefined) return undefined;
  return { repository: ref.repository, tag: ref.tag };
}

const SEMVER_TAG = /^(v?)(\d+)\.(\d+)\.(\d+)(.*)$/;

export interface VersionStep {
  readonly from: string;
  readonly to: string;
  readonly kind: "patch" | "minor" | "major" | "downgrade" | "other";
}

/** A two-part release (Postgres: 18.6-alpine), whose second number counts fix releases. */
const TWO_PART_TAG = /^(v?)(\d+)\.(\d+)(-[A-Za-z][A-Za-z0-9.-]*)?$/;

/**
 * How one version tag moves to another. Three-part tags follow semantic versioning. A
 * two-part tag (major.release, as Postgres numbers its releases) moving up its second number,
 * suffix unchanged, is a patch step: Postgres ships only fixes in those releases.
 */
export function versionStep(from: string, to: string): VersionStep {
  const a2 = TWO_PART_TAG.exec(from);
  const b2 = TWO_PART_TAG.exec(to);
  if (a2 && b2) {
    if (a2[1] !== b2[1] || (a2[4] ?? "") !== (b2[4] ?? "")) return { from, to, kind: "other" };
    const cmp = Number(a2[2]) - Number(b2[2]) || Number(a2[3]) - Number(b2[3]);
    if (cmp > 0) return { from, to, kind: "downgrade" };
    if (cmp === 0) return { from, to, kind: "other" };
    return { from, to, kind: Number(a2[2]) !== Number(b2[2]) ? "major" : "patch" };
  }
  const a = SEMVER_TAG.exec(from);
  const b = SEMVER_TAG.exec(to);
  if (!a || !b || a[1] !== b[1] || a[5] !== b[5]) return { from, to, kind: "other" };
  const [ma, mi, pa] = [Number(a[2]), Number(a[3]), Number(a[4])];
  const [mb, mj, pb] = [Number(b[2]), Number(b[3]), Number(b[4])];
  const cmp = ma - mb || mi - mj || pa - pb;
  if (cmp > 0) return { from, to, kind: "downgrade" };
  if (cmp === 0) return { from, to, kind: "other" };
  if (ma !== mb) return { from, to, kind: "major" };
  if (mi !== mj) return { from, to, kind: "minor" };
  return { from, to, kind: "patch" };
}

interface PathChange {
  readonly path: string;
  readonly old?: Json;
  readonly new?: Json;
}

/**
 * The shape shared by plan/diff.ts changes (paths as names, values in `details`) and the
 * change records kept in decisions (values in `paths`).
 */
export interface ClassifiableChange {
  readonly urn: string;
  readonly op: "create" | "update" | "delete";
  readonly paths?: ReadonlyArray<string | PathChange>;
  readonly details?: ReadonlyArray<PathChange>;
}

export interface OutsideClass {
  readonly urn: string;
  readonly path?: string;
  readonly reason: string;
}

export interface ClassCheck {
  readonly ok: boolean;
  readonly outside: OutsideClass[];
}

function pathsOf(c: ClassifiableChange): ReadonlyArray<PathChange> {
  if (c.details) return c.details;
  return (c.paths ?? []).filter((p): p is PathChange => typeof p === "object" && p !== null);
}

/**
 * A one-shot container named after its release (Mastodon's migrate: <prefix>-mastodon-migrate-<tag>)
 * is renamed by every upgrade. Its `name` change belongs to the image patch when the old name
 * ends with the old tag and the new name is the same with the new tag.
 */
function releaseNameChanges(paths: ReadonlyArray<PathChange>): Set<PathChange> {
  const images = paths.map((p) => ({ before: taggedImage(p.old), after: taggedImage(p.new) })).filter((i) => i.before && i.after);
  const out = new Set<PathChange>();
  for (const p of paths) {
    if (p.path !== "name" || typeof p.old !== "string" || typeof p.new !== "string") continue;
    const old = p.old;
    const renamed = p.new;
    if (
      images.some(({ before, after }) => old.endsWith(`-${before!.tag}`) && renamed === `${old.slice(0, -before!.tag.length)}${after!.tag}`)
    )
      out.add(p);
  }
  return out;
}

export function checkChangeClass(cls: ChangeClass, changes: readonly ClassifiableChange[]): ClassCheck {
  const outside: OutsideClass[] = [];
  if (changes.length === 0) outside.push({ urn: "(none)", reason: "there is no change to approve" });
  for (const c of changes) {
    if (c.op !== "update") {
      outside.push({ urn: c.urn, reason: `the resource is ${c.op === "create" ? "created" : "deleted"}; ${cls} covers updates only` });
      continue;
    }
    const paths = pathsOf(c);
    if (paths.length === 0) outside.push({ urn: c.urn, reason: "the change lists no changed values" });
    const releaseNamed = releaseNameChanges(paths);
    for (const p of paths) {
      if (releaseNamed.has(p)) continue;
      const before = taggedImage(p.old);
      const after = taggedImage(p.new);
      if (!before || !after) {
        outside.push({ urn: c.urn, path: p.path, reason: "the value is not a container image reference" });
        continue;
      }
      if (before.repository !== after.repository) {
        outside.push({ urn: c.urn, path: p.path, reason: `the image changes from ${before.repository} to ${after.repository}` });
        continue;
      }
      const step = versionStep(before.tag, after.tag);
      if (step.kind !== "patch")
        outside.push({
          urn: c.urn,
          path: p.path,
          reason: `${before.tag} → ${after.tag} is ${step.kind === "other" ? "not a semantic version step" : `a ${step.kind}`}, not a patch upgrade`,
        });
    }
  }
  return { ok: outside.length === 0, outside };
}
