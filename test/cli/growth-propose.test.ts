/**
 * Growing through `coop propose` on an approved example: media on object storage is an
 * ordinary proposal with its cost delta; switching an installed Nextcloud's primary storage is
 * refused before any vote, with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPriceTable } from "../../plan/prices";
import { approvedRepo, setSpec } from "../helpers/approved-repo";
import { coop } from "../helpers/cli";
import type { LedgerFixture } from "../helpers/ledger";
import { REPO_ROOT } from "../helpers/repo";

const AT = "2026-09-01T10:00:00.000Z";
let repo: LedgerFixture;

beforeAll(async () => {
  repo = await approvedRepo(["example"]);
});
afterAll(() => repo.cleanup());

const env = { ...process.env, LOOMIO_API_KEY: "", LOOMIO_URL: "", LOOMIO_GROUP_ID: "" };

describe("coop propose for the growth steps", () => {
  it("step 2: media on object storage is proposed with the Object Storage base price as the cost delta", async () => {
    setSpec(repo.root, "example", /\nbackups:/, "\nobjectStorage:\n  enabled: true\n  location: fsn1\n\nbackups:");
    const r = await coop(["propose", "--stack", "example"], { root: repo.root, env, at: AT });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const base = readPriceTable(REPO_ROOT).objectStorage?.basePerMonth ?? Number.NaN;
    expect(r.stdout).toContain(`+€${base.toFixed(2)}/month`);
    const cost = await coop(["cost", "--stack", "example", "--json"], { root: repo.root, env, at: AT });
    const lines = JSON.parse(cost.stdout).lines as Array<{ what: string; monthly: number }>;
    expect(lines.filter((l) => l.what.startsWith("Object Storage base"))).toEqual([expect.objectContaining({ monthly: base })]);
  });

  it("red team: switching the installed Nextcloud to primary object storage is refused, files become unreachable", async () => {
    setSpec(repo.root, "example", "  location: fsn1\n\nbackups:", "  location: fsn1\n  nextcloudPrimary: true\n\nbackups:");
    const r = await coop(["propose", "--stack", "example"], { root: repo.root, env, at: AT });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /nextcloud-app: Nextcloud's primary storage would move from the data volume to bucket example-co-op-example-files, and its files become unreachable/,
    );
    expect(r.stderr).toMatch(/hint: keep objectStorage\.nextcloudPrimary as the stack was installed with/);
  });
});
