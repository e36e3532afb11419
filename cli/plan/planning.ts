/**
 * The plan every governance command starts from: the spec validated, the program run offline,
 * the desired-state view and its digest, and the change from the approved lock.
 */
import { readLock, lockFile, type Lock } from "../../plan/lock";
import { diffResources, type Change } from "../../plan/diff";
import { ReservedMarkerError, buildView, viewDigest, type DesiredStateView } from "../../plan/view";
import { CoopError, InputError } from "../../kernel/errors";
import { loadStackSpec } from "../../stacks/load";
import { readProjectName } from "../../kernel/repo";
import type { StackSpec } from "../../stacks/schema";
import type { YamlEdit } from "../../kernel/yaml-file";
import { runProgramOffline, type OfflineRun } from "../offline/run-program";

export interface Plan {
  readonly stack: string;
  readonly specFile: string;
  readonly spec: StackSpec;
  readonly run: OfflineRun;
  readonly view: DesiredStateView;
  readonly digest: string;
  /** The approved lock, if the stack has one and it could be read. */
  readonly lock?: Lock;
  /** Why the lock could not be read (edited by hand, broken JSON); commands decide whether that stops them. */
  readonly lockError?: CoopError;
  readonly lockFile: string;
  /** The change from the lock (every resource a create when there is none). */
  readonly changes: Change[];
}

export async function makePlan(root: string, stack: string, edits: readonly YamlEdit[] = []): Promise<Plan> {
  const { spec, file } = loadStackSpec(root, stack, edits);
  const project = readProjectName(root);
  const run = await runProgramOffline({ project, stack, spec });
  let view: DesiredStateView;
  try {
    view = buildView(project, stack, run.resources, run.secretPlaceholders);
  } catch (e) {
    if (e instanceof ReservedMarkerError)
      throw new InputError(e.message, "use another value; the markers stand for masked secrets and computed values");
    throw e;
  }
  let lock: Lock | undefined;
  let lockError: CoopError | undefined;
  try {
    lock = readLock(root, stack);
  } catch (e) {
    if (!(e instanceof CoopError)) throw e;
    lockError = e;
  }
  return {
    stack,
    specFile: file,
    spec,
    run,
    view,
    digest: viewDigest(view),
    lock,
    lockError,
    lockFile: lockFile(stack),
    changes: diffResources(lock?.resources ?? [], view.resources),
  };
}

/** Only the offline run of the program (what the gate needs; the pack compares it with the lock itself). */
export async function runOffline(root: string, stack: string, edits: readonly YamlEdit[] = []): Promise<OfflineRun> {
  const { spec } = loadStackSpec(root, stack, edits);
  return runProgramOffline({ project: readProjectName(root), stack, spec, twin: false });
}
