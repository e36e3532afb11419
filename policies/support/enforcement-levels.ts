/**
 * Enforcement levels by name (as policies and `--policy-pack-config` write them, @pulumi/policy's
 * EnforcementLevel) and by number (as the analyzer protocol carries them, pulumirpc's
 * EnforcementLevel enum): the one mapping between the two, for the pack's engine tap and the gate.
 */
import type { EnforcementLevel } from "@pulumi/policy";
import { sdkProtos } from "../../kernel/sdk-internals";

const analyzerPb = sdkProtos().analyzer;

export type { EnforcementLevel };

const NUMBERS: Readonly<Record<EnforcementLevel, number>> = {
  advisory: analyzerPb.EnforcementLevel.ADVISORY,
  mandatory: analyzerPb.EnforcementLevel.MANDATORY,
  remediate: analyzerPb.EnforcementLevel.REMEDIATE,
  disabled: analyzerPb.EnforcementLevel.DISABLED,
};

/** Every level, in the order messages list them. */
export const ENFORCEMENT_LEVELS = Object.keys(NUMBERS) as readonly EnforcementLevel[];

const NAMES: ReadonlyMap<number, EnforcementLevel> = new Map(ENFORCEMENT_LEVELS.map((l) => [NUMBERS[l], l]));

export function isEnforcementLevel(v: unknown): v is EnforcementLevel {
  return typeof v === "string" && Object.hasOwn(NUMBERS, v);
}

/** The protocol's number for a level. */
export function levelNumber(level: EnforcementLevel): number {
  return NUMBERS[level];
}

/** The level a protocol number stands for; undefined for a number the protocol does not define. */
export function levelOfNumber(n: number): EnforcementLevel | undefined {
  return NAMES.get(n);
}
