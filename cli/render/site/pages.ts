/**
 * The pages of the members' record: the index (verification, pending emergencies, every
 * decision, the monthly cost of each stack over time, the federation block lists) and one page
 * per decision. `renderSite` maps the record to its files; the same record always gives the
 * same bytes.
 */
import type { CostPoint, DecisionView, SiteRecord, StackCosts } from "../../site/record";
import { euros, html, type Markup, page } from "./html";
import { summaryHtml } from "./summary";

/** A decision's page, relative to the site's root (ids are file-name safe: the rulebook's id syntax). */
export function decisionPath(id: string): string {
  return `decisions/${encodeURIComponent(id)}.html`;
}

const day = (iso: string) => iso.slice(0, 10);

function verification(r: SiteRecord): Markup {
  const l = r.ledger;
  const status = l.verified
    ? html`<p class="ok"><strong>The record verifies.</strong> Every decision, signature, vote and approved state was checked on <time datetime="${r.asOf}">${r.asOf}</time>${l.warnings ? html` (with ${l.warnings} warning${l.warnings === 1 ? "" : "s"}, such as an emergency change awaiting ratification: <code>coop verify</code> lists them)` : ""}.</p>`
    : html`<p class="bad"><strong>The record does not verify</strong> as of <time datetime="${r.asOf}">${r.asOf}</time>: ${l.errors} problem${l.errors === 1 ? "" : "s"}. Ask the admins; <code>coop verify</code> names each one and its fix.</p>`;
  const problems = l.problems.length ? html`<ul>${l.problems.map((p) => html`<li>${p}</li>`)}</ul>` : "";
  return html`<section aria-labelledby="verification"><h2 id="verification">Whether the record verifies</h2>${status}${problems}</section>`;
}

function emergencies(r: SiteRecord): Markup {
  const body = r.emergencies.length
    ? html`<table><caption>Emergency changes applied before a vote, awaiting the members' ratification</caption>
<thead><tr><th scope="col">Change</th><th scope="col">Stack</th><th scope="col">Why</th><th scope="col">Recorded</th><th scope="col">Ratify by</th></tr></thead>
<tbody>${r.emergencies.map(
        (e) =>
          html`<tr><th scope="row"><a href="${decisionPath(e.id)}">${e.id}</a></th><td>${e.stack}</td><td>${e.reason}</td><td class="date">${day(e.recordedAt)}</td><td class="date">${e.deadline ? day(e.deadline) : "unknown"}${e.overdue ? html` <strong>(overdue: deploys are stopped)</strong>` : ""}</td></tr>`,
      )}</tbody></table>`
    : html`<p>None: every emergency change has been ratified.</p>`;
  return html`<section aria-labelledby="emergencies"><h2 id="emergencies">Emergency changes awaiting ratification</h2>${body}</section>`;
}

function decisions(r: SiteRecord): Markup {
  const rows = [...r.decisions].reverse();
  return html`<section aria-labelledby="decisions"><h2 id="decisions">Decisions</h2>
<table><caption>Every decision of the record, newest first (${r.decisions.length})</caption>
<thead><tr><th scope="col">Recorded</th><th scope="col">Decision</th><th scope="col">About</th><th scope="col">How</th><th scope="col">Checks</th></tr></thead>
<tbody>${rows.map(
    (d) =>
      html`<tr><td class="date">${day(d.recordedAt)}</td><th scope="row"><a href="${decisionPath(d.id)}">${d.title}</a><br><span class="muted">${d.id}</span></th><td>${d.subject}</td><td>${how(d)}</td><td>${d.valid ? "valid" : html`<strong>does not verify</strong>`}</td></tr>`,
  )}</tbody></table></section>`;
}

function how(d: DecisionView): string {
  if (d.vote) return d.vote.counts ? `vote: ${d.vote.counts.agree} agree, ${d.vote.counts.disagree} disagree` : "vote";
  if (d.meeting) return `meeting of ${d.meeting.decidedOn}`;
  if (d.kind === "emergency") return d.ratifiedBy ? `emergency, ratified by ${d.ratifiedBy}` : "emergency, not ratified yet";
  return `signatures (${d.signatures.signers.length})`;
}

function costTable(c: StackCosts): Markup {
  const row = (p: CostPoint) =>
    html`<tr><td class="date">${day(p.from)}</td><th scope="row"><a href="${decisionPath(p.decision)}">${p.decision}</a></th><td class="num">${euros(p.monthly)}</td><td>${p.prices}${p.unpriced ? ` (${p.unpriced} item${p.unpriced === 1 ? "" : "s"} not priced)` : ""}</td></tr>`;
  return html`<table><caption>Stack ${c.stack}: monthly cost of each approved state (${c.currency}, VAT ${c.vat})</caption>
<thead><tr><th scope="col">From</th><th scope="col">Decision</th><th scope="col" class="num">Per month</th><th scope="col">Hetzner prices of</th></tr></thead>
<tbody>${c.points.map(row)}</tbody></table>`;
}

function costs(r: SiteRecord): Markup {
  return html`<section aria-labelledby="costs"><h2 id="costs">Monthly cost per stack</h2>${r.costs.length ? r.costs.map(costTable) : html`<p>No approved state is priced yet.</p>`}</section>`;
}

/** Mastodon's own names for a block's severity (its moderation screen calls silence "Limit"). */
const SEVERITY_WORDS: Record<string, string> = {
  silence: "limit (silence)",
  suspend: "suspend",
  noop: "none (only media or reports rejected)",
};

function severityWords(severity: string | null): string {
  return severity === null ? "not stated" : (SEVERITY_WORDS[severity] ?? severity);
}

function federation(r: SiteRecord): Markup | "" {
  if (r.federation.length === 0) return "";
  return html`<section aria-labelledby="federation"><h2 id="federation">Federation: servers our Mastodon blocks</h2>${r.federation.map(
    (f) =>
      html`<table><caption>Stack ${f.stack}: ${f.blocks.length} blocked server${f.blocks.length === 1 ? "" : "s"}, with the public reason (a name with stars is partly hidden, as Mastodon shows it)</caption>
<thead><tr><th scope="col">Server</th><th scope="col">Severity</th><th scope="col">Public reason</th></tr></thead>
<tbody>${f.blocks.map((b) => html`<tr><th scope="row">${b.domain}</th><td>${severityWords(b.severity)}</td><td>${b.reason ?? "none given"}</td></tr>`)}</tbody></table>${f.unreadable ? html`<p>${f.unreadable} entr${f.unreadable === 1 ? "y" : "ies"} of the list could not be read.</p>` : ""}`,
  )}</section>`;
}

export function renderIndex(r: SiteRecord): string {
  return page(
    { title: "The members' record", coop: r.coop.name, up: "", asOf: r.asOf },
    html`<h1>${r.coop.name}: the members' record</h1>
<p>What the co-op decided about its infrastructure, how each decision was taken and who signed it, what it costs per month, and whether the signed record checks out.</p>
${verification(r)}
${emergencies(r)}
${decisions(r)}
${costs(r)}
${federation(r)}`,
  );
}

function voteSection(d: DecisionView): Markup | "" {
  const v = d.vote;
  if (!v) return "";
  const link = v.url
    ? html`<p><a href="${v.url}">The poll in Loomio${v.title ? html`: ${v.title}` : ""}</a></p>`
    : html`<p>The poll's address is not a web address and is not linked.</p>`;
  const counts = v.counts
    ? html`<table><caption>Votes cast (${v.voters} members invited, ${v.decidedVoters} voted${v.closedAt ? `, closed ${day(v.closedAt)}` : ""})</caption>
<thead><tr><th scope="col">Option</th><th scope="col" class="num">Votes</th></tr></thead>
<tbody>${(["agree", "abstain", "disagree", "block"] as const).map((k) => html`<tr><th scope="row">${k}</th><td class="num">${v.counts![k]}</td></tr>`)}</tbody></table>`
    : html`<p>The recorded answer shows no counts.</p>`;
  return html`<section aria-labelledby="vote"><h2 id="vote">The vote</h2>${counts}${link}</section>`;
}

function meetingSection(d: DecisionView): Markup | "" {
  const m = d.meeting;
  if (!m) return "";
  return html`<section aria-labelledby="meeting"><h2 id="meeting">The meeting</h2><p>${m.meeting}, on ${m.decidedOn}. Minutes: ${m.minutes}.</p></section>`;
}

export function renderDecision(r: SiteRecord, d: DecisionView): string {
  const facts = html`<dl>
<dt>Decision</dt><dd>${d.id}</dd>
<dt>About</dt><dd>${d.subject}</dd>
<dt>Kind</dt><dd>${d.kind}</dd>
<dt>Decided</dt><dd><time datetime="${d.decidedAt}">${d.decidedAt}</time></dd>
<dt>Recorded</dt><dd><time datetime="${d.recordedAt}">${d.recordedAt}</time></dd>
<dt>Checks</dt><dd>${d.valid ? "valid: the ledger finds nothing wrong with it" : html`<strong>does not verify</strong> (see the index)`}</dd>
${d.reason ? html`<dt>Why it could not wait</dt><dd>${d.reason}</dd>` : ""}
${d.kind === "emergency" ? html`<dt>Ratified</dt><dd>${d.ratifiedBy ? html`by <a href="${decisionPath(d.ratifiedBy)}">${d.ratifiedBy}</a>` : "not yet"}</dd>` : ""}
${d.ratifies.length ? html`<dt>Ratifies</dt><dd>${d.ratifies.map((id, i) => html`${i ? ", " : ""}<a href="${decisionPath(id)}">${id}</a>`)}</dd>` : ""}
${d.monthlyCost ? html`<dt>Monthly cost</dt><dd>${d.monthlyCost.before === null ? "" : `${euros(d.monthlyCost.before)} → `}${euros(d.monthlyCost.after)} (Hetzner prices of ${d.monthlyCost.prices})</dd>` : ""}
</dl>`;
  const rules = html`<section aria-labelledby="rules"><h2 id="rules">The rules applied</h2>${
    d.process
      ? html`<p>Judged by ${d.process}:</p><ul>${d.rules.map((x) => html`<li>${x}</li>`)}</ul>`
      : html`<p>The ledger cannot place this decision under a version of the bylaws.</p>`
  }</section>`;
  const signed = html`<section aria-labelledby="signed"><h2 id="signed">Who signed</h2>${
    d.signatures.signers.length
      ? html`<ul>${d.signatures.signers.map((s) => html`<li>${s}</li>`)}</ul>`
      : html`<p>No valid signature yet.</p>`
  }<p>${d.signatures.satisfied ? "The signatures the bylaws require are there" : "The signatures the bylaws require are not all there yet"}${d.signatures.required ? ` (${d.signatures.required}).` : "."}</p></section>`;
  return page(
    { title: d.title, coop: r.coop.name, up: "../", asOf: r.asOf },
    html`<h1>${d.title}</h1>
${facts}
<section aria-labelledby="changed"><h2 id="changed">What changed</h2>${summaryHtml(d.summary)}${d.summaryReproduced ? "" : html`<p class="muted">This is the record's own text: the ledger could not reproduce it from its stored versions.</p>`}</section>
${voteSection(d)}${meetingSection(d)}
${rules}
${signed}
<p><a href="../index.html">Back to every decision</a></p>`,
  );
}

/** Every file of the site: [path relative to the site's root, content]. */
export function renderSite(r: SiteRecord): Array<[string, string]> {
  const files: Array<[string, string]> = [["index.html", renderIndex(r)]];
  for (const d of r.decisions) files.push([decisionPath(d.id), renderDecision(r, d)]);
  files.push(["record.json", `${JSON.stringify(r, null, 2)}\n`]);
  return files;
}
