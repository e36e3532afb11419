/**
 * The `coop` commands. Each lives in its own module, loaded only when it runs, so a command
 * that needs no Pulumi SDK (verify, sign) does not pay for loading it.
 */
import type { Command } from "../context";

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  plan: { summary: "validate the spec and show the desired state and its change from the approved lock", load: async () => (await import("./plan")).command },
  gate: { summary: "run the policy pack over the offline plan: is this change approved? (the reviewers' check)", load: async () => (await import("./gate")).command },
};
