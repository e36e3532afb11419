/**
 * The versions in force at each place of the governance chain: after an entry, the bylaws, the
 * members list and the code it names (read from the stored objects, checked by digest). A stack
 * decision is judged by the version after its `under` entry; a governance entry by the version
 * after the entry it follows (the founding by its own).
 */
import type { Finding } from "../findings";
import type { Ledger, LoadedDecision } from "../ledger/load";
import { ObjectProblem, objectFile, type ObjectKind, type ObjectTypes } from "../ledger/objects";
import type { GovernanceDecision, FoundingDecision } from "../records/decision";
import type { Rules } from "../records/rules";
import { membersVersion, type MembersVersion } from "../signatures/signatures";
import { governanceChain, type L } from "./chains";
import { base } from "./common";

export interface Version {
  readonly entry: L<GovernanceDecision>;
  readonly rules: Rules;
  readonly rulesDigest: string;
  readonly members: MembersVersion;
  readonly code: string;
}

export type Resolved<T> = { readonly ok: T } | { readonly findings: Finding[] };

/** Reads a stored object, turning a problem into a finding at `d`. */
export function objectFor<K extends ObjectKind>(
  ledger: Ledger,
  d: LoadedDecision,
  kind: K,
  digest: string,
  field: string,
): Resolved<ObjectTypes[K]> {
  try {
    return { ok: ledger.objects.get(kind, digest) };
  } catch (e) {
    const p = e instanceof ObjectProblem ? e : new ObjectProblem(objectFile(kind, digest), false, String(e));
    return {
      findings: [
        {
          ...base(d),
          field,
          code: p.missing ? "object-missing" : "object-invalid",
          level: "error",
          message: `${p.file} ${p.message}`,
          remediation: `the ledger stores every version a decision names; restore governance/objects from git (git restore ${OBJECTS_HINT})`,
        },
      ],
    };
  }
}

const OBJECTS_HINT = "governance/objects";

const cache = new WeakMap<Ledger, Map<string, Resolved<Version>>>();

/** The version after governance entry `id`. */
export function versionAfter(ledger: Ledger, id: string): Resolved<Version> {
  let per = cache.get(ledger);
  if (!per) {
    per = new Map();
    cache.set(ledger, per);
  }
  const hit = per.get(id);
  if (hit) return hit;
  const entry = ledger.byId.get(id) as L<GovernanceDecision> | undefined;
  let out: Resolved<Version>;
  if (!entry || !["founding", "bylaws", "members", "code", "standing"].includes(entry.decision.kind)) {
    out = { findings: [] };
  } else {
    const rules = objectFor(ledger, entry, "rules", entry.decision.rules, "rules");
    const members = objectFor(ledger, entry, "members", entry.decision.members, "members");
    const findings = [...("findings" in rules ? rules.findings : []), ...("findings" in members ? members.findings : [])];
    out =
      "ok" in rules && "ok" in members
        ? {
            ok: {
              entry,
              rules: rules.ok,
              rulesDigest: entry.decision.rules,
              members: membersVersion(entry.decision.members, members.ok),
              code: entry.decision.code,
            },
          }
        : { findings };
  }
  per.set(id, out);
  return out;
}

/** The founding of the ledger (the governance chain's first entry), if the chain has one. */
export function founding(ledger: Ledger): L<FoundingDecision> | undefined {
  const first = governanceChain(ledger).order[0];
  return first?.decision.kind === "founding" ? (first as L<FoundingDecision>) : undefined;
}

/** The version in force at the head of the governance chain: what judges anything new. */
export function currentVersion(ledger: Ledger): Resolved<Version> | undefined {
  const head = governanceChain(ledger).head;
  return head ? versionAfter(ledger, head.id) : undefined;
}
