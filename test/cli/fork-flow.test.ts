/**
 * A co-op's whole start, end to end, in a scratch clone of the repository: River Co-op forks,
 * runs init with two stacks of its own, adds a member (routine membership) and a mailbox, puts
 * the change to a vote in its Loomio (a loopback stand-in answering in Loomio's shapes), records
 * the passed poll, two admins sign with keys ssh-keygen made — and `coop verify` and `coop gate`
 * pass. The clock is fixed per step (coop reads time only through kernel/clock), so the poll's
 * closing date from the oracle is recent when it is recorded.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { parse } from "yaml";
import { coop } from "../helpers/cli";
import { scratchClone, sshKeygen } from "../helpers/clone";
import { closedPoll, type FakeLoomio, json, startLoomio, withVotes } from "../helpers/loomio";
import { withTool } from "../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const KEY = "river-bot-key-0123456789";
/** The oracle poll (group 42) closed 2026-03-10T12:00:03.512Z. */
const GROUP = "42";

let fake: FakeLoomio;
const cleanups: Array<() => void> = [];
beforeAll(async () => {
  fake = await startLoomio();
});
afterAll(async () => {
  for (const c of cleanups.splice(0)) c();
  await fake.close();
});

describe("a fork's first weeks, end to end", () => {
  itSsh(
    "init with two stacks, a member and a mailbox added, a vote recorded, two signatures: verify and gate pass",
    async () => {
      const clone = scratchClone();
      cleanups.push(clone.cleanup);
      const root = clone.root;
      const rosa = sshKeygen(clone.dir, "rosa");
      const lin = sshKeygen(clone.dir, "lin");
      const linus = sshKeygen(clone.dir, "linus");
      const env = { ...process.env, LOOMIO_API_KEY: KEY, COOP_LOOMIO_BACKOFF_MS: "1", CI: "true" };
      const step = async (at: string, args: string[]) => {
        const r = await coop(args, { root, env, at });
        expect(r.code, `coop ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
        expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
        return r;
      };

      // Day 1: the fork becomes River Co-op, with a Hetzner stack and one on an admin's machine.
      const init = await step("2026-03-01T10:00:00.000Z", [
        "init",
        "--name",
        "River Co-op",
        "--domain",
        "river.coop",
        "--stack",
        "prod",
        "--stack",
        "home:local",
        "--member",
        `rosa:admin+tech:${rosa}.pub`,
        "--member",
        `lin:admin:${lin}.pub`,
        "--loomio-url",
        fake.url,
        "--loomio-group",
        GROUP,
        "--ssh-source",
        "203.0.113.7/32",
        "--key",
        rosa,
      ]);
      expect(init.stdout).toMatch(/Checklist before a real deploy/);
      await step("2026-03-01T10:05:00.000Z", ["verify"]);

      // Day 2: Linus joins as a member (routine: one admin signs), and gets a mailbox.
      await step("2026-03-02T09:00:00.000Z", ["members", "add", "linus", "--role", "member", "--key", `${linus}.pub`]);
      const approved = await step("2026-03-02T09:01:00.000Z", ["approve", "--members", "--key", rosa, "--json"]);
      expect(JSON.parse(approved.stdout)).toMatchObject({ decision: "members-0001-version" });
      await step("2026-03-02T09:02:00.000Z", ["mailbox", "add", "linus", "--name", "Linus", "--alias", "support", "--stack", "prod"]);
      const spec = parse(readFileSync(join(root, "stacks/prod.yaml"), "utf8"));
      expect(spec.mailboxes.map((m: { localPart: string }) => m.localPart)).toEqual(["rosa", "lin", "linus"]);

      // The mailbox is infrastructure: the members vote on it in Loomio.
      const proposal = await step("2026-03-03T09:00:00.000Z", ["propose", "--stack", "prod", "--json"]);
      const markdown = (JSON.parse(proposal.stdout) as { markdown: string }).markdown;
      expect(markdown).toMatch(/linus@river\.coop/);
      fake.answers = [json(200, closedPoll({ details: markdown, ...withVotes({ agree: 5, abstain: 1, disagree: 0, block: 0 }, 7) }))];
      const decided = await step("2026-03-11T09:00:00.000Z", ["decide", "--stack", "prod", "--poll", `${fake.url}/p/AbC123xy`, "--json"]);
      const id = (JSON.parse(decided.stdout) as { decision: string }).decision;
      expect(id).toBe("prod-0002-change");

      // Two admins sign it with their own keys; then the record and the gate agree.
      await step("2026-03-11T10:00:00.000Z", ["sign", id, "--key", rosa]);
      await step("2026-03-11T10:30:00.000Z", ["sign", id, "--key", lin]);
      await step("2026-03-11T11:00:00.000Z", ["verify"]);
      const gate = await step("2026-03-11T11:00:00.000Z", ["gate", "--stack", "prod", "--json"]);
      expect(JSON.parse(gate.stdout)).toMatchObject({ stack: "prod", passed: true, violations: [] });
    },
    600_000,
  );
});
