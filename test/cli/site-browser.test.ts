/**
 * The members' record in a real browser (Debian's chromium, driven by playwright-core): every
 * page passes axe-core with no violation of serious or critical impact, headings go in order,
 * the pages read the same without JavaScript, every decision of the example ledger is on the
 * index and its page opens, a hostile title is text and runs nothing, and a screenshot is taken.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { loadLedger } from "../../rulebook";
import { coop } from "../helpers/cli";
import { REPO_ROOT } from "../helpers/repo";
import { CHROMIUM, toolPath, withChromium } from "../helpers/tools";
import { HOSTILE_TITLE, twoYearLedger } from "./site-fixture";

const run = withChromium();
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const LONG = 240_000;

const tmp = mkdtempSync(join(tmpdir(), "coop-site-browser-"));
const scratch = twoYearLedger(`coop:
  name: River Co-op
services:
  mastodon:
    federation:
      blocks:
        - domain: spam.example
          severity: suspend
          publicComment: "spam, and <b>worse</b>"
`);
let browser: Browser | undefined;
const dialogs: string[] = [];

beforeAll(async () => {
  const a = await coop(["site", "--out", join(tmp, "example")], { root: REPO_ROOT, at: "2026-12-02T12:00:00.000Z" });
  const b = await coop(["site", "--out", join(tmp, "scratch")], { root: scratch.f.root, at: scratch.at });
  if (a.code !== 0 || b.code !== 0) throw new Error(`coop site failed: ${a.stderr}${b.stderr}`);
}, LONG);

afterAll(async () => {
  await browser?.close();
  scratch.f.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

async function open(javaScript = true): Promise<Page> {
  browser ??= await chromium.launch({
    executablePath: toolPath(CHROMIUM.name),
    headless: true,
    // Containers and CI runners often run tests as root, where chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ javaScriptEnabled: javaScript, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  return page;
}

const url = (site: string, path: string) => pathToFileURL(join(tmp, site, path)).href;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => {
    const g = globalThis as unknown as {
      axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> };
      document: unknown;
    };
    return g.axe.run(g.document, { resultTypes: ["violations"] });
  });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
}

async function headingLevels(page: Page): Promise<number[]> {
  return page.$$eval("h1,h2,h3,h4,h5,h6", (hs) => hs.map((h) => Number(h.tagName.slice(1))));
}

function expectHeadingsInOrder(levels: number[], where: string): void {
  expect(
    levels.filter((l) => l === 1),
    where,
  ).toHaveLength(1);
  expect(levels[0], where).toBe(1);
  levels.forEach((l, i) => {
    if (i > 0) expect(l - levels[i - 1], `${where}: h${levels[i - 1]} → h${l}`).toBeLessThanOrEqual(1);
  });
}

describe("the members' record in Debian's chromium", () => {
  run(
    "every decision of the example ledger is on the index, and each link opens its page",
    async () => {
      const page = await open();
      await page.goto(url("example", "index.html"));
      const rows = await page.$$eval("section[aria-labelledby=decisions] tbody th[scope=row] a", (as) =>
        as.map((a) => ({ href: a.getAttribute("href"), text: a.textContent })),
      );
      const ids = loadLedger(REPO_ROOT).decisions.map((d) => d.id);
      expect(rows.map((r) => r.href).sort()).toEqual(ids.map((id) => `decisions/${id}.html`).sort());
      for (const r of rows) {
        await page.goto(url("example", r.href!));
        expect(await page.textContent("h1")).toBe(r.text);
      }
      expect(await page.title()).toMatch(/ · Example Co-op$/);
    },
    LONG,
  );

  run(
    "no page has an accessibility violation of serious or critical impact (axe-core), and headings go in order",
    async () => {
      const page = await open();
      const pages: Array<[string, string]> = [];
      for (const site of ["example", "scratch"]) {
        pages.push([site, "index.html"]);
        const ledger = loadLedger(site === "example" ? REPO_ROOT : scratch.f.root);
        for (const d of ledger.decisions) pages.push([site, `decisions/${d.id}.html`]);
      }
      const found: string[] = [];
      for (const [site, path] of pages) {
        await page.goto(url(site, path));
        expectHeadingsInOrder(await headingLevels(page), `${site}/${path}`);
        for (const v of await axeViolations(page))
          if (v.impact === "serious" || v.impact === "critical")
            found.push(`${site}/${path}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      }
      expect(found).toEqual([]);
      expect(pages.length).toBeGreaterThan(10);
    },
    LONG,
  );

  run(
    "the accessibility check can fail: a page with unreadable contrast and an unlabelled image is reported",
    async () => {
      const page = await open();
      await page.setContent(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1><p style="color:#ddd;background:#fff">faint</p><img src="x.png"></main></body></html>',
      );
      const ids = (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
      expect(ids).toEqual(expect.arrayContaining(["color-contrast", "image-alt"]));
    },
    LONG,
  );

  run(
    "reads the same without JavaScript: tables with captions and header cells, a skip link to the content",
    async () => {
      const page = await open(false);
      await page.goto(url("scratch", "index.html"));
      expect(await page.getAttribute("html", "lang")).toBe("en");
      expect(await page.getAttribute("a.skip", "href")).toBe("#main");
      expect(await page.locator("main#main").count()).toBe(1);
      const tables = await page.$$eval("table", (ts) =>
        ts.map((t) => ({ caption: t.querySelector("caption")?.textContent ?? "", cols: t.querySelectorAll("thead th[scope=col]").length })),
      );
      expect(tables.length).toBe(4); // emergencies, decisions, the stack's cost, the block list
      for (const t of tables) {
        expect(t.caption).not.toBe("");
        expect(t.cols).toBeGreaterThan(1);
      }
      expect(await page.textContent("section[aria-labelledby=emergencies] tbody")).toContain("another Mastodon security release");
      expect(await page.textContent("section[aria-labelledby=federation] tbody")).toContain("spam, and <b>worse</b>");
    },
    LONG,
  );

  run(
    "shows a hostile poll title as its text and runs nothing from it",
    async () => {
      const page = await open();
      await page.goto(url("scratch", `decisions/${scratch.ids.bigger}.html`));
      expect(await page.textContent("h1")).toBe(HOSTILE_TITLE);
      await page.goto(url("scratch", "index.html"));
      expect(await page.locator("script").count()).toBe(0);
      expect(dialogs).toEqual([]);
    },
    LONG,
  );

  run(
    "takes a screenshot of the index",
    async () => {
      const page = await open();
      await page.goto(url("scratch", "index.html"));
      const shot = join(tmp, "index.png");
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    },
    LONG,
  );
});
