/**
 * A fresh ledger: for each stack, the plan rendered offline becomes the first approved state
 * (a genesis decision and its lock). Used by `coop init` (a co-op that forked the repository)
 * and by scripts/regenerate-example-ledger.ts (the example co-op's bundled ledger).
 */
import { join } from "node:path";
import { lockFromView, lockPath, renderLock, type Lock } from "../../plan/lock";
import { buildView, ReservedMarkerError, type DesiredStateView } from "../../plan/view";
import { DECISION_HEADER, decisionFile, decisionToJson, type Decision } from "../../rulebook/records/decision";
import { renderLedgerYamlChecked } from "../../rulebook/ledger/ledger-yaml";
import type { Rules } from "../../rulebook/records/rules";
import { rulesDigest } from "../../rulebook/records/rules";
import { InputError } from "../../kernel/errors";
import type { StackSpec } from "../../stacks/schema";
import { runProgramOffline } from "../offline/run-program";
import { validated } from "./record";

export interface GenesisInput {
  readonly project: string;
  readonly coopName: string;
  readonly rules: Rules;
  readonly stacks: ReadonlyArray<{ readonly stack: string; readonly spec: StackSpec }>;
  readonly at: string;
  readonly note: (stack: string) => string;
}

export interface GenesisEntry {
  readonly stack: string;
  readonly view: DesiredStateView;
  readonly lock: Lock;
  readonly decision: Decision;
}

export function genesisId(stack: string): string {
  return `${stack}-0001-genesis`;
}

/** Renders every stack offline, one after the other (the Pulumi runtime is process-global). */
export async function planGenesis(input: GenesisInput): Promise<GenesisEntry[]> {
  const out: GenesisEntry[] = [];
  for (const { stack, spec } of input.stacks) {
    const run = await runProgramOffline({ project: input.project, stack, spec });
    let view: DesiredStateView;
    try {
      view = buildView(input.project, stack, run.resources, run.secretPlaceholders);
    } catch (e) {
      if (e instanceof ReservedMarkerError) throw new InputError(`stack ${stack}: ${e.message}`);
      throw e;
    }
    const lock = lockFromView(view);
    const decision: Decision = validated({
      kind: "genesis",
      version: 1,
      id: genesisId(stack),
      project: input.project,
      decidedAt: input.at,
      recordedAt: input.at,
      summary: `First approved state of stack ${stack} of ${input.coopName}.`,
      rulesSha256: rulesDigest(input.rules),
      requires: input.rules.signatures.genesis,
      signatures: [],
      stack,
      digest: lock.digest,
      previous: null,
      replaces: null,
      note: input.note(stack),
    });
    out.push({ stack, view, lock, decision });
  }
  return out;
}

/** [absolute path, text] for each genesis decision and lock. */
export function genesisFiles(root: string, entries: readonly GenesisEntry[]): Array<[string, string]> {
  return entries.flatMap(
    (e): Array<[string, string]> => [
      [join(root, decisionFile(e.decision.id)), renderLedgerYamlChecked(decisionToJson(e.decision), DECISION_HEADER)],
      [lockPath(root, e.stack), renderLock(e.lock)],
    ],
  );
}
