/**
 * A violation tells whoever meets it what to change and which `coop` command checks or proposes
 * the fix: every policy's remediationSteps names a real command of the CLI.
 */
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../cli/commands";
import { POLICIES } from "../../policies/pack";

/** `coop <command> …` inside backticks, as the steps quote commands. */
const COOP_COMMAND = /`coop ([a-z]+)(?: [^`]*)?`/g;

describe("remediationSteps", () => {
  it.each(POLICIES.map((p) => [p.name, p.remediationSteps ?? ""] as const))("%s names a coop command that exists", (_name, steps) => {
    const named = [...steps.matchAll(COOP_COMMAND)].map((m) => m[1]);
    expect(named, `no \`coop <command>\` in: ${steps}`).not.toEqual([]);
    for (const c of named) expect(Object.keys(COMMANDS), `\`coop ${c}\` is not a command`).toContain(c);
  });
});
