/**
 * Container environment entries that look like secrets carry Pulumi secrets (generated or set
 * with `pulumi config set --secret`), never a plaintext value written into the program or the
 * spec, where it would land in the repository, the lock and every log.
 *
 * Judged by provenance, not by the secret wrapper: the engine wraps the whole `envs` list as
 * one secret as soon as one entry is secret, so the wrapper says nothing about a single entry.
 * The approved lock does: the plan masks exactly the values that come from a secret, so a
 * secret-looking entry must be masked there (`NAME=<secret>` or `NAME=<generated-secret>`).
 * An entry the lock shows in clear was a literal when the members approved it.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { rawInputsOf } from "./engine-tap";
import { GENERATED, SECRET, isUnknown, isWireSecret } from "../plan/view";
import type { Json } from "../kernel/json";
import { forType, reportAt } from "./support/report";
import { looksSecret } from "./support/secret-names";
import { lockOf, parseUrn } from "./support/stack-context";

export const NAME = "docker-container-env-secrets-not-plaintext";

/** The approved `envs` of the container, if its stack's lock can be read and lists it. */
function approvedEnvs(urn: string): Json[] | undefined {
  const state = lockOf(parseUrn(urn).stack);
  if (!("lock" in state)) return undefined;
  const envs = state.lock.resources.find((r) => r.urn === urn)?.inputs.envs;
  return Array.isArray(envs) ? envs : undefined;
}

/** The name of a `NAME=value` entry, if it is one. */
function nameOf(entry: unknown): string | undefined {
  if (typeof entry !== "string") return undefined;
  const eq = entry.indexOf("=");
  return eq > 0 ? entry.slice(0, eq) : undefined;
}

/**
 * The approved counterpart of the proposed entry at `index`: the lock's entry at the same
 * place if it has the same name, else the only approved entry of that name when the proposal
 * has only one too. A second entry of a name (Docker keeps the last) has no counterpart.
 */
export function approvedEntry(
  approved: readonly Json[],
  proposedNames: readonly (string | undefined)[],
  index: number,
): string | undefined {
  const name = proposedNames[index];
  if (name === undefined) return undefined;
  const same = approved[index];
  if (nameOf(same) === name) return same as string;
  const named = approved.filter((e) => nameOf(e) === name);
  return named.length === 1 && proposedNames.filter((n) => n === name).length === 1 ? (named[0] as string) : undefined;
}

/** Whether an approved entry's value is masked, i.e. came from a secret when the members approved it. */
export function isMaskedEntry(entry: string): boolean {
  const value = entry.slice(entry.indexOf("=") + 1);
  return value.includes(SECRET) || value.includes(GENERATED);
}

export interface EntrySeen {
  readonly index: number;
  readonly name: string;
  /** Whether a secret wrapper sits on the entry or on the whole list. */
  readonly wrapped: boolean;
}

/** Secret-looking `NAME=value` entries with a value, as the engine sent them; `names` has every entry's name. */
export function secretLookingEntries(envs: unknown): { names: (string | undefined)[]; entries: EntrySeen[] } {
  const list = isWireSecret(envs) ? envs.value : envs;
  if (!Array.isArray(list)) return { names: [], entries: [] };
  const names: (string | undefined)[] = [];
  const entries: EntrySeen[] = [];
  list.forEach((item, index) => {
    const wrapped = isWireSecret(item);
    const entry = wrapped ? item.value : item;
    const name = isUnknown(entry) ? undefined : nameOf(entry);
    names.push(name);
    if (name !== undefined && (entry as string).length > name.length + 1 && looksSecret(name))
      entries.push({ index, name, wrapped: wrapped || isWireSecret(envs) });
  });
  return { names, entries };
}

export const dockerContainerEnvSecretsNotPlaintext: ResourceValidationPolicy = {
  name: NAME,
  description: "Secret-looking container environment entries (passwords, keys, tokens) are Pulumi secrets, not plaintext.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Generate the value in the component (@pulumi/random, @pulumi/tls) or read it with `pulumi config set --secret coop-infra:<key>` (stacks/config.ts); never write it into the spec or the code. Check with `coop gate --stack <stack>`, then `coop propose --stack <stack> --post`.",
  validateResource: forType("docker:index/container:Container", (args, report) => {
    if (args.type !== "docker:index/container:Container") return;
    const { names, entries } = secretLookingEntries(rawInputsOf(args.urn)?.envs);
    if (entries.length === 0) return;
    const approved = approvedEnvs(args.urn);
    for (const { index, name, wrapped } of entries) {
      // With a lock, only an entry it records masked came from a secret; a new one is not known
      // to (a decision will show it). Without one (the lock policy refuses the resource anyway)
      // only the wrapper is left to judge by.
      const entry = approved ? approvedEntry(approved, names, index) : undefined;
      const plaintext = approved ? entry === undefined || !isMaskedEntry(entry) : !wrapped;
      if (plaintext)
        reportAt(
          report,
          "mandatory",
          `${args.name} sets ${name} to a plaintext value; it must come from a generated or config secret${approved && entry === undefined ? " (the approved lock records no secret for this entry)" : ""}`,
          args.urn,
        );
    }
  }),
};
