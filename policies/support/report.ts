/**
 * Reporting a violation at a fixed enforcement level. Governance violations are reported as
 * mandatory whatever the pack's config says: @pulumi/policy honours a level given with the
 * violation over the configured one, so config cannot quietly turn them into warnings.
 */
import type { EnforcementLevel, ReportViolation, ResourceValidation } from "@pulumi/policy";

type Level = Extract<EnforcementLevel, "mandatory" | "advisory">;

export function reportAt(report: ReportViolation, level: Level, message: string, urn?: string): void {
  (report as unknown as (v: { message: string; enforcementLevel: Level; urn?: string }) => void)({ message, enforcementLevel: level, urn });
}

/** The inputs as the engine sent them, bypassing the SDK's unknown-checking proxy. */
export function unproxied(props: Record<string, unknown>): Record<string, unknown> {
  const target = (props as Record<string, unknown>).__getSpecialProxyTarget;
  return (target && typeof target === "object" ? target : props) as Record<string, unknown>;
}

/**
 * A resource validation that @pulumi/policy runs only for resources of `type`: the SDK reads the
 * `__pulumiType` tag and skips other resources before decoding their inputs (it decodes them
 * once per policy), which keeps the pack cheap per resource.
 */
export function forType(type: string, validate: ResourceValidation): ResourceValidation {
  return Object.assign(validate, { __pulumiType: type });
}
