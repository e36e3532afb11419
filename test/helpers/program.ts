/**
 * Running the real program under Pulumi's mock runtime for tests, from a spec given inline.
 */
import { runProgramOffline, type OfflineRun, type RegisteredResource } from "../../cli/offline/run-program";
import { buildView, type DesiredStateView, type GovernedResource } from "../../plan/view";
import { StackSpecSchema, type StackSpec, type StackSpecInput } from "../../stacks/schema";
import { loadStackSpec } from "../../stacks/load";
import { REPO_ROOT } from "./repo";

export const PROJECT = "coop-infra";

export interface TestPlan {
  readonly spec: StackSpec;
  readonly run: OfflineRun;
  readonly view: DesiredStateView;
}

export async function planSpec(input: StackSpecInput | StackSpec, stack = "test"): Promise<TestPlan> {
  const spec = StackSpecSchema.parse(input);
  const run = await runProgramOffline({ project: PROJECT, stack, spec });
  return { spec, run, view: buildView(PROJECT, stack, run.resources, run.secretPlaceholders) };
}

/** The bundled example spec (stacks/<stack>.yaml), parsed. */
export function bundledSpec(stack: "example" | "local" | string): StackSpec {
  return loadStackSpec(REPO_ROOT, stack).spec;
}

export function byName(resources: readonly RegisteredResource[], name: string): RegisteredResource {
  const r = resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}; have: ${resources.map((x) => x.name).join(", ")}`);
  return r;
}

export function governed(view: DesiredStateView, name: string): GovernedResource {
  const r = view.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no governed resource named ${name}`);
  return r;
}

export function ofType(resources: readonly RegisteredResource[], type: string): RegisteredResource[] {
  return resources.filter((r) => r.type === type);
}
