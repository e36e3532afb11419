import { join } from "node:path";
import { loadGovernance, reliedOn, type LoadedDecision } from "../../rulebook";
import { DecisionSchema, signaturePayload } from "../../rulebook/records/decision";
import { checkSignatures, requirementFor, sameRequirement } from "../../rulebook/signatures/signatures";
import type { SignatureRequirement } from "../../rulebook/records/rules";
import { formatProblem, InputError } from "../../kernel/errors";
import { writeFileAtomic } from "../../kernel/fs-atomic";
import { closest } from "../../kernel/yaml-file";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { renderDecision, requireSound, signerFor } from "../ledger/record";
import { signWithSshKeygen } from "../ledger/ssh-sign";
import type { JsonObject } from "../../kernel/json";

export const command: Command = {
  name: "sign",
  summary: "sign a decision with your SSH key (ssh-keygen -Y sign), adding your signature to its record",
  usage: `usage: coop sign DECISION --key PATH [--json]

Signs governance/decisions/<DECISION>.yaml with your SSH key: ssh-keygen -Y sign, namespace
coop-infra-decision, over the canonical JSON of the record without its signatures. The key
must be yours in governance/members.yaml, and you must hold a role the decision needs.
Signing twice with the same key changes nothing.

  DECISION     the decision's id (or its file path)
  --key PATH   your private key, e.g. ~/.ssh/id_ed25519 (or its .pub file when the key is in ssh-agent)
  --json       print {decision, member, fingerprint, signatures:{valid, required}, counts}`,
  options: { key: { type: "string" } },
  positionals: true,
  async run(ctx) {
    const arg = ctx.positionals[0];
    if (!arg || ctx.positionals.length > 1)
      throw new InputError("coop sign takes one decision id", "e.g. coop sign example-0002-change --key ~/.ssh/id_ed25519");
    const keyPath = stringFlag(ctx, "key");
    if (!keyPath) throw new InputError("--key is required", "pass your private key, e.g. --key ~/.ssh/id_ed25519");
    const id = arg.replace(/^.*\//, "").replace(/\.yaml$/, "");
    const gov = loadGovernance(ctx.root);
    requireSound(gov);
    const loaded = gov.byId.get(id);
    if (!loaded) {
      const broken = gov.problems.filter((p) => p.file.endsWith(`/${id}.yaml`));
      if (broken.length)
        throw new InputError(
          `the decision ${id} cannot be read:\n${broken.map((p) => `  ${formatProblem(p)}`).join("\n")}`,
          "restore it from git",
        );
      const guess = closest(id, [...gov.byId.keys()]);
      throw new InputError(`there is no decision '${id}'`, guess ? `did you mean ${guess}?` : "coop verify lists the decisions");
    }
    const requirements = requirementsToSign(gov, loaded);
    const signer = requirements.map((r) => signerFor(gov, keyPath, r))[0];
    const existing = loaded.decision.signatures.findIndex((s) => s.member === signer.member.name);
    if (existing >= 0 && requirements.every((r) => checkSignatures(gov, loaded, r, "").signers.includes(signer.member.name))) {
      return report(ctx, loaded, signer.member.name, signer.key.fingerprint, requirements, loaded.decision.signatures.length, true);
    }
    const signature = signWithSshKeygen(keyPath, signaturePayload(loaded.raw), signer.key);
    // Keep the record byte for byte; only the signatures change (a stale signature by this member is replaced).
    const kept = (loaded.raw.signatures as JsonObject[]).filter((s) => s.member !== signer.member.name);
    const raw: JsonObject = { ...loaded.raw, signatures: [...kept, { member: signer.member.name, signature }] };
    const parsed = DecisionSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`coop built an invalid record while signing: ${parsed.error.issues[0]?.message}`);
    writeFileAtomic(join(ctx.root, loaded.file), renderDecision(raw));
    return report(
      ctx,
      { ...loaded, raw, decision: parsed.data },
      signer.member.name,
      signer.key.fingerprint,
      requirements,
      (raw.signatures as unknown[]).length,
      false,
    );
  },
};

/**
 * What a new signature must satisfy: the record's own requirement and, for a decision an
 * approved state rests on, today's rules too (verify and the gate check both).
 */
function requirementsToSign(
  gov: ReturnType<typeof loadGovernance> & { rules: NonNullable<ReturnType<typeof loadGovernance>["rules"]> },
  d: LoadedDecision,
): SignatureRequirement[] {
  const own = d.decision.requires;
  const current = requirementFor(gov.rules, d.decision);
  if (!current || sameRequirement(current, own) || !reliedOn(gov).has(d.id)) return [own];
  return [own, current];
}

function report(
  ctx: Parameters<typeof command.run>[0],
  d: LoadedDecision,
  member: string,
  fingerprint: string,
  reqs: SignatureRequirement[],
  count: number,
  already: boolean,
): number {
  const gov = loadGovernance(ctx.root);
  const fresh = gov.byId.get(d.id) ?? d;
  const checks = reqs.map((r) => checkSignatures(gov, fresh, r, "the rules"));
  // Shown as one requirement: the larger count, the roles of the rules in force.
  const req: SignatureRequirement = { count: Math.max(...reqs.map((r) => r.count)), roles: reqs[reqs.length - 1].roles };
  const check = { satisfied: checks.every((c) => c.satisfied) };
  const valid = Math.min(...checks.map((c) => c.signers.length));
  if (ctx.json) {
    ctx.io.json({
      decision: d.id,
      member,
      fingerprint,
      alreadySigned: already,
      signatures: { valid, total: count, required: req.count, roles: req.roles },
      complete: check.satisfied,
    });
    return 0;
  }
  ctx.io.out(already ? `${d.id} is already signed by ${member} (${fingerprint}).` : `Signed ${d.id} as ${member} (${fingerprint}).`);
  ctx.io.out(
    check.satisfied
      ? `It has ${valid} of the ${req.count} signature${req.count === 1 ? "" : "s"} it needs: the decision counts. Commit it: git add governance && git commit`
      : `It has ${valid} of ${req.count} signatures by ${req.roles.join(" or ")}; ${Math.max(1, req.count - valid)} more needed before it counts.`,
  );
  return 0;
}
