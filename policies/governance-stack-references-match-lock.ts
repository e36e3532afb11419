/**
 * The stacks a stack reads are the ones the members approved.
 *
 * A StackReference is a read, not a registration: the engine never sends it to Analyze, so the
 * resource policy cannot see it, and the values read from it (a mail stack's SMTP password) are
 * secret or unknown at preview. Pointing a service stack at another "mail stack" would change no
 * governed input. The lock records every reference and the stack it names; the stack request
 * carries each reference with its `name` output, compared here.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { STACK_REFERENCE_TYPE } from "../kernel/pulumi-wire";
import type { Lock } from "../plan/lock";
import { reportAt, unproxied } from "./support/report";
import { lockOf, parseUrn } from "./support/stack-context";

export const NAME = "governance-stack-references-match-lock";

/** What is wrong with one reference against the approved lock, if anything. */
export function referenceProblem(lock: Lock, urn: string, reads: unknown): string | undefined {
  const approved = lock.resources.find((r) => r.urn === urn);
  const name = parseUrn(urn).name;
  if (!approved || approved.type !== STACK_REFERENCE_TYPE)
    return `the program reads stack '${String(reads)}' through StackReference '${name}', which the approved state does not read`;
  if (approved.inputs.name !== reads)
    return `StackReference '${name}' reads stack '${String(reads)}', but the members approved reading '${String(approved.inputs.name)}'`;
  return undefined;
}

export const governanceStackReferencesMatchLock: StackValidationPolicy = {
  name: NAME,
  description: "Every StackReference reads the stack the approved lock names.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Restore services.mail.fromStack (or the reference) in the spec, or propose the change (`coop propose --stack <stack>`) and record the decision (`coop decide`).",
  validateStack: (args, report) => {
    for (const r of args.resources as PolicyResource[]) {
      if (r.type !== STACK_REFERENCE_TYPE) continue;
      const state = lockOf(parseUrn(r.urn).stack);
      if (!("lock" in state)) continue; // the resource policy reports a missing or broken lock
      const problem = referenceProblem(state.lock, r.urn, (unproxied(r.props) as { name?: unknown }).name);
      if (problem) reportAt(report, "mandatory", problem, r.urn);
    }
  },
};
