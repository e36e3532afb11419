/**
 * A multi-line value (a rendered file, a script) changes line by line: people read the lines
 * that changed, not the whole file squashed onto one line. The diff itself is jsdiff's.
 */
import { diffLines } from "diff";

export function isMultiLine(v: unknown): v is string {
  return typeof v === "string" && v.includes("\n");
}

/** The changed lines of `before` → `after`, as "- old" / "+ new", at most `limit` of them. */
export function changedLines(before: string, after: string, limit = 20): string[] {
  const out: string[] = [];
  let total = 0;
  for (const part of diffLines(before, after)) {
    if (!part.added && !part.removed) continue;
    for (const line of part.value.replace(/\n$/, "").split("\n")) {
      total++;
      if (out.length < limit) out.push(`${part.added ? "+" : "-"} ${line}`);
    }
  }
  if (total > limit) out.push(`… and ${total - limit} more changed line${total - limit === 1 ? "" : "s"}`);
  return out;
}
