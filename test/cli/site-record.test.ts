/**
 * `coop site`: the members' record from the ledger — what each decision changed (the rulebook's
 * words), the vote and the rules, who signed, pending emergencies, costs over time, the
 * federation block list, whether the ledger verifies — as escaped, deterministic HTML written
 * as a whole folder; `--json` gives the same data.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import ignore from "ignore";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderSite } from "../../cli/render/site/pages";
import { summaryHtml } from "../../cli/render/site/summary";
import { federationOf, gatherRecord, publicDomain, type SiteRecord } from "../../cli/site/record";
import { SITE_MARKER } from "../../cli/site/write";
import { setClockForTests } from "../../kernel/clock";
import { loadLedger } from "../../rulebook";
import { estimateMonthlyCost } from "../../plan/cost";
import { coop, spawnCoop } from "../helpers/cli";
import { LedgerFixture } from "../helpers/ledger";
import { REPO_ROOT } from "../helpers/repo";
import { HOSTILE_TITLE, twoYearLedger } from "./site-fixture";

const FEDERATION_SPEC = `coop:
  name: River Co-op
services:
  mastodon:
    federation:
      domainBlocks:
        - domain: spam.example
          severity: suspend
          publicComment: "spam </td><script>alert('reason')</script>"
          privateComment: "the moderators' private note"
        - domain: loud.example
          severity: silence
        - domain: secret-harassers.example
          severity: suspend
          obfuscate: true
        - 42
      domainAllows: []
`;

const t = twoYearLedger(FEDERATION_SPEC);
const scratch: string[] = [];
afterAll(() => {
  t.f.cleanup();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function recordAt(root: string, at: string): SiteRecord {
  setClockForTests(at);
  try {
    return gatherRecord(root, new Date(at));
  } finally {
    setClockForTests(undefined);
  }
}

function outDir(): string {
  const d = mkdtempSync(join(tmpdir(), "coop-site-"));
  scratch.push(d);
  return join(d, "_site");
}

function siteFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else out.set(p, readFileSync(join(dir, p), "utf8"));
    }
  };
  walk("");
  return out;
}

describe("the members' record as data", () => {
  const r = recordAt(t.f.root, t.at);
  const byId = new Map(r.decisions.map((d) => [d.id, d]));

  it("holds every decision of the ledger in recording order, each valid, with the rulebook's own summary", () => {
    const ledger = t.f.load();
    expect(r.decisions.map((d) => d.id).sort()).toEqual(ledger.decisions.map((d) => d.id).sort());
    expect(r.decisions.map((d) => d.recordedAt)).toEqual([...r.decisions.map((d) => d.recordedAt)].sort());
    expect(r.ledger).toEqual({ verified: true, errors: 0, warnings: 1, problems: [] });
    const bigger = byId.get(t.ids.bigger)!;
    expect(bigger.summaryReproduced).toBe(true);
    expect(bigger.summary).toBe(ledger.byId.get(t.ids.bigger)!.decision.summary);
    expect(bigger.summary).toMatch(/cx33 .* → cx43/);
  });

  it("shows the vote (counts, the poll's address and title), the rules of the process that judged it and who signed", () => {
    const d = byId.get(t.ids.bigger)!;
    expect(d.vote).toEqual({
      url: expect.stringMatching(/^https:\/\/loomio\.example\.coop\/p\/Poll\d+$/),
      title: HOSTILE_TITLE,
      closedAt: "2026-03-10T11:00:00.000Z",
      voters: 10,
      decidedVoters: 7,
      counts: { agree: 5, abstain: 1, disagree: 1, block: 0 },
    });
    expect(d.process).toBe("the bylaws' process for infrastructure changes");
    expect(d.rules).toContain("at least two thirds of the agree and disagree votes are agree");
    expect(d.rules).toContain("a single block stops the proposal");
    expect(d.signatures).toEqual({
      required: "2 signatures of different members with role admin",
      signers: ["ada", "grace"],
      satisfied: true,
    });
    const routine = byId.get(t.ids.routine)!;
    expect(routine.process).toBe("the bylaws' 'image-patch' routine class");
    expect(routine.rules).toEqual([
      `the change is only of the class image-patch ("Patch upgrades of the pinned service images (e.g. Mastodon v4.6.3 → v4.6.4), nothing else"), as computed from the change itself, under the standing decision ${t.ids.standing}`,
      "2 different members with role tech or admin sign it",
    ]);
    expect(routine.signatures.signers).toEqual(["ada", "hedy"]);
    expect(byId.get(t.ids.standing)!.subject).toBe("a standing decision");
    const meeting = byId.get(t.ids.back)!;
    expect(meeting.vote).toBeNull();
    expect(meeting.meeting).toMatchObject({ meeting: "General assembly 2027-01-09", decidedOn: "2027-01-09" });
  });

  it("lists the emergency awaiting ratification with its deadline, and which decision ratified the others", () => {
    expect(r.emergencies).toEqual([
      {
        id: t.ids.e3,
        stack: "prod",
        reason: "another Mastodon security release",
        recordedAt: "2027-05-25T10:00:00.000Z",
        deadline: "2027-06-08T10:00:00.000Z",
        overdue: false,
      },
    ]);
    expect(byId.get(t.ids.e1)!.ratifiedBy).toBe(t.ids.ratify1);
    expect(byId.get(t.ids.e2)!.ratifiedBy).toBe(t.ids.ratify2);
    expect(byId.get(t.ids.e3)!.ratifiedBy).toBeNull();
    // Past its deadline the same emergency is overdue, and the ledger no longer verifies.
    const later = recordAt(t.f.root, "2027-06-10T00:00:00.000Z");
    expect(later.emergencies[0].overdue).toBe(true);
    expect(later.ledger.verified).toBe(false);
    expect(later.ledger.problems.join("\n")).toMatch(/was not ratified by 2027-06-08/);
  });

  it("prices every approved state of the stack with plan/cost, in order", () => {
    const [prod] = r.costs;
    const cost = (serverType: string, mastodon?: string) =>
      estimateMonthlyCost(t.f.lock("prod", "0", { serverType, mastodon }).resources, t.f.prices).total;
    expect(prod.stack).toBe("prod");
    expect(prod.points.map((p) => [p.decision, p.monthly])).toEqual([
      ["prod-0001-genesis", cost("cx33")],
      [t.ids.bigger, cost("cx43")],
      [t.ids.e1, cost("cx53")],
      [t.ids.ratify1, cost("cx53")],
      [t.ids.e2, cost("cx53")],
      [t.ids.ratify2, cost("cx53")],
      [t.ids.back, cost("cx43")],
      [t.ids.routine, cost("cx43")],
      [t.ids.e3, cost("cx43")],
    ]);
    expect(cost("cx43")).toBeGreaterThan(cost("cx33"));
    expect(byId.get(t.ids.bigger)!.monthlyCost).toEqual({ before: cost("cx33"), after: cost("cx43"), prices: t.f.prices.asOf });
  });

  it("reads the federation block list defensively: public reasons only, unreadable entries counted, never echoed", () => {
    expect(r.federation).toEqual([
      {
        stack: "prod",
        blocks: [
          { domain: "loud.example", severity: "silence", reason: null },
          // Obfuscated as Mastodon's public list shows it (test/oracles/mastodon-public-domain.md).
          { domain: "secret-*********.*xample", severity: "suspend", reason: null },
          { domain: "spam.example", severity: "suspend", reason: "spam </td><script>alert('reason')</script>" },
        ],
        unreadable: 1,
      },
    ]);
    expect(JSON.stringify(r)).not.toContain("private note");
    for (const [path, text] of renderSite(r)) expect(text, path).not.toContain("harassers");
    const index = new Map(renderSite(r)).get("index.html")!;
    expect(index).toContain('<tr><th scope="row">loud.example</th><td>limit (silence)</td><td>none given</td></tr>');
    expect(publicDomain("bad.example", true)).toBe("bad.*****le");
    expect(publicDomain("bad.example", false)).toBe("bad.example");
    expect(federationOf({ services: { mastodon: {} } })).toBeUndefined();
    expect(federationOf(null)).toBeUndefined();
    expect(federationOf({ services: { mastodon: { federation: "spam.example" } } })).toEqual({ blocks: [], unreadable: 1 });
    expect(federationOf({ services: { mastodon: { federation: { blocks: [{ domain: "a.example", public_comment: "why" }] } } } })).toEqual({
      blocks: [{ domain: "a.example", severity: "silence", reason: "why" }],
      unreadable: 0,
    });
  });

  it("has no federation section when the spec has none (the example co-op)", () => {
    const example = recordAt(REPO_ROOT, "2026-12-02T12:00:00.000Z");
    expect(example.federation).toEqual([]);
    expect(renderSite(example).find(([p]) => p === "index.html")![1]).not.toContain('id="federation"');
  });
});

describe("red team: what an insider writes into the record renders as text", () => {
  const rows: Array<{ who: string; attack: string; check: (html: Map<string, string>, r: SiteRecord) => void }> = [
    {
      who: "an admin who opens the poll",
      attack: "a poll title with a <script> element",
      check: (h, r) => {
        const d = r.decisions.find((x) => x.id === t.ids.bigger)!;
        expect(h.get("index.html")).toContain("&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; A bigger server &amp; more");
        expect(h.get(`decisions/${d.id}.html`)).toContain("<h1>&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;");
      },
    },
    {
      who: "two admins recording an emergency",
      attack: "a reason with an <img onerror> handler",
      check: (h) => {
        expect(h.get(`decisions/${t.ids.e1}.html`)).toContain("the disk filled up &lt;img src=x onerror=alert(1)&gt;");
        expect(h.get(`decisions/${t.ids.ratify1}.html`)).toContain("&lt;img src=x onerror=alert(1)&gt;");
      },
    },
    {
      who: "an admin editing the spec",
      attack: "a block's public reason that closes the table cell and opens a script",
      check: (h) => expect(h.get("index.html")).toContain("spam &lt;/td&gt;&lt;script&gt;alert(&#39;reason&#39;)&lt;/script&gt;"),
    },
  ];
  const r = recordAt(t.f.root, t.at);
  const html = new Map(renderSite(r));
  for (const row of rows) {
    it(`${row.who}: ${row.attack}`, () => {
      row.check(html, r);
      // No page carries any markup the record put there: no script, no event handler, no javascript: link.
      for (const [path, text] of html) {
        if (!path.endsWith(".html")) continue;
        expect(text, path).not.toMatch(/<script|<img|<[^>]*\son[a-z]+=|javascript:/i);
      }
    });
  }

  it("a record whose poll address is a javascript: URL: not linked, and the record does not verify", () => {
    const f = LedgerFixture.create(["prod"]);
    try {
      const d = f.vote("prod", f.lock("prod", "0", { serverType: "cx43" }), { recordedAt: "2026-03-10T12:00:00.000Z" });
      f.write({ ...d, evidence: { ...(d as { evidence: object }).evidence, url: "javascript:alert(document.domain)" } } as typeof d);
      const r2 = recordAt(f.root, "2026-03-11T00:00:00.000Z");
      const view = r2.decisions.find((x) => x.id === d.id)!;
      expect(view.vote?.url).toBeNull();
      expect(view.valid).toBe(false);
      expect(r2.ledger.verified).toBe(false);
      const page = new Map(renderSite(r2)).get(`decisions/${d.id}.html`)!;
      expect(page).not.toContain("javascript:");
      expect(page).toContain("is not a web address and is not linked");
      expect(new Map(renderSite(r2)).get("index.html")).toContain("The record does not verify");
    } finally {
      f.cleanup();
    }
  });

  it("a record whose summary was edited to carry markup: the site shows the rulebook's reproduction, not the record's text", () => {
    const f = LedgerFixture.create(["prod"]);
    try {
      const d = f.vote("prod", f.lock("prod", "0", { serverType: "cx43" }), { recordedAt: "2026-03-10T12:00:00.000Z" });
      f.write({ ...d, summary: "**Nothing changes** <script>alert(1)</script>" } as typeof d);
      const r2 = recordAt(f.root, "2026-03-11T00:00:00.000Z");
      const view = r2.decisions.find((x) => x.id === d.id)!;
      expect(view.summaryReproduced).toBe(false);
      expect(view.summary).toMatch(/cx33 .* → cx43/);
      expect(view.valid).toBe(false);
    } finally {
      f.cleanup();
    }
  });

  it("a decision file that does not parse: the site says the record does not verify, names the file, echoes none of it", async () => {
    const f = LedgerFixture.create(["prod"]);
    try {
      writeFileSync(join(f.root, "governance", "decisions", "prod-0002-change.json"), '{"id": "<script>alert(1)</script>"');
      const r2 = recordAt(f.root, "2026-03-11T00:00:00.000Z");
      expect(r2.ledger.verified).toBe(false);
      expect(r2.ledger.problems.join("\n")).toMatch(/prod-0002-change\.json/);
      expect(JSON.stringify(r2)).not.toContain("alert(1)");
      const out = outDir();
      const run = await coop(["site", "--out", out], { root: f.root, at: "2026-03-11T00:00:00.000Z" });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/does not verify \(\d+ problems?\)/);
      expect(readFileSync(join(out, "index.html"), "utf8")).toContain("The record does not verify");
    } finally {
      f.cleanup();
    }
  });

  it("a spec that is an alias bomb or a symlink out of the repository: no block list, no crash, nothing read through it", () => {
    const f = LedgerFixture.create(["prod", "other"]);
    try {
      const bomb = [
        "a: &a [x, x, x, x, x, x, x, x, x]",
        ...Array.from(
          { length: 8 },
          (_, i) =>
            `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
        ),
      ];
      writeFileSync(
        join(f.root, "stacks", "prod.yaml"),
        `${bomb.join("\n")}\nservices:\n  mastodon:\n    federation:\n      domainBlocks: [{ domain: bomb.example }]\n`,
      );
      const outside = join(mkdtempSync(join(tmpdir(), "coop-outside-")), "spec.yaml");
      scratch.push(join(outside, ".."));
      writeFileSync(outside, "services:\n  mastodon:\n    federation:\n      domainBlocks: [{ domain: outside.example }]\n");
      rmSync(join(f.root, "stacks", "other.yaml"));
      symlinkSync(outside, join(f.root, "stacks", "other.yaml"));
      const r2 = recordAt(f.root, "2026-03-11T00:00:00.000Z");
      expect(r2.federation).toEqual([]);
      expect(r2.decisions.length).toBeGreaterThan(0);
    } finally {
      f.cleanup();
    }
  });

  it("the summary renderer escapes everything and knows only headings, items and sub-items", () => {
    const out = summaryHtml("**Title <b>**\n\n- one `x<y>`\n  - sub & more\n- two **bold**\n<p onclick=x>").html;
    expect(out).toBe(
      [
        "<h3>Title &lt;b&gt;</h3>",
        "<ul>",
        "<li>one <code>x&lt;y&gt;</code>",
        "<ul>",
        "<li>sub &amp; more</li>",
        "</ul></li>",
        "<li>two <strong>bold</strong></li>",
        "</ul>",
        "<p>&lt;p onclick=x&gt;</p>",
      ].join("\n"),
    );
  });
});

describe("coop site", () => {
  it("writes an index, one page per decision and record.json; --json prints that same record", async () => {
    const out = outDir();
    const w = await coop(["site", "--out", out], { root: t.f.root, at: t.at });
    expect(w.stderr).toBe("");
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/site written to .*: 11 decisions; the ledger verifies as of 2027-06-01T00:00:00.000Z/);
    const files = siteFiles(out);
    expect([...files.keys()].sort()).toEqual(
      [SITE_MARKER, "index.html", "record.json", ...t.f.load().decisions.map((d) => `decisions/${d.id}.html`)].sort(),
    );
    const j = await coop(["site", "--json"], { root: t.f.root, at: t.at });
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual(JSON.parse(files.get("record.json")!));
  });

  it("is deterministic: the same ledger gives the same bytes, and only the time of verification moves with the clock", async () => {
    const a = outDir();
    const b = outDir();
    const c = outDir();
    await coop(["site", "--out", a], { root: t.f.root, at: t.at });
    await coop(["site", "--out", b], { root: t.f.root, at: t.at });
    await coop(["site", "--out", c], { root: t.f.root, at: "2027-06-02T00:00:00.000Z" });
    expect(siteFiles(b)).toEqual(siteFiles(a));
    const fa = siteFiles(a);
    for (const [path, text] of siteFiles(c))
      expect(text.replaceAll("2027-06-02T00:00:00.000Z", "2027-06-01T00:00:00.000Z"), path).toBe(fa.get(path));
  });

  it("replaces the folder of an earlier run as a whole (no page of a vanished decision stays)", async () => {
    const out = outDir();
    await coop(["site", "--out", out], { root: t.f.root, at: t.at });
    writeFileSync(join(out, "decisions", "old-0001-change.html"), "stale");
    const again = await coop(["site", "--out", out], { root: t.f.root, at: t.at });
    expect(again.code).toBe(0);
    expect(existsSync(join(out, "decisions", "old-0001-change.html"))).toBe(false);
    expect(readdirSync(join(out, "..")).filter((n) => n.includes("staging"))).toEqual([]);
  });

  it("runs as its own process: --json prints one document; both commands explain themselves and are listed", async () => {
    const child = spawnCoop(["site", "--json"]);
    expect(child.code, child.stderr).toBe(0);
    const doc = JSON.parse(child.stdout);
    expect(doc.decisions.map((d: { id: string }) => d.id).sort()).toEqual(
      loadLedger(REPO_ROOT)
        .decisions.map((d) => d.id)
        .sort(),
    );
    expect(doc.coop.name).toBe("Example Co-op");
    const help = await coop(["--help"]);
    expect(help.stdout).toMatch(/^\s+site\s+the members' record as a static, accessible website/m);
    expect(help.stdout).toMatch(/^\s+report\s+the yearly report for the general assembly/m);
    expect((await coop(["site", "--help"])).stdout).toMatch(/^usage: coop site \[--out DIR\] \[--json\]/);
    expect((await coop(["report", "--help"])).stdout).toMatch(/^usage: coop report --year YYYY \[--json\]/);
  });

  it("writes by default to _site, which .gitignore keeps out of the code digest (coop verify stays green)", () => {
    const ig = ignore().add(readFileSync(join(REPO_ROOT, ".gitignore"), "utf8"));
    expect(ig.ignores("_site/index.html")).toBe(true);
    expect(ig.ignores("_site/decisions/example-0001-genesis.html")).toBe(true);
    expect(ig.ignores("cli/site/record.ts")).toBe(false);
  });

  it("refuses a folder it did not write, and a file, changing nothing", async () => {
    const out = outDir();
    mkdirSync(out);
    writeFileSync(join(out, "notes.txt"), "mine");
    const r = await coop(["site", "--out", out], { root: t.f.root, at: t.at });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds files that coop site did not write; nothing was changed/);
    expect(r.stderr).toMatch(/hint: name a new or empty folder/);
    expect(readdirSync(out)).toEqual(["notes.txt"]);
    const file = join(out, "notes.txt");
    const f = await coop(["site", "--out", file], { root: t.f.root, at: t.at });
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/is not a folder/);
    expect(readFileSync(file, "utf8")).toBe("mine");
    const both = await coop(["site", "--json", "--out", out], { root: t.f.root, at: t.at });
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout).error.message).toMatch(/--json prints the record/);
  });
});
