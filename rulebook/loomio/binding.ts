/**
 * The machine-readable lines that bind a poll to exactly what it approves:
 *   coop-plan: stack=<stack> sha256=<plan digest>
 *   coop-standing: classes=<c1,c2> stacks=<s1,s2|*> until=<YYYY-MM-DD|none>
 *   coop-ratifies: stack=<stack> ids=<emergency id>,<emergency id>
 * The last names the emergency changes a vote also ratifies: a vote ratifies only what its text
 * named, so a proposal for a stack with pending emergencies carries it (coop decide checks it).
 *   coop-bylaws: sha256=<rules digest>      (and coop-members:, coop-code: alike)
 *   coop-summary: sha256=<digest of the summary block members read>
 * A poll may carry plan lines for several stacks (one change across stacks); it must carry at
 * most one per stack.
 */

const PLAN_RE = /coop-plan:\s*stack=([A-Za-z0-9][A-Za-z0-9_.-]*)\s+sha256=([0-9a-fA-F]{64})/g;
const STANDING_RE = /coop-standing:\s*classes=([a-z0-9,-]+)\s+stacks=([A-Za-z0-9_.,*-]+)\s+until=(\d{4}-\d{2}-\d{2}|none)/g;

const RATIFIES_RE = /coop-ratifies:\s*stack=([A-Za-z0-9][A-Za-z0-9_.-]*)\s+ids=([A-Za-z0-9][A-Za-z0-9._,-]*)/g;

export function ratifiesBindingLine(stack: string, ids: readonly string[]): string {
  return `coop-ratifies: stack=${stack} ids=${ids.join(",")}`;
}

export interface RatifiesBinding {
  readonly line: string;
  readonly stack: string;
  readonly ids: readonly string[];
}

/** The coop-ratifies lines of a poll's details (or of a recorded evidence line). */
export function findRatifiesBindings(details: string | null | undefined): RatifiesBinding[] {
  const out: RatifiesBinding[] = [];
  for (const m of detailsText(details).matchAll(RATIFIES_RE)) {
    const ids = m[2].split(",").filter(Boolean);
    out.push({ line: ratifiesBindingLine(m[1], ids), stack: m[1], ids });
  }
  return out;
}

/** The emergency ids a poll's details name as ratified for `stack` (all its lines for the stack together). */
export function ratifiedNamesFor(details: string | null | undefined, stack: string): string[] {
  return [
    ...new Set(
      findRatifiesBindings(details)
        .filter((b) => b.stack === stack)
        .flatMap((b) => b.ids),
    ),
  ];
}

export function planBindingLine(stack: string, digest: string): string {
  return `coop-plan: stack=${stack} sha256=${digest}`;
}

export interface StandingTerms {
  readonly classes: readonly string[];
  readonly stacks: readonly string[];
  /** ISO timestamp or null. */
  readonly until: string | null;
}

export function standingBindingLine(terms: StandingTerms): string {
  const until = terms.until ? terms.until.slice(0, 10) : "none";
  return `coop-standing: classes=${[...terms.classes].sort().join(",")} stacks=${[...terms.stacks].sort().join(",")} until=${until}`;
}

/** Plain text of a poll's details: Loomio stores Markdown or HTML. */
export function detailsText(details: string | null | undefined): string {
  if (!details) return "";
  return details
    .replace(/<br\s*\/?>|<\/p>|<\/li>|<\/div>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/`/g, "");
}

export interface PlanBinding {
  readonly line: string;
  readonly stack: string;
  readonly digest: string;
}

export function findPlanBindings(details: string | null | undefined): PlanBinding[] {
  const out: PlanBinding[] = [];
  for (const m of detailsText(details).matchAll(PLAN_RE))
    out.push({ line: planBindingLine(m[1], m[2].toLowerCase()), stack: m[1], digest: m[2].toLowerCase() });
  return out;
}

export function findStandingBindings(details: string | null | undefined): string[] {
  const out: string[] = [];
  for (const m of detailsText(details).matchAll(STANDING_RE)) {
    out.push(
      standingBindingLine({ classes: m[1].split(","), stacks: m[2].split(","), until: m[3] === "none" ? null : `${m[3]}T00:00:00.000Z` }),
    );
  }
  return out;
}

export type GovernedFile = "bylaws" | "members" | "code";

const GOVERNED_RE = /coop-(bylaws|members|code):\s*sha256=([0-9a-fA-F]{64})/g;

export function governedBindingLine(what: GovernedFile, digest: string): string {
  return `coop-${what}: sha256=${digest}`;
}

const SUMMARY_RE = /coop-summary:\s*sha256=([0-9a-fA-F]{64})/g;

export function summaryBindingLine(digest: string): string {
  return `coop-summary: sha256=${digest}`;
}

/** The summary digests a poll's details carry. */
export function findSummaryDigests(details: string | null | undefined): string[] {
  return [...new Set([...detailsText(details).matchAll(SUMMARY_RE)].map((m) => m[1].toLowerCase()))];
}

/** What a poll must bind to for the decision being recorded. */
export type Expectation =
  | { readonly kind: "plan"; readonly stack: string; readonly digest: string }
  | { readonly kind: "standing"; readonly terms: StandingTerms }
  | { readonly kind: "governed"; readonly what: GovernedFile; readonly digest: string };

export interface BindingCheck {
  readonly passed: boolean;
  /** The line found for this decision, if any. */
  readonly line: string | null;
  readonly detail: string;
}

export function checkBinding(details: string | null | undefined, expected: Expectation): BindingCheck {
  if (expected.kind === "governed") {
    const want = governedBindingLine(expected.what, expected.digest);
    const found = [...detailsText(details).matchAll(GOVERNED_RE)]
      .filter((m) => m[1] === expected.what)
      .map((m) => governedBindingLine(expected.what, m[2].toLowerCase()));
    const distinct = [...new Set(found)];
    if (distinct.length === 0)
      return { passed: false, line: null, detail: `the poll's details carry no line '${governedBindingLine(expected.what, "<digest>")}'` };
    if (distinct.length === 1 && distinct[0] === want) return { passed: true, line: want, detail: `binds ${want}` };
    return { passed: false, line: distinct[0], detail: `the poll binds '${distinct.join("', '")}', not '${want}'` };
  }
  if (expected.kind === "standing") {
    const want = standingBindingLine(expected.terms);
    const found = findStandingBindings(details);
    if (found.length === 0) return { passed: false, line: null, detail: `the poll's details carry no line '${want}'` };
    if (found.includes(want) && found.length === 1) return { passed: true, line: want, detail: `binds ${want}` };
    return { passed: false, line: found[0], detail: `the poll binds '${found.join("', '")}', not '${want}'` };
  }
  const all = findPlanBindings(details);
  const mine = all.filter((b) => b.stack === expected.stack);
  if (all.length === 0)
    return {
      passed: false,
      line: null,
      detail: `the poll's details carry no binding line (${planBindingLine(expected.stack, "<digest>")})`,
    };
  if (mine.length === 0) {
    return {
      passed: false,
      line: null,
      detail: `the poll binds stack ${[...new Set(all.map((b) => `'${b.stack}'`))].join(", ")}, not '${expected.stack}'`,
    };
  }
  const digests = [...new Set(mine.map((b) => b.digest))];
  if (digests.length > 1)
    return { passed: false, line: mine[0].line, detail: `the poll binds stack '${expected.stack}' to ${digests.length} different digests` };
  if (digests[0] !== expected.digest) {
    return {
      passed: false,
      line: mine[0].line,
      detail: `the poll approved sha256 ${digests[0].slice(0, 12)}…, but the plan rendered now is ${expected.digest.slice(0, 12)}…`,
    };
  }
  return {
    passed: true,
    line: mine[0].line,
    detail: `binds stack '${expected.stack}' to the plan rendered now (sha256 ${expected.digest.slice(0, 12)}…)`,
  };
}
