/**
 * What a change to the bylaws, the members list or the code means, in words, from the two
 * stored versions: "polls.threshold: 2/3 → 3/4", "linus joins as member", "12 files change
 * (rulebook/checks/order.ts, …)". Proposals carry it; decisions keep it; verify renders it again.
 */
import type { Json } from "../../kernel/json";
import { codeChanges, type CodeManifest } from "../records/code";
import type { Members } from "../records/members";
import type { Rules } from "../records/rules";
import type { StandingTerms } from "../records/decision";
import { membersChange } from "../changes/membership";
import { joinWords } from "./plain-words";

function flatten(v: Json, prefix: string, out: Map<string, string>): void {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    for (const k of Object.keys(v).sort()) flatten(v[k], prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix, JSON.stringify(v));
}

export function bylawsSummary(before: Rules, after: Rules): string {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before as unknown as Json, "", a);
  flatten(after as unknown as Json, "", b);
  const lines: string[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (a.get(k) === b.get(k)) continue;
    lines.push(`- ${k}: ${a.get(k) ?? "(unset)"} → ${b.get(k) ?? "(unset)"}`);
  }
  return ["**What changes in the bylaws (governance/rules.yaml)**", "", ...(lines.length ? lines : ["- Nothing changes."])].join("\n");
}

export function membersSummary(before: Members, after: Members): string {
  const c = membersChange(before, after);
  const lines = [
    ...c.joined.map((m) => `- ${m.name}${m.displayName ? ` (${m.displayName})` : ""} joins as ${joinWords(m.roles)}.`),
    ...c.left.map((m) => `- ${m.name} leaves.`),
    ...c.roles.map((r) => `- ${r.name}'s roles change: ${joinWords([...r.from]) || "none"} → ${joinWords([...r.to]) || "none"}.`),
    ...c.keys.map(
      (k) =>
        `- ${k.name} ${k.added && k.removed ? "replaces" : k.added ? "adds" : "removes"} ${Math.max(k.added, k.removed) === 1 ? "a signing key" : `${Math.max(k.added, k.removed)} signing keys`}.`,
    ),
    ...c.details.map((n) => `- ${n}'s name or Loomio account changes.`),
  ];
  return ["**What changes in the members list (governance/members.yaml)**", "", ...(lines.length ? lines : ["- Nothing changes."])].join(
    "\n",
  );
}

const LISTED = 60;

export function codeSummary(before: CodeManifest | undefined, after: CodeManifest): string {
  const changes = codeChanges(before, after);
  const count = (op: string) => changes.filter((c) => c.op === op).length;
  const lines = changes.slice(0, LISTED).map((c) => `- ${c.path} (${c.op})`);
  if (changes.length > LISTED) lines.push(`- … and ${changes.length - LISTED} more`);
  return [
    `**What changes in the code** (${changes.length} file${changes.length === 1 ? "" : "s"}: ${count("added")} added, ${count("changed")} changed, ${count("removed")} removed)`,
    "",
    ...(lines.length ? lines : ["- Nothing changes."]),
  ].join("\n");
}

export function standingSummary(terms: StandingTerms, descriptions: Readonly<Record<string, string>>): string {
  const stacks = terms.stacks.includes("*")
    ? "every stack"
    : `stack${terms.stacks.length === 1 ? "" : "s"} ${joinWords([...terms.stacks])}`;
  return [
    `**What the admins may then do without a separate vote** (on ${stacks}, ${terms.until ? `until ${terms.until.slice(0, 10)}` : "until the members revoke it"})`,
    "",
    ...terms.classes.map((c) => `- ${c}: ${descriptions[c] || c}`),
  ].join("\n");
}
