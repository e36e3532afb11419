/**
 * A value the lock records as computed at preview equals what it is computed from.
 *
 * The resource policy must accept any value at a computed path once the engine knows it (at an
 * update the server's firewall ID is known from state), so on its own a literal written into
 * the program would pass there: another firewall, `ssh://root@<another host>` as the Docker
 * host. The lock records what each such value is made of (other resources' outputs and literal
 * text); the stack request carries every resource's outputs, so the value is rebuilt from them
 * and compared. A value still unknown (a first deploy's preview) has nothing to compare yet.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { reportAt, unproxied } from "./support/report";
import { lockOf, parseUrn } from "./support/stack-context";
import { describeSource, isUnknown, type ComputedSource, type OutputRef } from "../plan/view";

export const NAME = "governance-stack-computed-values-match-sources";

/** The value at a dotted path (`a.b[0]`) of plain (unwrapped) properties. */
export function valueAt(props: unknown, path: string): unknown {
  let v = props;
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (v === null || typeof v !== "object") return undefined;
    v = index !== undefined ? (v as unknown[])[Number(index)] : (v as Record<string, unknown>)[key];
  }
  return v;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly why: string };

/**
 * Whether `actual` is what `source` makes of the outputs `outputOf` finds. An output that is
 * missing or unknown while the value is known cannot be vouched for: refused.
 */
export function checkSource(source: ComputedSource, actual: unknown, outputOf: (ref: OutputRef) => unknown): Verdict {
  const values: string[] = [];
  for (const p of source.parts) {
    if (typeof p === "string") {
      values.push(p);
      continue;
    }
    const out = outputOf(p);
    if (out === undefined || out === null || isUnknown(out) || typeof out === "object")
      return { ok: false, why: `${p.urn.split("::").pop()}.${p.output} is not known, so the value cannot be checked` };
    values.push(String(out));
  }
  const expected = values.join("");
  if (source.number) return Number(expected) === actual ? { ok: true } : { ok: false, why: `must be ${expected}` };
  return expected === actual ? { ok: true } : { ok: false, why: `must be ${JSON.stringify(expected)}` };
}

function outputIn(byUrn: ReadonlyMap<string, PolicyResource>, ref: OutputRef): unknown {
  const r = byUrn.get(ref.urn);
  return r ? unproxied(r.props)[ref.output] : undefined;
}

export const governanceStackComputedSources: StackValidationPolicy = {
  name: NAME,
  description: "Values computed at preview (IDs, addresses) are, once known, exactly what the approved lock says they are computed from.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "The program sets a value the members approved as computed from another resource (an ID, an address) to something else. Revert it, or propose the change: `coop propose --stack <stack>`.",
  validateStack: (args, report) => {
    const byUrn = new Map(args.resources.map((r) => [r.urn, r]));
    const stacks = new Set(args.resources.map((r) => parseUrn(r.urn).stack));
    for (const stack of stacks) {
      const state = lockOf(stack);
      if (!("lock" in state)) continue; // the resource policy reports a missing or broken lock
      for (const entry of state.lock.resources) {
        const res = byUrn.get(entry.urn);
        if (!res || !entry.sources) continue; // a resource no longer declared: the deletions policy
        const props = unproxied(res.props);
        const lines: string[] = [];
        for (const [path, source] of Object.entries(entry.sources)) {
          const actual = valueAt(props, path);
          if (actual === undefined || isUnknown(actual)) continue;
          const verdict = checkSource(source, actual, (ref) => outputIn(byUrn, ref));
          // The actual value is not shown: it is whatever the program wrote, secrets included.
          if (!verdict.ok)
            lines.push(`  ${path}: approved as computed from ${describeSource(source)}; ${verdict.why}, but is another value`);
        }
        if (lines.length > 0)
          reportAt(
            report,
            "mandatory",
            `${entry.type} '${entry.name}' has values that are not what the approved lock computes them from:\n${lines.join("\n")}\npropose it: coop propose --stack ${stack}`,
            entry.urn,
          );
      }
    }
  },
};
