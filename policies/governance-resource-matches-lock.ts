/**
 * Every resource's governed inputs equal its entry in the stack's approved lock.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { rawInputsOf, topLevelDefaultsOf } from "./engine-tap";
import { PROVIDER_PATH } from "../plan/diff";
import { ungovernedInputs } from "../plan/view";
import { compareWithLock, describeMismatch, secretsArrivingPlain, type LockMismatch } from "../plan/lock-compare";
import { reportAt, unproxied } from "./support/report";
import { redactSecretEntry } from "./support/secret-names";
import { secretPathTest } from "./support/secret-paths";
import { lockOf, parseUrn } from "./support/stack-context";

export const NAME = "governance-resource-matches-lock";

/**
 * Resources the engine analyzes that the program does not declare as governed custom resources.
 * The engine's default providers are made from stack config, with no parent at all; a provider
 * the program declares always has one (at least the stack), whatever it is named.
 */
export function isUngoverned(type: string, urn: string, parent?: string): boolean {
  if (type === "pulumi:pulumi:Stack" || type.startsWith("coop:")) return true; // components: they deploy nothing themselves
  return type.startsWith("pulumi:providers:") && !parent && /::default(_[0-9A-Za-z_]+)?$/.test(urn);
}

/** Which provider the lock approved, and the one the engine hands the resource to, when they differ. */
export function providerMismatch(approved: string | undefined, type: string, actual: string | undefined): string | undefined {
  if (type.startsWith("pulumi:providers:")) return undefined; // providers are not deployed through a provider
  if (approved === actual) return undefined;
  const show = (u: string | undefined) => (u === undefined ? "(none recorded)" : `'${u}'`);
  return `${PROVIDER_PATH}: ${show(approved)} → ${show(actual)}`;
}

const MAX_LINES = 20;

export const governanceResourceMatchesLock: ResourceValidationPolicy = {
  name: NAME,
  description: "Every resource is exactly as the members approved it in the stack's lock (governance/approved/<stack>.lock.json).",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Propose the change to the members: `coop plan --stack <stack>` shows it, `coop propose --stack <stack> --post` opens the vote, and `coop decide --stack <stack> --poll <url>` records the approved lock. If the change was not intended, revert it.",
  configSchema: {
    properties: {
      offlinePlan: {
        type: "boolean",
        default: false,
        description:
          "Set by `coop gate`: the program ran offline from scratch, so a value the lock records as computed must still be unknown.",
      },
    },
  },
  validateResource: (args, report) => {
    const { type, urn } = args;
    if (isUngoverned(type, urn, args.opts?.parent)) return;
    const { stack, project } = parseUrn(urn);
    const state = lockOf(stack);
    const fix = `propose it: coop propose --stack ${stack}`;
    if ("missing" in state) {
      reportAt(report, "mandatory", `stack '${stack}' has no approved lock (${state.file}), so nothing in it may be deployed; ${fix}`, urn);
      return;
    }
    if ("invalid" in state) {
      reportAt(report, "mandatory", `the approved lock of stack '${stack}' cannot be trusted: ${state.file} ${state.invalid}`, urn);
      return;
    }
    const { lock } = state;
    if (lock.stack !== stack || lock.project !== project) {
      reportAt(
        report,
        "mandatory",
        `governance/approved/${stack}.lock.json approves ${lock.project}/${lock.stack}, not ${project}/${stack}; ${fix}`,
        urn,
      );
      return;
    }
    const entry = lock.resources.find((r) => r.urn === urn);
    if (!entry) {
      reportAt(
        report,
        "mandatory",
        `${type} '${args.name}' is not in the approved lock of stack '${stack}'; a new resource needs a decision: ${fix}`,
        urn,
      );
      return;
    }
    if (entry.type !== type) {
      reportAt(report, "mandatory", `'${args.name}' was approved as ${entry.type}, not ${type}; ${fix}`, urn);
      return;
    }
    const offline = args.getConfig<{ offlinePlan?: boolean }>()?.offlinePlan === true;
    const raw = rawInputsOf(urn);
    const compared = compareWithLock(entry.inputs, unproxied(args.props), {
      topLevelDefaults: topLevelDefaultsOf(urn),
      strictComputed: offline,
      ungoverned: ungovernedInputs(type),
    });
    const mismatches = [...compared, ...secretsArrivingPlain(entry.inputs, raw).filter((p) => !compared.some((m) => m.path === p.path))];
    const provider = providerMismatch(entry.provider, type, args.provider?.urn);
    if (mismatches.length === 0 && !provider) return;
    const isSecret = secretPathTest(raw);
    // A value at, above or below a secret is never printed (only what compare already reduced to a name).
    const shown = (m: LockMismatch): LockMismatch =>
      m.redacted
        ? m
        : isSecret(m.path)
          ? { ...m, proposed: "(secret value)" }
          : { ...m, proposed: redactSecretEntry(m.proposed), approved: redactSecretEntry(m.approved) as LockMismatch["approved"] };
    const lines = [...(provider ? [`  ${provider}`] : []), ...mismatches.slice(0, MAX_LINES).map((m) => `  ${describeMismatch(shown(m))}`)];
    if (mismatches.length > MAX_LINES) lines.push(`  … and ${mismatches.length - MAX_LINES} more`);
    reportAt(
      report,
      "mandatory",
      `${type} '${args.name}' differs from the approved lock of stack '${stack}' (approved → proposed):\n${lines.join("\n")}\n${fix}`,
      urn,
    );
  },
};
