/**
 * What a governance command is about: a stack's infrastructure (the default, --stack NAME), the
 * bylaws (--bylaws), the members list (--members), the code (--code) or a standing decision
 * (--standing). Exactly one.
 */
import { InputError } from "../../kernel/errors";
import { closest } from "../../kernel/yaml-file";
import type { ChangeClass, StandingTerms } from "../../rulebook";
import { listStacks } from "../../stacks/load";
import type { Context } from "../context";
import { stringFlag } from "../context";
import type { Subject } from "../ledger/drafts";
import type { SoundLedger } from "../ledger/record";

export type AnySubject = Subject | "stack" | "standing";

export function subjectOf(ctx: Context, allowed: readonly AnySubject[] = ["stack", "bylaws", "members", "code", "standing"]): AnySubject {
  const flags = (["bylaws", "members", "code", "standing"] as const).filter((f) => ctx.values[f] === true);
  if (flags.length > 1)
    throw new InputError(
      `--${flags[0]} and --${flags[1]} exclude each other`,
      "one decision is about one thing; record them one after the other",
    );
  if (flags.length === 1 && stringFlag(ctx, "stack"))
    throw new InputError(`--stack and --${flags[0]} exclude each other`, "one decision is about one thing");
  const subject: AnySubject = flags[0] ?? "stack";
  if (!allowed.includes(subject)) throw new InputError(`this command does not take --${subject}`, "see its --help");
  return subject;
}

/** Reads --classes/--stacks/--until for a standing decision and checks them against the bylaws. */
export function standingTermsFromFlags(ctx: Context, ledger: SoundLedger): StandingTerms {
  const raw = stringFlag(ctx, "classes");
  const allowed = Object.keys(ledger.inForce.rules.standing.classes);
  if (!raw)
    throw new InputError(
      "--standing needs --classes",
      allowed.length ? `e.g. --classes ${allowed[0]}` : "the bylaws define no routine class (standing.classes)",
    );
  const classes = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const c of classes) {
    if (!allowed.includes(c)) {
      const guess = closest(c, allowed);
      throw new InputError(
        `the bylaws allow no standing decision for change class '${c}'`,
        allowed.length
          ? `${guess ? `did you mean '${guess}'? ` : ""}classes in governance/rules.yaml: ${allowed.join(", ")}`
          : "add it under standing.classes in governance/rules.yaml first (a bylaws change)",
      );
    }
  }
  const stacks = (stringFlag(ctx, "stacks") ?? "*")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const known = listStacks(ctx.root);
  for (const s of stacks)
    if (s !== "*" && !known.includes(s)) throw new InputError(`there is no stack '${s}'`, `stacks here: ${known.join(", ")}`);
  const untilText = stringFlag(ctx, "until");
  let until: string | null = null;
  if (untilText) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(untilText) || Number.isNaN(Date.parse(`${untilText}T00:00:00Z`)))
      throw new InputError(`--until must be a date such as 2027-01-31, got '${untilText}'`);
    until = `${untilText}T00:00:00.000Z`;
  }
  return {
    classes: [...new Set(classes)].sort() as ChangeClass[],
    stacks: stacks.includes("*") ? ["*"] : [...new Set(stacks)].sort(),
    until,
  };
}
