/**
 * A fresh ledger: the founding entry adopts the working bylaws, members list and code as their
 * first versions and names the stacks that start with a genesis; for each of them, the plan
 * rendered offline becomes its first approved state. Used by `coop init` (a co-op that forked the
 * repository) and by scripts/regenerate-example-ledger.ts (the example co-op's bundled ledger).
 */
import { join } from "node:path";
import { InputError } from "../../kernel/errors";
import type { JsonObject } from "../../kernel/json";
import { lockFromView, lockPath, renderLock, type Lock } from "../../plan/lock";
import { buildView, ReservedMarkerError } from "../../plan/view";
import {
  codeDigest,
  type CodeManifest,
  type Decision,
  decisionFile,
  membersDigest,
  type Members,
  objectEntry,
  renderRecord,
  rulesDigest,
  type Rules,
  stackSummary,
} from "../../rulebook";
import type { StackSpec } from "../../stacks/schema";
import { runProgramOffline } from "../offline/run-program";
import type { Staged } from "./record";

export const FOUNDING_ID = "governance-0001-founding";

export interface FoundingInput {
  readonly project: string;
  readonly coopName: string;
  readonly rules: Rules;
  readonly members: Members;
  readonly code: CodeManifest;
  readonly stacks: ReadonlyArray<{ readonly stack: string; readonly spec: StackSpec }>;
  readonly at: string;
  readonly note: string;
}

export interface Founding {
  readonly founding: Decision;
  readonly geneses: ReadonlyArray<{ readonly stack: string; readonly lock: Lock; readonly decision: Decision }>;
  readonly objects: Staged[];
}

export function genesisId(stack: string): string {
  return `${stack}-0001-genesis`;
}

/** Renders every stack offline, one after the other (the Pulumi runtime is process-global). */
export async function planFounding(input: FoundingInput): Promise<Founding> {
  const founding: Decision = {
    version: 2,
    kind: "founding",
    id: FOUNDING_ID,
    project: input.project,
    summary: `${input.coopName} adopts its bylaws, members list and code, and the first states of ${input.stacks.length === 1 ? `stack ${input.stacks[0].stack}` : `stacks ${input.stacks.map((s) => s.stack).join(", ")}`}.`,
    previous: null,
    seen: {},
    rules: rulesDigest(input.rules),
    members: membersDigest(input.members),
    code: codeDigest(input.code),
    stacks: input.stacks.map((s) => s.stack),
    decidedAt: input.at,
    recordedAt: input.at,
    note: input.note,
    signatures: [],
  };
  const objects: Staged[] = [
    { kind: "rules", value: input.rules },
    { kind: "members", value: input.members },
    { kind: "code", value: input.code },
  ];
  const geneses: Array<Founding["geneses"][number]> = [];
  for (const { stack, spec } of input.stacks) {
    const run = await runProgramOffline({ project: input.project, stack, spec });
    let lock: Lock;
    try {
      lock = lockFromView(buildView(input.project, stack, run.resources, run.secretPlaceholders));
    } catch (e) {
      if (e instanceof ReservedMarkerError) throw new InputError(`stack ${stack}: ${e.message}`);
      throw e;
    }
    objects.push({ kind: "lock", value: lock });
    geneses.push({
      stack,
      lock,
      decision: {
        version: 2,
        kind: "genesis",
        id: genesisId(stack),
        project: input.project,
        summary: stackSummary({ stack, before: null, after: lock, emergencies: [] }),
        stack,
        digest: lock.digest,
        previous: null,
        replaces: null,
        under: FOUNDING_ID,
        decidedAt: input.at,
        recordedAt: input.at,
        note: `The first approved state of stack ${stack} of ${input.coopName}.`,
        signatures: [],
      },
    });
  }
  return { founding, geneses, objects };
}

/** [absolute path, text] of every file of a founding: records, stored versions, lock files. */
export function foundingFiles(root: string, f: Founding): Array<[string, string]> {
  const out: Array<[string, string]> = [[join(root, decisionFile(f.founding.id)), renderRecord(f.founding as unknown as JsonObject)]];
  for (const g of f.geneses) {
    out.push([join(root, decisionFile(g.decision.id)), renderRecord(g.decision as unknown as JsonObject)]);
    out.push([lockPath(root, g.stack), renderLock(g.lock)]);
  }
  const seen = new Set<string>();
  for (const o of f.objects) {
    const [path, text] = objectEntry(root, o.kind, o.value as never);
    if (seen.has(path)) continue;
    seen.add(path);
    out.push([path, text]);
  }
  return out;
}
