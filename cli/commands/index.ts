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
  plan: {
    summary: "validate the spec and show the desired state and its change from the approved lock",
    load: async () => (await import("./plan")).command,
  },
  gate: {
    summary: "run the policy pack over the offline plan: is this change approved? (the reviewers' check)",
    load: async () => (await import("./gate")).command,
  },
  cost: {
    summary: "monthly cost of the stack, per resource, from the dated Hetzner price table",
    load: async () => (await import("./cost")).command,
  },
  propose: {
    summary: "write the proposal members vote on (plain words, monthly cost, binding line); --post creates it in Loomio",
    load: async () => (await import("./propose")).command,
  },
  decide: {
    summary: "record a closed Loomio poll (or a meeting's decision) approving the plan: writes the decision and the lock",
    load: async () => (await import("./decide")).command,
  },
  sign: { summary: "sign a decision with your SSH key (ssh-keygen -Y sign)", load: async () => (await import("./sign")).command },
  verify: {
    summary: "verify the whole ledger: chains and order, signatures at their place, evidence recomputed, bylaws, members and code approved",
    load: async () => (await import("./verify")).command,
  },
  approve: {
    summary: "record what needs signatures but no vote: a routine change, routine membership, a new version of the code",
    load: async () => (await import("./approve")).command,
  },
  emergency: {
    summary: "record an emergency change applied before a vote (to be ratified by a deadline)",
    load: async () => (await import("./emergency")).command,
  },
  init: {
    summary: "start a fork's own record: name, domain, members and a fresh genesis ledger",
    load: async () => (await import("./init")).command,
  },
  dns: {
    summary: "print the stack's DNS records as a zone file to paste into any DNS provider",
    load: async () => (await import("./dns")).command,
  },
  members: {
    summary: "change governance/members.yaml (add, leave, roles, keys) and say which decision it needs",
    load: async () => (await import("./members")).command,
  },
  mailbox: {
    summary: "add or remove a mailbox or an alias in a stack's spec, and say which decision it needs",
    load: async () => (await import("./mailbox")).command,
  },
  federation: {
    summary: "import a Mastodon block-list CSV into a stack's spec, to be decided like any change",
    load: async () => (await import("./federation")).command,
  },
  status: {
    summary: "what's next: per stack, approved against working state, unsigned decisions, emergencies and deadlines",
    load: async () => (await import("./status")).command,
  },
  "ci-access": {
    summary: "open SSH to the stack's servers for this deploy job only (a job firewall), and close it again",
    load: async () => (await import("./ci-access")).command,
  },
  site: {
    summary: "the members' record as a static, accessible website: decisions, votes, signatures, costs, emergencies",
    load: async () => (await import("./site")).command,
  },
  report: {
    summary: "the yearly report for the general assembly (Markdown): decisions, changes, emergencies, monthly costs",
    load: async () => (await import("./report")).command,
  },
  doctor: {
    summary: "before a real deploy: every value that cannot work for real, with its fix",
    load: async () => (await import("./doctor")).command,
  },
};
