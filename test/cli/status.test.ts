/**
 * `coop status` says what is next, with the command for each: a plan that differs from the
 * approved state, a decision missing signatures (and who can add them), an emergency awaiting
 * ratification, working governance files that are not the approved versions.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { approvedRepo } from "../helpers/approved-repo";
import { coop } from "../helpers/cli";
import type { LedgerFixture } from "../helpers/ledger";

const repos: LedgerFixture[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

describe("coop status", () => {
  it("a green repository has nothing waiting", async () => {
    const repo = await approvedRepo(["example"]);
    repos.push(repo);
    const r = await coop(["status", "--stack", "example", "--json"], { root: repo.root });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.stacks).toEqual([expect.objectContaining({ stack: "example", pending: [] })]);
    expect(doc.ledger).toEqual([]);
  });

  it("names the changed plan, the unsigned decision and who can sign it, the unapproved bylaws", async () => {
    const repo = await approvedRepo(["example"]);
    repos.push(repo);
    const spec = join(repo.root, "stacks", "example.yaml");
    writeFileSync(spec, readFileSync(spec, "utf8").replace("serverType: cx33", "serverType: cx43"));
    repo.write(repo.vote("example", repo.lock("example", "1"), { signers: ["ada"] }));
    const rules = join(repo.root, "governance", "rules.yaml");
    writeFileSync(rules, readFileSync(rules, "utf8").replace("maxAgeDays: 30", "maxAgeDays: 60"));
    const r = await coop(["status", "--stack", "example"], { root: repo.root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /stack example:\n {2}- the plan differs from the approved state \(\d+ resources? change\)\n {6}→ coop plan --stack example; then coop propose --stack example --post/,
    );
    expect(r.stdout).toMatch(/example-\d+-change has 1 of 2 signatures \(admin; grace can sign\)\n {6}→ coop sign example-\d+-change/);
    expect(r.stdout).toMatch(/governance\/rules\.yaml differs from the approved bylaws\n {6}→ coop propose --bylaws --post/);
  });
});
