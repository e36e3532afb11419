import { join } from "node:path";
import { CheckFailed, formatProblem, InputError } from "../../kernel/errors";
import { writeFileAtomic } from "../../kernel/fs-atomic";
import type { JsonObject } from "../../kernel/json";
import { closest } from "../../kernel/yaml-file";
import {
  type Decision,
  DecisionSchema,
  formatFinding,
  judgeSignatures,
  type L,
  processOf,
  renderRecord,
  signaturePayload,
} from "../../rulebook";
import type { Command } from "../context";
import { stringFlag } from "../context";
import { loadLedger } from "../../rulebook/ledger/load";
import { publicKeyOf, signWithSshKeygen } from "../ledger/ssh-sign";

export const command: Command = {
  name: "sign",
  summary: "sign a decision with your SSH key (ssh-keygen -Y sign), adding your signature to its record",
  usage: `usage: coop sign DECISION --key PATH [--json]

Signs governance/decisions/<DECISION>.json with your SSH key: ssh-keygen -Y sign, namespace
coop-infra-decision, over the canonical JSON of the record without its signatures. The key must
be yours in the members list in force at the decision's place in the ledger, and you must hold a
role the decision's process needs (or it is your own key rotation). coop refuses to sign a record
whose other signatures no longer verify: it was changed after they signed (restore it from git).
A signature the rulebook would not count (a key of no member, a member who left or lacks the
role) is refused with the finding coop verify would report, and nothing is written. Signing
twice with the same key changes nothing.

  DECISION     the decision's id (or its file path)
  --key PATH   your private key, e.g. ~/.ssh/id_ed25519 (or its .pub file when the key is in ssh-agent)
  --json       print {decision, member, fingerprint, signatures:{valid, required}, complete}`,
  options: { key: { type: "string" } },
  positionals: true,
  async run(ctx) {
    const arg = ctx.positionals[0];
    if (!arg || ctx.positionals.length > 1)
      throw new InputError("coop sign takes one decision id", "e.g. coop sign example-0002-change --key ~/.ssh/id_ed25519");
    const keyPath = stringFlag(ctx, "key");
    if (!keyPath) throw new InputError("--key is required", "pass your private key, e.g. --key ~/.ssh/id_ed25519");
    const id = arg.replace(/^.*\//, "").replace(/\.json$/, "");
    const ledger = loadLedger(ctx.root);
    const loaded = ledger.byId.get(id) as L<Decision> | undefined;
    if (!loaded) {
      const broken = ledger.problems.filter((p) => p.file.endsWith(`/${id}.json`));
      if (broken.length)
        throw new CheckFailed(
          `the decision ${id} cannot be read:\n${broken.map((p) => `  ${formatProblem(p)}`).join("\n")}`,
          `restore it from git (git restore governance/decisions/${id}.json)`,
        );
      const guess = closest(id, [...ledger.byId.keys()]);
      throw new InputError(`there is no decision '${id}'`, guess ? `did you mean ${guess}?` : "coop verify lists the decisions");
    }
    const p = processOf(ledger, loaded);
    if (!("ok" in p))
      throw new CheckFailed(
        `the decision ${id} cannot be judged: ${p.findings[0]?.message ?? "its place in the ledger is unknown"}`,
        p.findings[0]?.remediation ?? "coop verify shows why",
      );
    const process = p.ok;
    const before = judgeSignatures(loaded, process.version.members, process.requirement, process.label, process.mustSign);
    const tampered = before.findings.filter((f) => f.code === "signature-invalid" || f.code === "signature-member-mismatch");
    if (tampered.length) {
      throw new CheckFailed(
        `${id} was changed after it was signed: coop does not add a signature to it\n${tampered.map((f) => `  ${formatFinding(f)}`).join("\n")}\nNothing was written.`,
        `restore it from git (git restore ${loaded.file}); if the record itself is wrong, the members decide again instead of anyone signing over it`,
      );
    }
    const key = publicKeyOf(keyPath);
    const owner = process.version.members.keys.get(key.id)?.member;
    const already = owner !== undefined && before.validBy.includes(owner.name);
    let record: Decision = loaded.decision;
    if (!already) {
      const signature = signWithSshKeygen(keyPath, signaturePayload(record), key);
      // A key of nobody in force signs under a placeholder name: the rulebook then says why it does not count.
      const name = owner?.name ?? "nobody";
      record = {
        ...record,
        signatures: [...record.signatures.filter((s) => s.member !== name), { member: name, signature }],
      } as Decision;
      // The rulebook judges the new signature exactly as coop verify will; coop writes it only if it counts.
      const field = `signatures[${record.signatures.length - 1}]`;
      const judged = judgeSignatures(
        { ...loaded, decision: record },
        process.version.members,
        process.requirement,
        process.label,
        process.mustSign,
      );
      const own = judged.findings.filter((f) => f.field === field);
      if (own.length) {
        const Refusal = own.some((f) => f.code === "signature-non-member") ? InputError : CheckFailed;
        throw new Refusal(
          `coop does not add this signature to ${id}: it would not count\n${own.map((f) => `  ${formatFinding(f)}`).join("\n")}\nNothing was written.`,
          own[0].remediation,
        );
      }
      if (!DecisionSchema.safeParse(record).success) throw new Error("coop built an invalid record while signing");
      writeFileAtomic(join(ctx.root, loaded.file), renderRecord(record as unknown as JsonObject));
    }
    // Unreachable without an owner: the rulebook refused a key of nobody above.
    if (!owner) throw new Error("coop bug: a signature by no member was not refused");
    const signer = owner;
    const after = judgeSignatures(
      { ...loaded, decision: record },
      process.version.members,
      process.requirement,
      process.label,
      process.mustSign,
    );
    const complete = after.satisfied && process.mustSign.every((n) => after.validBy.includes(n));
    if (ctx.json) {
      ctx.io.json({
        decision: id,
        member: signer.name,
        fingerprint: key.fingerprint,
        alreadySigned: already,
        signatures: { valid: after.signers.length, required: process.requirement.count, roles: process.requirement.roles },
        complete,
      });
      return 0;
    }
    ctx.io.out(
      already ? `${id} is already signed by ${signer.name} (${key.fingerprint}).` : `Signed ${id} as ${signer.name} (${key.fingerprint}).`,
    );
    ctx.io.out(
      complete
        ? `It has ${after.signers.length} of the ${process.requirement.count} signature${process.requirement.count === 1 ? "" : "s"} it needs: the decision counts. Commit it: git add governance && git commit`
        : `It has ${after.signers.length} of ${process.requirement.count} signatures by ${process.requirement.roles.join(" or ")}${process.mustSign.length ? ` (and needs ${process.mustSign.join(", ")}'s own)` : ""}; it counts once they are there.`,
    );
    return 0;
  },
};
