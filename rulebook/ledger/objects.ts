/**
 * The versions the ledger approved, stored by digest in governance/objects/<kind>-<digest>.json:
 * every approved state of a stack (lock), every version of the bylaws, of the members list, of
 * the code (its manifest) and of the price table a cost came from. Decisions name them by
 * digest; what a decision changed is recomputed from two of them. An object is trusted only if
 * its content hashes to its name.
 */
import { join } from "node:path";
import type { ZodType } from "zod";
import { canonicalJson, sha256Hex, stableJsonText } from "../../kernel/json";
import { isMissing, readRegularText, SIZE_LIMITS } from "../../kernel/safe-read";
import { LockSchema, type Lock, viewOfLock } from "../../plan/lock";
import { PriceTableSchema, type PriceTable } from "../../plan/prices";
import { viewDigest } from "../../plan/view";
import { type CodeManifest, CodeManifestSchema, codeDigest } from "../records/code";
import { type Members, MembersSchema, membersDigest } from "../records/members";
import { type Rules, RulesSchema, rulesDigest } from "../records/rules";

export const OBJECTS_DIR = "governance/objects";

export interface ObjectTypes {
  lock: Lock;
  rules: Rules;
  members: Members;
  code: CodeManifest;
  prices: PriceTable;
}
export type ObjectKind = keyof ObjectTypes;

interface KindSpec<K extends ObjectKind> {
  readonly schema: ZodType<ObjectTypes[K]>;
  readonly digest: (v: ObjectTypes[K]) => string;
}

const KINDS: { [K in ObjectKind]: KindSpec<K> } = {
  lock: { schema: LockSchema as ZodType<Lock>, digest: (l) => viewDigest(viewOfLock(l)) },
  rules: { schema: RulesSchema as unknown as ZodType<Rules>, digest: rulesDigest },
  members: { schema: MembersSchema as unknown as ZodType<Members>, digest: membersDigest },
  code: { schema: CodeManifestSchema, digest: codeDigest },
  prices: { schema: PriceTableSchema as unknown as ZodType<PriceTable>, digest: priceTableDigest },
};

export function priceTableDigest(t: PriceTable): string {
  return sha256Hex(canonicalJson(t));
}

export function digestOf<K extends ObjectKind>(kind: K, value: ObjectTypes[K]): string {
  return KINDS[kind].digest(value);
}

export function objectFile(kind: ObjectKind, digest: string): string {
  return `${OBJECTS_DIR}/${kind}-${digest}.json`;
}

export class ObjectProblem extends Error {
  constructor(
    readonly file: string,
    readonly missing: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** Stable text: keys sorted, two-space indent (the same layout as the lock files). */
export function renderObject(value: unknown): string {
  return stableJsonText(value);
}

/** [path, text] of an object, for an atomic write together with the decision that names it. */
export function objectEntry<K extends ObjectKind>(root: string, kind: K, value: ObjectTypes[K]): [string, string] {
  return [join(root, objectFile(kind, digestOf(kind, value))), renderObject(value)];
}

/** Reads stored objects once per store and checks each against its name. */
export class ObjectStore {
  private readonly cache = new Map<string, unknown>();

  constructor(
    readonly root: string,
    /** Versions not written yet (a command's draft), checked like stored ones. */
    private readonly staged: ReadonlyMap<string, unknown> = new Map(),
  ) {}

  /** A store that also holds `values` (by their digest), for judging a draft before it is written. */
  withStaged(values: ReadonlyArray<{ kind: ObjectKind; value: unknown }>): ObjectStore {
    const staged = new Map(this.staged);
    for (const { kind, value } of values) staged.set(objectFile(kind, digestOf(kind, value as never)), value);
    return new ObjectStore(this.root, staged);
  }

  /** The object, or an ObjectProblem (missing, unreadable, or not what its name says). */
  get<K extends ObjectKind>(kind: K, digest: string): ObjectTypes[K] {
    const file = objectFile(kind, digest);
    const hit = this.cache.get(file);
    if (hit instanceof ObjectProblem) throw hit;
    if (hit !== undefined) return hit as ObjectTypes[K];
    if (this.staged.has(file)) return this.staged.get(file) as ObjectTypes[K];
    try {
      const value = this.read(kind, digest, file);
      this.cache.set(file, value);
      return value;
    } catch (e) {
      const p = e instanceof ObjectProblem ? e : new ObjectProblem(file, false, `cannot be read: ${(e as Error).message}`);
      this.cache.set(file, p);
      throw p;
    }
  }

  /** Whether the object exists and is sound. */
  has(kind: ObjectKind, digest: string): boolean {
    try {
      this.get(kind, digest);
      return true;
    } catch {
      return false;
    }
  }

  private read<K extends ObjectKind>(kind: K, digest: string, file: string): ObjectTypes[K] {
    let text: string;
    try {
      text = readRegularText(join(this.root, file), SIZE_LIMITS.object, file);
    } catch (e) {
      if (isMissing(e)) throw new ObjectProblem(file, true, "is missing");
      throw new ObjectProblem(file, false, (e as Error).message);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new ObjectProblem(file, false, "is not valid JSON");
    }
    const spec = KINDS[kind];
    const parsed = spec.schema.safeParse(data);
    if (!parsed.success)
      throw new ObjectProblem(file, false, `does not match the ${kind} format (${parsed.error.issues[0]?.message ?? "invalid"})`);
    // The stored value must be exactly the version (defaults already applied), not one the schema completes.
    if (canonicalJson(parsed.data) !== canonicalJson(data)) throw new ObjectProblem(file, false, `is not a complete ${kind} version`);
    if (spec.digest(parsed.data) !== digest) throw new ObjectProblem(file, false, "does not hash to its name: it was edited");
    if (kind === "lock" && (parsed.data as Lock).digest !== digest)
      throw new ObjectProblem(file, false, "names another digest than its file name");
    return parsed.data;
  }
}
