/**
 * Reads the co-op's whole record (the working bylaws and members list, every decision, the
 * stored versions, the approved locks) without throwing: every file that cannot be read, is not
 * a regular file, is too large, or does not match its format becomes a located problem. The
 * checks treat any problem as a refusal (the ledger fails closed); loading them all first lets
 * `coop verify` name every one.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CoopError, FileProblems, type Problem } from "../../kernel/errors";
import { readProjectName } from "../../kernel/repo";
import { isMissing, readRegularText, SIZE_LIMITS } from "../../kernel/safe-read";
import { parseYamlText } from "../../kernel/yaml-file";
import { type Lock, lockFile } from "../../plan/lock";
import { DECISION_ID_RE, DECISION_SUFFIX, DECISIONS_DIR, type Decision, DecisionSchema, decisionFile } from "../records/decision";
import { type MemberKey, type Members, MEMBERS_FILE, MembersSchema, indexMemberKeys, membersDigest } from "../records/members";
import { APPROVED_DIR, LOCK_SUFFIX } from "../records/paths";
import { type Rules, RULES_FILE, RulesSchema, rulesDigest } from "../records/rules";
import { type CodeManifest, codeDigest } from "../records/code";
import { readCodeManifest } from "./code-tree";
import { ObjectStore, renderObject } from "./objects";

export interface LoadedDecision {
  readonly id: string;
  /** Repository-relative path. */
  readonly file: string;
  /**
   * The record exactly as stored: what signatures cover (minus `signatures`). The decision
   * schemas have no defaults or transforms, so a record that validates is its own parsed form.
   */
  readonly decision: Decision;
}

export interface LoadedLock {
  readonly stack: string;
  readonly file: string;
  readonly lock: Lock;
}

export interface Working<T> {
  readonly value: T;
  readonly digest: string;
}

export interface Ledger {
  readonly root: string;
  readonly project?: string;
  /** The working governance/rules.yaml (must be the version the governance chain's head names). */
  readonly rules?: Working<Rules>;
  /** The working governance/members.yaml (likewise). */
  readonly members?: Working<Members>;
  /** Sorted by id. */
  readonly decisions: readonly LoadedDecision[];
  readonly byId: ReadonlyMap<string, LoadedDecision>;
  readonly objects: ObjectStore;
  /** The stacks' approved lock files (empty when loaded with `locks: false`). */
  readonly locks: ReadonlyMap<string, LoadedLock>;
  /** Stacks that have a spec (stacks/<stack>.yaml). */
  readonly stacks: readonly string[];
  /** Files that could not be read or do not match their format: each one is a refusal. */
  readonly problems: readonly Problem[];
  /** The code in the working tree (read on first use: it hashes every code file). */
  readonly code: () => WorkingCode;
}

export type WorkingCode = { readonly digest: string; readonly manifest: CodeManifest } | { readonly problem: Problem };

function problemsOf(e: unknown, file: string, hint?: string): Problem[] {
  if (e instanceof FileProblems) return [...e.problems];
  if (e instanceof CoopError) return [{ file, message: e.message, hint: e.hint ?? hint }];
  return [{ file, message: `cannot be read: ${(e as Error).message}`, hint }];
}

function listFiles(dir: string, suffix: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(suffix) && !f.startsWith("."))
      .sort();
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
}

export type DecisionFileResult = { readonly loaded: LoadedDecision } | { readonly problems: Problem[] };

const RESTORE = (file: string) => `decision records are written by coop and never edited: restore it from git (git restore ${file})`;

/** Reads and validates governance/decisions/<name>. Messages never echo the file's content. */
export function readDecisionFile(root: string, name: string): DecisionFileResult {
  const id = name.slice(0, -DECISION_SUFFIX.length);
  const file = `${DECISIONS_DIR}/${name}`;
  if (!DECISION_ID_RE.test(id)) return { problems: [{ file, message: "is not named after a decision id", hint: RESTORE(file) }] };
  let data: unknown;
  try {
    data = JSON.parse(readRegularText(join(root, file), SIZE_LIMITS.record, file));
  } catch (e) {
    if (e instanceof SyntaxError) return { problems: [{ file, message: "is not valid JSON", hint: RESTORE(file) }] };
    return { problems: problemsOf(e, file, RESTORE(file)) };
  }
  const parsed = DecisionSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      problems: [
        {
          file,
          field: issue?.path.join(".") || undefined,
          message: issue?.message ?? "does not match the decision format",
          hint: RESTORE(file),
        },
      ],
    };
  }
  const decision = data as Decision;
  if (decision.id !== id) {
    return { problems: [{ file, field: "id", message: "the decision's id differs from its file name", hint: RESTORE(file) }] };
  }
  return { loaded: { id, file: decisionFile(id), decision } };
}

export function decisionFileNames(root: string): string[] {
  return listFiles(join(root, DECISIONS_DIR), DECISION_SUFFIX);
}

/** Other files in the ledger's folders that are not decisions: refused, not skipped. */
function strayFiles(root: string): Problem[] {
  const out: Problem[] = [];
  let names: string[];
  try {
    names = readdirSync(join(root, DECISIONS_DIR));
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
  for (const n of names) {
    if (!n.endsWith(DECISION_SUFFIX) && !n.startsWith(".")) {
      const file = `${DECISIONS_DIR}/${n}`;
      out.push({
        file,
        message: "is not a decision record (governance/decisions/ holds only <id>.json files)",
        hint: `remove it if you added it, else restore the folder from git (git restore ${DECISIONS_DIR})`,
      });
    }
  }
  return out;
}

function readWorking<T>(
  root: string,
  file: string,
  schema: typeof RulesSchema | typeof MembersSchema,
  digest: (v: T) => string,
  problems: Problem[],
): Working<T> | undefined {
  try {
    const text = readRegularText(join(root, file), SIZE_LIMITS.config, file);
    const value = parseYamlText(text, schema, file) as T;
    return { value, digest: digest(value) };
  } catch (e) {
    if (isMissing(e)) problems.push({ file, message: "does not exist", hint: `restore it from git (git restore ${file})` });
    else problems.push(...problemsOf(e, file, `restore it from git (git restore ${file})`));
    return undefined;
  }
}

export interface LoadOptions {
  /** The decision files already read (e.g. by worker threads), in the order of decisionFileNames(). */
  readonly decisionResults?: readonly DecisionFileResult[];
  /** Whether to read every stack's lock file (default true); the pack reads only its stack's. */
  readonly locks?: boolean;
}

/** Reads the whole record. */
export function loadLedger(root: string, options: LoadOptions = {}): Ledger {
  const { decisionResults, locks: readLocks = true } = options;
  const problems: Problem[] = [];

  let project: string | undefined;
  try {
    project = readProjectName(root);
  } catch (e) {
    problems.push(...problemsOf(e, "Pulumi.yaml"));
  }

  const rules = readWorking<Rules>(root, RULES_FILE, RulesSchema, rulesDigest, problems);
  const members = readWorking<Members>(root, MEMBERS_FILE, MembersSchema, membersDigest, problems);

  const decisions: LoadedDecision[] = [];
  for (const result of decisionResults ?? decisionFileNames(root).map((name) => readDecisionFile(root, name))) {
    if ("loaded" in result) decisions.push(result.loaded);
    else problems.push(...result.problems);
  }
  problems.push(...strayFiles(root));
  decisions.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const objects = new ObjectStore(root);
  const locks = new Map<string, LoadedLock>();
  if (readLocks) {
    for (const name of listFiles(join(root, APPROVED_DIR), LOCK_SUFFIX)) {
      const stack = name.slice(0, -LOCK_SUFFIX.length);
      const loaded = readLockFile(root, stack, problems);
      if (loaded) locks.set(stack, loaded);
    }
  }

  const stacks = listFiles(join(root, "stacks"), ".yaml").map((f) => f.slice(0, -".yaml".length));
  let code: WorkingCode | undefined;
  const readCode = (): WorkingCode => {
    if (!code) {
      try {
        const manifest = readCodeManifest(root);
        code = { digest: codeDigest(manifest), manifest };
      } catch (e) {
        code = { problem: problemsOf(e, ".", "run coop from a clone of the co-op's repository")[0] };
      }
    }
    return code;
  };
  return {
    root,
    project,
    rules,
    members,
    decisions,
    byId: new Map(decisions.map((d) => [d.id, d])),
    objects,
    locks,
    stacks,
    problems,
    code: readCode,
  };
}

/**
 * A stack's lock file: the approved state it names must be the stored version with that
 * digest, byte for byte in meaning (the file is a copy of the object, kept where Pulumi users
 * and reviewers look for it).
 */
export function readLockFile(root: string, stack: string, problems: Problem[]): LoadedLock | undefined {
  const file = lockFile(stack);
  const restore = `locks are written with their decision; restore it from git (git restore ${file})`;
  let text: string;
  try {
    text = readRegularText(join(root, file), SIZE_LIMITS.object, file);
  } catch (e) {
    if (isMissing(e)) return undefined;
    problems.push(...problemsOf(e, file, restore));
    return undefined;
  }
  const digest = /^\s*\{\s*"digest":\s*"([0-9a-f]{64})"/.exec(text)?.[1];
  if (!digest) {
    problems.push({ file, field: "digest", message: "names no approved state", hint: restore });
    return undefined;
  }
  try {
    const lock = new ObjectStore(root).get("lock", digest);
    // The file is a copy of the stored version, kept where Pulumi users and reviewers look.
    if (renderObject(lock) !== text) throw new Error("differs from the approved state it names");
    return { stack, file, lock };
  } catch (e) {
    problems.push({ file, message: `is not an approved state: ${(e as Error).message}`, hint: restore });
    return undefined;
  }
}

export type { MemberKey };
export { indexMemberKeys };
