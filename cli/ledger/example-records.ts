/**
 * Which records of a ledger are the bundled example's and which are a co-op's own, so that
 * `coop init` replaces the first without a word and never discards the second unasked.
 *
 * The example's records are recognised by who signed them, not by their names (a fork's own
 * founding is also `governance-0001-founding`) nor by their digests (the example re-approves its
 * code with every upstream commit): a founding or genesis whose every signature verifies and was
 * made with one of the example co-op's published keys. A co-op's own records are signed with
 * its members' keys — or not yet signed at all, right after `coop init` — and a record that does
 * not parse, or carries a signature that does not verify, is treated as the co-op's own too:
 * when in doubt, nothing is discarded without asking.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type Decision, readDecisionFile, signaturePayload, verifySshsig } from "../../rulebook";
import { DECISION_SUFFIX, DECISIONS_DIR } from "../../rulebook/records/decision";
import { EXAMPLE_KEY_FINGERPRINTS } from "../../stacks/readiness";

export interface LedgerOwnership {
  /** Repository-relative files of records the bundled example made. */
  readonly example: string[];
  /** Repository-relative files that are (or may be) the co-op's own record. */
  readonly own: string[];
}

/** Whether a parsed record is one the bundled example co-op made. */
export function isExampleRecord(d: Decision): boolean {
  if (d.kind !== "founding" && d.kind !== "genesis") return false;
  if (d.signatures.length === 0) return false;
  const payload = signaturePayload(d);
  return d.signatures.every((s) => {
    const v = verifySshsig(s.signature, payload);
    return v.ok && EXAMPLE_KEY_FINGERPRINTS[v.key.fingerprint] !== undefined;
  });
}

/** Sorts every file of governance/decisions into the example's and the co-op's own. */
export function ledgerOwnership(root: string): LedgerOwnership {
  let names: string[];
  try {
    names = readdirSync(join(root, DECISIONS_DIR)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { example: [], own: [] };
    throw e;
  }
  const example: string[] = [];
  const own: string[] = [];
  for (const name of names) {
    const file = `${DECISIONS_DIR}/${name}`;
    const read = name.endsWith(DECISION_SUFFIX) ? readDecisionFile(root, name) : undefined;
    if (read && "loaded" in read && isExampleRecord(read.loaded.decision)) example.push(file);
    else own.push(file);
  }
  return { example, own };
}
