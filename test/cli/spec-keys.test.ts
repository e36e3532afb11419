/**
 * A spec's admin key is checked by the same parser as members.yaml (kernel/ssh-keys.ts): a line
 * that only looks like a key never reaches a server's authorized_keys.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { coop } from "../helpers/cli";
import { fixturePublicKey } from "../helpers/governance";
import { tempRepo } from "../helpers/repo";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const FAKE = "ssh-ed25519 AAAAnotakey grace";

function replaceIn(root: string, file: string, from: string, to: string): void {
  const text = readFileSync(join(root, file), "utf8");
  expect(text).toContain(from);
  writeFileSync(join(root, file), text.replace(from, to));
}

describe("keys in specs", () => {
  it("red team: an admin pastes a line that only looks like a key; plan and gate refuse it as members.yaml would", async () => {
    const r = tempRepo();
    cleanups.push(r.cleanup);
    const grace = fixturePublicKey("grace");
    replaceIn(r.root, "stacks/example.yaml", grace, FAKE);
    replaceIn(r.root, "governance/members.yaml", grace, FAKE);
    const why = "the key cannot be used: the base64 part of the key is cut short or padded wrongly";
    for (const args of [
      ["plan", "--stack", "example"],
      ["gate", "--stack", "example"],
    ]) {
      const res = await coop(args, { root: r.root });
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr).toContain(`stacks/example.yaml:33:21 host.admins[1].sshPublicKey: ${why}`);
    }
    const members = await coop(["members", "list"], { root: r.root });
    expect(members.code).toBe(2);
    expect(members.stderr).toContain(`members[1].sshKeys[0]: ${why}`);
  });
});
