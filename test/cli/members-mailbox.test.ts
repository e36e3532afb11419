/**
 * `coop members` and `coop mailbox` change the files as a careful person would: only the lines
 * of the change differ, everything else (comments, alignment, flow lists) stays byte for byte;
 * they refuse what would make the file invalid, and say which decision the change needs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { coop } from "../helpers/cli";
import { nodeKey } from "../helpers/governance";
import { tempRepo } from "../helpers/repo";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function repo(): string {
  const r = tempRepo();
  cleanups.push(r.cleanup);
  return r.root;
}

/** Lines of `after` not in `before`, and lines of `before` not in `after`, in order. */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return { removed: a.slice(start, endA), added: b.slice(start, endB) };
}

describe("coop members", () => {
  it("adds a member without touching anything else, and says it is routine", async () => {
    const root = repo();
    const file = join(root, "governance", "members.yaml");
    const before = readFileSync(file, "utf8");
    const key = nodeKey("linus@river.coop").line;
    const r = await coop(["members", "add", "linus", "--role", "member", "--key", key, "--display-name", "Linus"], { root });
    expect(r.code, r.stderr).toBe(0);
    expect(lineDiff(before, readFileSync(file, "utf8"))).toEqual({
      removed: [],
      added: ["  - name: linus", "    displayName: Linus", "    roles: [member]", "    sshKeys:", `      - ${key}`],
    });
    expect(r.stdout).toMatch(/routine membership.*\n {2}coop approve --members/);
  });

  it("granting a signing role needs a vote", async () => {
    const root = repo();
    const file = join(root, "governance", "members.yaml");
    const before = readFileSync(file, "utf8");
    const r = await coop(["members", "role", "grace", "--role", "admin,tech"], { root });
    expect(r.code, r.stderr).toBe(0);
    expect(lineDiff(before, readFileSync(file, "utf8"))).toEqual({ removed: ["    roles: [admin]"], added: ["    roles: [admin, tech]"] });
    expect(r.stdout).toMatch(/needs a vote of the members: it grace is given the signing role tech/);
    expect(r.stdout).toContain("coop propose --members --post");
  });

  it("refuses a key that is not a key, a key another member has, and an unknown member; nothing is written", async () => {
    const root = repo();
    const file = join(root, "governance", "members.yaml");
    const before = readFileSync(file, "utf8");
    const bad = await coop(["members", "add", "linus", "--role", "member", "--key", "ssh-ed25519 AAAAnotakey linus"], { root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/the key cannot be used/);
    const ada = before.match(/ssh-ed25519 \S+/)![0];
    const dup = await coop(["members", "add", "linus", "--role", "member", "--key", `${ada} linus@x`], { root });
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/this key also belongs to 'ada'/);
    const unknown = await coop(["members", "leave", "nobody"], { root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/there is no member 'nobody'/);
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});

describe("coop mailbox", () => {
  it("adds a mailbox with an alias, keeping every other byte of the spec", async () => {
    const root = repo();
    const file = join(root, "stacks", "example.yaml");
    const before = readFileSync(file, "utf8");
    const r = await coop(["mailbox", "add", "linus", "--name", "Linus T", "--alias", "support", "--stack", "example"], { root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("mailbox linus@example.coop is added (alias support@)");
    expect(lineDiff(before, readFileSync(file, "utf8"))).toEqual({
      removed: [],
      added: ["  - localPart: linus", "    name: Linus T", "    aliases: [support]"],
    });
  });

  it("changes an alias list in place, in its flow style", async () => {
    const root = repo();
    const file = join(root, "stacks", "example.yaml");
    const before = readFileSync(file, "utf8");
    const r = await coop(["mailbox", "alias", "grace", "--add", "team", "--stack", "example"], { root });
    expect(r.code, r.stderr).toBe(0);
    expect(lineDiff(before, readFileSync(file, "utf8"))).toEqual({
      removed: ["    aliases: [hello]"],
      added: ["    aliases: [hello, team]"],
    });
  });

  it("refuses to remove the mailbox that receives postmaster@ and the reports; nothing is written", async () => {
    const root = repo();
    const file = join(root, "stacks", "example.yaml");
    const before = readFileSync(file, "utf8");
    const r = await coop(["mailbox", "remove", "ada", "--stack", "example"], { root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nobody receives postmaster@example\.coop/);
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});
