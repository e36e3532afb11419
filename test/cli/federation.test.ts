/**
 * `coop federation import` with a block list shaped as Mastodon exports it (quoted comments
 * with commas and quotes, a BOM, booleans as Ruby writes them) and rows a hand-made list gets
 * wrong; then the gate, as an insider would try it: blocks added, lowered or lifted in the spec
 * without a decision.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { LedgerFixture } from "../helpers/ledger";
import { fixtureNodeKey } from "../helpers/governance";
import { approvedRepo, setSpec } from "../helpers/approved-repo";
import { coop } from "../helpers/cli";
import { tempRepo } from "../helpers/repo";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A repository holding only the example stack (unapproved: import needs no ledger). */
function repo(): string {
  const r = tempRepo();
  cleanups.push(r.cleanup);
  for (const name of readdirSync(join(r.root, "stacks")))
    if (name.endsWith(".yaml") && name !== "example.yaml") rmSync(join(r.root, "stacks", name));
  return r.root;
}

const EXPORT = [
  "\uFEFF#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
  'spam-farm.example,suspend,true,true,"Spam only, no moderation, ""free"" followers",false',
  "loud.example,silence,true,false,Harassment campaigns left unmoderated,false",
  "",
  "quiet.example,noop,true,false,,true",
].join("\r\n");

const BAD_ROWS = [
  "https://bad.example/about,suspend,false,false,,false",
  "worse.example,block,false,false,,false",
  "cdn.spam-farm.example,suspend,false,false,,false",
  "loud.example,suspend,false,false,,false",
  "odd.example,suspend,maybe,false,,false",
].join("\n");

function csv(root: string, name: string, text: string): string {
  const file = join(root, name);
  writeFileSync(file, text);
  return file;
}

const spec = (root: string) => parse(readFileSync(join(root, "stacks", "example.yaml"), "utf8"));
const blocks = (root: string) => spec(root).services.mastodon.federation?.domainBlocks ?? [];

describe("coop federation import", () => {
  it("reads Mastodon's export into the spec, keeping its comments, and names the next command", async () => {
    const root = repo();
    const before = readFileSync(join(root, "stacks", "example.yaml"), "utf8");
    const r = await coop(["federation", "import", csv(root, "export.csv", EXPORT), "--stack", "example"], { root });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/added \(3\): spam-farm\.example, loud\.example, quiet\.example/);
    expect(r.stdout).toContain("coop propose --stack example --post");
    expect(blocks(root)).toEqual([
      {
        domain: "spam-farm.example",
        severity: "suspend",
        rejectMedia: true,
        rejectReports: true,
        publicComment: 'Spam only, no moderation, "free" followers',
        privateComment: expect.stringMatching(/^Imported from export\.csv on \d{4}-\d{2}-\d{2}$/),
      },
      {
        domain: "loud.example",
        severity: "silence",
        rejectMedia: true,
        publicComment: "Harassment campaigns left unmoderated",
        privateComment: expect.any(String),
      },
      { domain: "quiet.example", severity: "noop", rejectMedia: true, privateComment: expect.any(String), obfuscate: true },
    ]);
    // Every line that was there is still there, comments included.
    const after = readFileSync(join(root, "stacks", "example.yaml"), "utf8");
    for (const line of before.split("\n")) expect(after).toContain(line);
  });

  it("a second import reports unchanged, a changed row changes only its fields (the moderators' note stays)", async () => {
    const root = repo();
    await coop(["federation", "import", csv(root, "a.csv", EXPORT), "--private-comment", "Loomio thread 12"], { root });
    const again = await coop(["federation", "import", join(root, "a.csv"), "--json"], { root });
    expect(JSON.parse(again.stdout)).toMatchObject({
      added: [],
      changed: [],
      unchanged: ["spam-farm.example", "loud.example", "quiet.example"],
    });
    const changed = EXPORT.replace("loud.example,silence,true,false,", "loud.example,suspend,true,true,");
    const r = await coop(["federation", "import", csv(root, "b.csv", changed), "--json"], { root });
    expect(JSON.parse(r.stdout)).toMatchObject({ added: [], changed: ["loud.example"] });
    expect(blocks(root)[1]).toMatchObject({
      domain: "loud.example",
      severity: "suspend",
      rejectReports: true,
      privateComment: "Loomio thread 12",
    });
  });

  it("bad rows: each reported with its line and why, and nothing written", async () => {
    const root = repo();
    const before = readFileSync(join(root, "stacks", "example.yaml"), "utf8");
    const r = await coop(["federation", "import", csv(root, "bad.csv", `${EXPORT}\n${BAD_ROWS}\n`)], { root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/5 rows cannot be imported/);
    expect(r.stderr).toMatch(/line 6: 'https:\/\/bad\.example\/about' is an address, not a domain/);
    expect(r.stderr).toMatch(/line 7: #severity is 'block', not one of silence, suspend, noop/);
    expect(r.stderr).toMatch(/line 8: cdn\.spam-farm\.example is already covered by the block of spam-farm\.example/);
    expect(r.stderr).toMatch(/line 9: loud\.example was already on line 3/);
    expect(r.stderr).toMatch(/line 10: #reject_media is 'maybe', not true or false/);
    expect(r.stderr).toMatch(/nothing was written/);
    expect(readFileSync(join(root, "stacks", "example.yaml"), "utf8")).toBe(before);
  });

  it("--skip-invalid imports the valid rows and lists the skipped ones", async () => {
    const root = repo();
    const r = await coop(["federation", "import", csv(root, "bad.csv", `${EXPORT}\n${BAD_ROWS}\n`), "--skip-invalid", "--json"], { root });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.added).toEqual(["spam-farm.example", "loud.example", "quiet.example"]);
    expect(out.skipped.map((s: { line: number }) => s.line)).toEqual([6, 7, 8, 9, 10]);
  });

  it("what is no block list at all: a clear refusal, no stack trace", async () => {
    const root = repo();
    for (const [text, why] of [
      ["domain,severity\nbad.example,suspend\n", /no #domain column/],
      ['#domain,#severity\n"bad.example,suspend\n', /is not a CSV file/],
      ["", /is empty/],
    ] as const) {
      const r = await coop(["federation", "import", csv(root, "x.csv", text)], { root });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await coop(["federation", "lift", "x.csv"], { root })).code).toBe(2);
  });
});

describe("red team: the block list changed without a decision (the gate)", () => {
  /** The example stack approved with two blocks in force. */
  async function approvedWithBlocks(): Promise<LedgerFixture> {
    const root = repo();
    await coop(["federation", "import", csv(root, "export.csv", EXPORT), "--private-comment", "decided"], { root });
    rmSync(join(root, "export.csv"));
    const f = await LedgerFixture.forRepo(root, ["example"], { keys: { ada: fixtureNodeKey("ada"), grace: fixtureNodeKey("grace") } });
    return f;
  }

  it("approved as decided, the gate passes; a block lowered or lifted in the spec alone does not", async () => {
    const f = await approvedWithBlocks();
    const ok = await coop(["gate", "--stack", "example", "--json"], { root: f.root });
    expect(JSON.parse(ok.stdout)).toMatchObject({ passed: true });

    // Lowered: suspend → silence.
    setSpec(f.root, "example", /severity: suspend/, "severity: silence");
    // Lifted: quiet.example removed from the list.
    const text = readFileSync(join(f.root, "stacks", "example.yaml"), "utf8");
    writeFileSync(join(f.root, "stacks", "example.yaml"), text.replace(/ {8}- domain: quiet\.example\n( {10}.*\n)+/, ""));
    const r = await coop(["gate", "--stack", "example", "--json"], { root: f.root });
    expect(r.code).toBe(1);
    const violations = JSON.parse(r.stdout).violations as Array<{ policy: string; message: string }>;
    const lowered = violations.find((v) => v.policy === "governance-resource-matches-lock");
    expect(lowered?.message).toMatch(
      /mastodon-federation-block-spam-farm\.example' differs from the approved lock[\s\S]*severity: "suspend" → "silence"/,
    );
    const lifted = violations.find((v) => v.policy === "governance-stack-no-unapproved-deletions");
    expect(lifted?.message).toMatch(/mastodon-federation-block-quiet\.example/);
  });
});

describe("proposing an imported list under bylaws with a federation area", () => {
  it("the proposal is a federation change, voted under the working group's rules, signed by its role", async () => {
    const f = await approvedRepo(["example"], {
      rules: (text) =>
        `${text}\nareas:\n  federation:\n    description: Which servers Mastodon blocks.\n    loomioGroupId: 77\n    threshold: 1\n    signatures: { count: 2, roles: [tech] }\n`,
    });
    cleanups.push(f.cleanup);
    expect((await coop(["federation", "import", csv(f.root, "export.csv", EXPORT)], { root: f.root })).code).toBe(0);
    rmSync(join(f.root, "export.csv"));
    const r = await coop(["propose", "--stack", "example", "--json"], { root: f.root });
    expect(r.stderr).toBe("");
    const p = JSON.parse(r.stdout) as { title: string; markdown: string };
    expect(p.title).toMatch(
      /^Federation change on example: Limit loud\.example \(public reason: “Harassment campaigns left unmoderated”\)/,
    );
    expect(p.markdown).toContain("all of the agree and disagree votes must be agree");
    expect(p.markdown).toContain("2 different members (tech)");
  });
});
