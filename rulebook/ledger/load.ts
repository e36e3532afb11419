/**
 * Reads the co-op's whole record (rules, members, decisions, locks) without throwing: every
 * file that cannot be read or does not match its format becomes a located problem, so one
 * broken file does not hide the state of the others.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { CoopError, FileProblems, type Problem } from "../../kernel/errors";
import { parseYamlText, readYamlFile } from "../../kernel/yaml-file";
import { readProjectName } from "../../kernel/repo";
import { readLock, type Lock } from "../../plan/lock";
import type { JsonObject } from "../../kernel/json";
import { DECISIONS_DIR, DecisionSchema, decisionFile, type Decision } from "../records/decision";
import { readLedgerYamlFast } from "./ledger-yaml";
import { MEMBERS_FILE, MembersSchema, indexMemberKeys, type MemberKey, type Members } from "../records/members";
import { APPROVED_DIR, LOCK_SUFFIX } from "../records/paths";
import { RULES_FILE, RulesSchema, rulesDigest, type Rules } from "../records/rules";

export interface LoadedDecision {
  readonly id: string;
  /** Repository-relative path. */
  readonly file: string;
  readonly decision: Decision;
  /**
   * The record exactly as stored (what signatures cover, minus `signatures`). The same object
   * as `decision`: the decision schemas have no defaults or transforms, so a record that
   * validates is its own parsed form, and a ledger of 10,000 decisions is held once, not twice.
   */
  readonly raw: JsonObject;
}

export interface LoadedLock {
  readonly stack: string;
  readonly file: string;
  readonly lock: Lock;
}

export interface Governance {
  readonly root: string;
  readonly project?: string;
  readonly rules?: Rules;
  readonly rulesSha256?: string;
  readonly members?: Members;
  /** Member keys by key id (base64 of the public key blob). */
  readonly memberKeys: ReadonlyMap<string, MemberKey>;
  /** Sorted by id. */
  readonly decisions: readonly LoadedDecision[];
  readonly byId: ReadonlyMap<string, LoadedDecision>;
  /** Empty when loaded with `locks: false`. */
  readonly locks: ReadonlyMap<string, LoadedLock>;
  /** Stacks that have a spec (stacks/<stack>.yaml). */
  readonly stacks: readonly string[];
  /** Files that could not be read or do not match their format. */
  readonly problems: readonly Problem[];
}

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
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}

/** Reads one decision file: the fast reader for records coop wrote, the full YAML parser otherwise. */
export function readDecisionText(text: string, shown: string): { decision: Decision; raw: JsonObject } {
  let raw: unknown = readLedgerYamlFast(text);
  if (raw === undefined) {
    try {
      raw = parseYaml(text, { uniqueKeys: true, strict: true });
    } catch {
      // parseYamlText reports the syntax error with its location.
      parseYamlText(text, DecisionSchema, shown);
      throw new FileProblems([{ file: shown, message: "is not valid YAML" }]);
    }
  }
  const parsed = DecisionSchema.safeParse(raw);
  if (!parsed.success) {
    parseYamlText(text, DecisionSchema, shown);
    throw new FileProblems([{ file: shown, message: parsed.error.issues[0]?.message ?? "does not match the decision format" }]);
  }
  // The raw record is what members signed, and it is the decision: DecisionSchema fills in no
  // defaults and transforms nothing (a test pins this), so a field it would have to supply is
  // refused above instead of read as undefined later.
  return { decision: raw as Decision, raw: raw as JsonObject };
}

export type DecisionFileResult = { readonly loaded: LoadedDecision } | { readonly problems: Problem[] };

/** Reads and validates governance/decisions/<name>. */
export function readDecisionFile(root: string, name: string): DecisionFileResult {
  const id = name.slice(0, -".yaml".length);
  const file = decisionFile(id);
  try {
    const text = readFileSync(join(root, file), "utf8");
    const { decision, raw } = readDecisionText(text, file);
    if (decision.id !== id) {
      return {
        problems: [
          {
            file,
            field: "id",
            message: `the decision's id '${decision.id}' differs from its file name '${id}'`,
            hint: "decision files are named after their id; restore the file from git",
          },
        ],
      };
    }
    return { loaded: { id, file, decision, raw } };
  } catch (e) {
    return { problems: problemsOf(e, file, "decision records are written by coop; restore it from git") };
  }
}

export function decisionFileNames(root: string): string[] {
  return listFiles(join(root, DECISIONS_DIR), ".yaml");
}

export interface LoadOptions {
  /** The decision files already read (e.g. by worker threads), in the order of decisionFileNames(). */
  readonly decisionResults?: readonly DecisionFileResult[];
  /**
   * Whether to read every stack's lock (default true). The policy pack reads only the lock of
   * the stack it checks, so a hosting co-op's run over many stacks does not hold them all.
   */
  readonly locks?: boolean;
}

/** Reads the whole record (without the locks when `locks: false`). */
export function loadGovernance(root: string, options: LoadOptions = {}): Governance {
  const { decisionResults, locks: readLocks = true } = options;
  const problems: Problem[] = [];

  let project: string | undefined;
  try {
    project = readProjectName(root);
  } catch (e) {
    problems.push(...problemsOf(e, "Pulumi.yaml"));
  }

  let rules: Rules | undefined;
  try {
    rules = readYamlFile(
      join(root, RULES_FILE),
      RulesSchema,
      RULES_FILE,
      "create it with `coop init`, or copy governance/rules.yaml from coop-infra",
    ).value;
  } catch (e) {
    problems.push(...problemsOf(e, RULES_FILE));
  }

  let members: Members | undefined;
  try {
    members = readYamlFile(join(root, MEMBERS_FILE), MembersSchema, MEMBERS_FILE, "create it with `coop init --member …`").value;
  } catch (e) {
    problems.push(...problemsOf(e, MEMBERS_FILE));
  }

  const decisions: LoadedDecision[] = [];
  for (const result of decisionResults ?? decisionFileNames(root).map((name) => readDecisionFile(root, name))) {
    if ("loaded" in result) decisions.push(result.loaded);
    else problems.push(...result.problems);
  }
  decisions.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const locks = new Map<string, LoadedLock>();
  for (const name of readLocks ? listFiles(join(root, APPROVED_DIR), LOCK_SUFFIX) : []) {
    const stack = name.slice(0, -LOCK_SUFFIX.length);
    const file = `${APPROVED_DIR}/${name}`;
    try {
      const lock = readLock(root, stack);
      if (lock) locks.set(stack, { stack, file, lock });
    } catch (e) {
      problems.push(...problemsOf(e, file));
    }
  }

  const stacks = listFiles(join(root, "stacks"), ".yaml").map((f) => f.slice(0, -".yaml".length));

  return {
    root,
    project,
    rules,
    rulesSha256: rules ? rulesDigest(rules) : undefined,
    members,
    memberKeys: members ? indexMemberKeys(members) : new Map(),
    decisions,
    byId: new Map(decisions.map((d) => [d.id, d])),
    locks,
    stacks,
    problems,
  };
}

/** Whether a governance directory exists at all (a repository that has not run `coop init`). */
export function hasGovernance(root: string): boolean {
  return existsSync(join(root, "governance"));
}
