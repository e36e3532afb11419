/**
 * The pieces every page of the members' record is made of: escaping, the page frame and its
 * small inline style sheet. Pure functions from data to text; no JavaScript is ever emitted, so
 * the site works in any browser and a hostile title can only ever be text.
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for element content and attribute values (quoted with "). */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Tagged template: every interpolated value is escaped unless it is already markup (`raw`). */
export class Markup {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export function raw(html: string): Markup {
  return new Markup(html);
}

type Part = string | number | Markup | null | undefined | false | ReadonlyArray<string | number | Markup | null | undefined | false>;

function part(v: Part): string {
  if (v === null || v === undefined || v === false) return "";
  if (v instanceof Markup) return v.html;
  if (Array.isArray(v)) return (v as Part[]).map(part).join("");
  return esc(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Markup {
  let out = strings[0];
  values.forEach((v, i) => {
    out += part(v) + strings[i + 1];
  });
  return new Markup(out);
}

/**
 * Colours meet WCAG AA (4.5:1 and more) on white: body #1b1b1b, links #0a4f9e, muted #4a4a4a,
 * the "does not verify" banner #8a1111 on #fdecec, the "verifies" banner #14532d on #e8f5ec.
 */
const CSS = `
:root{color-scheme:light}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff;margin:0}
.skip{position:absolute;left:-999px;top:0;background:#fff;color:#0a4f9e;padding:.5rem}
.skip:focus{left:.5rem}
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}
header{border-bottom:1px solid #c8c8c8}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
a{color:#0a4f9e}
a:focus{outline:3px solid #0a4f9e;outline-offset:2px}
table{border-collapse:collapse;width:100%;margin:0 0 1.5rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #c8c8c8;padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f2f2f2}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.date{white-space:nowrap}
.ok{background:#e8f5ec;color:#14532d;border:1px solid #14532d;padding:.5rem .75rem}
.bad{background:#fdecec;color:#8a1111;border:1px solid #8a1111;padding:.5rem .75rem}
.muted{color:#4a4a4a}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:600}
dd{margin:0}
footer{border-top:1px solid #c8c8c8;margin-top:2rem;padding-bottom:1rem}
`
  .trim()
  .replace(/\n/g, "");

export interface PageOptions {
  readonly title: string;
  readonly coop: string;
  /** "" for the index, "../" for pages one folder down. */
  readonly up: string;
  readonly asOf: string;
}

export function page(o: PageOptions, body: Markup): string {
  return `${html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="coop site">
<title>${o.title} · ${o.coop}</title>
<style>${raw(CSS)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header>
<p><a href="${o.up}index.html">${o.coop}: the members' record</a></p>
<nav aria-label="Sections">
<ul>
<li><a href="${o.up}index.html#verification">Verification</a></li>
<li><a href="${o.up}index.html#emergencies">Emergencies</a></li>
<li><a href="${o.up}index.html#decisions">Decisions</a></li>
<li><a href="${o.up}index.html#costs">Monthly cost</a></li>
</ul>
</nav>
</header>
<main id="main">
${body}
</main>
<footer>
<p class="muted">Rendered by <code>coop site</code> from the co-op's signed record of decisions, verified as of <time datetime="${o.asOf}">${o.asOf}</time>.</p>
</footer>
</body>
</html>`}\n`;
}

/** The monthly cost in euros, as the proposals write it. */
export function euros(n: number): string {
  return `€${n.toFixed(2)}`;
}
