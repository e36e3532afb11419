/**
 * A throw-away copy of the repository, holding only the stacks asked for, approved as they plan now: a fresh
 * founding signed (in Node) by the fixture's members, with the first states of the stacks.
 * Tests of the gate and the commands start from this green state and then break one thing at a
 * time; the LedgerFixture it returns records further decisions as coop would.
 *
 * ada and grace hold the fixture keys (test/fixtures/keys), so `coop sign --key fixtureKey("ada")`
 * signs as ada with ssh-keygen; hedy (tech) and linus (member) have keys made in Node.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { expect } from "vitest";
import { join } from "node:path";
import { fixtureNodeKey } from "./governance";
import { LedgerFixture } from "./ledger";
import { tempRepo } from "./repo";

export type ApprovedRepo = LedgerFixture;

export interface ApprovedRepoOptions {
  /** The Loomio instance the founding bylaws pin (loomio.url), e.g. a loopback Loomio's address. */
  readonly loomioUrl?: string;
  /** Further edits of governance/rules.yaml (its text) before the founding adopts it. */
  readonly rules?: (text: string) => string;
}

export async function approvedRepo(stacks: string[] = ["example"], opts: ApprovedRepoOptions = {}): Promise<LedgerFixture> {
  const repo = tempRepo();
  // The repository holds exactly the stacks asked for, so verify has nothing to say about others.
  for (const name of readdirSync(join(repo.root, "stacks")))
    if (name.endsWith(".yaml") && !stacks.includes(name.slice(0, -".yaml".length))) rmSync(join(repo.root, "stacks", name));
  const rulesFile = join(repo.root, "governance", "rules.yaml");
  let rules = readFileSync(rulesFile, "utf8");
  if (opts.loomioUrl) {
    const pinned = /\n {2}url: \S+\n/;
    if (!pinned.test(rules)) throw new Error("governance/rules.yaml pins no loomio.url to replace");
    rules = rules.replace(pinned, `\n  url: ${opts.loomioUrl}\n`);
  }
  if (opts.rules) rules = opts.rules(rules);
  writeFileSync(rulesFile, rules);
  const f = await LedgerFixture.forRepo(repo.root, stacks, { keys: { ada: fixtureNodeKey("ada"), grace: fixtureNodeKey("grace") } });
  f.cleanup = repo.cleanup;
  return f;
}

/** Edits a stack spec in place (the edit must change it). */
export function setSpec(root: string, stack: string, from: RegExp | string, to: string): void {
  const file = join(root, "stacks", `${stack}.yaml`);
  const text = readFileSync(file, "utf8");
  const next = text.replace(from, to);
  expect(next, `stacks/${stack}.yaml has no ${String(from)}`).not.toBe(text);
  writeFileSync(file, next);
}
