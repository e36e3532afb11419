/**
 * Federation changes in the words members decide them in: which server, what happens to the
 * people here and there, and the public reason Mastodon will publish. One sentence per block or
 * allow, never folded into "Mastodon is set up": each block is its own decision.
 *
 * Severities as Mastodon applies them (docs: Moderation actions): suspend removes everything
 * from that server here and stops delivering to it; silence ("Limit") keeps its posts out of
 * public timelines, so they reach only people who follow its accounts; noop changes nothing
 * but the reject options.
 */
import type { Json, JsonObject } from "../../kernel/json";
import type { Change } from "../../plan/diff";

const FEDERATION_PARENT = "coop:mastodon:Federation";

/** A domain block or allow: a dynamic resource directly under the federation component. */
export function isFederationUrn(urn: string): boolean {
  const chain = (urn.split("::")[2] ?? "").split("$");
  return chain.at(-1) === "pulumi-nodejs:dynamic:Resource" && chain.at(-2) === FEDERATION_PARENT;
}

const EFFECT: Record<string, string> = {
  suspend: "people here stop seeing its posts and it stops receiving ours; its accounts' posts, follows and media here are removed",
  silence: "its posts reach people here only if they follow its accounts, and stay out of the public timelines",
  noop: "it stays federated",
};
const VERB: Record<string, string> = { suspend: "Suspend", silence: "Limit", noop: "Restrict" };
const STATE: Record<string, string> = { suspend: "suspended", silence: "limited", noop: "not limited" };
const RANK: Record<string, number> = { noop: 0, silence: 1, suspend: 2 };

function text(v: Json | undefined): string {
  return typeof v === "string" ? v : "";
}

function extras(i: JsonObject): string[] {
  const out: string[] = [];
  if (i.severity !== "suspend" && i.rejectMedia === true) out.push("its media files are not stored here");
  if (i.severity !== "suspend" && i.rejectReports === true) out.push("reports from it are ignored");
  if (i.obfuscate === true) out.push("the public list shows its name partly hidden");
  return out;
}

function reason(i: JsonObject): string {
  const r = text(i.publicComment);
  return r ? `public reason: “${r}”` : "no public reason";
}

function domainOf(c: Change, i: JsonObject | undefined): string {
  return text(i?.domain) || c.name;
}

/** The sentences of the federation changes in `changes` (others are ignored). */
export function federationSentences(
  changes: readonly Change[],
  inputsOf?: (urn: string, side: "before" | "after") => JsonObject | undefined,
): string[] {
  const out: string[] = [];
  for (const c of changes) {
    if (!isFederationUrn(c.urn)) continue;
    const before = inputsOf?.(c.urn, "before");
    const after = inputsOf?.(c.urn, "after");
    const i = (c.op === "delete" ? before : after) ?? {};
    const domain = domainOf(c, i);
    if (i.kind === "allow") {
      out.push(
        c.op === "delete"
          ? `Stop allowing ${domain}: in limited-federation mode, Mastodon no longer federates with it.`
          : `Allow ${domain}: in limited-federation mode, Mastodon federates with it.`,
      );
      continue;
    }
    const severity = text(i.severity);
    if (c.op === "create") {
      const effect = [EFFECT[severity] ?? `severity ${severity}`, ...extras(i)].join("; ");
      out.push(`${VERB[severity] ?? "Block"} ${domain} (${reason(i)}): ${effect}.`);
      continue;
    }
    if (c.op === "delete") {
      const was = STATE[severity] ?? severity;
      out.push(
        severity === "suspend"
          ? `Lift the suspension of ${domain} (it was ${was}): people here can follow it again and it receives our posts.`
          : `Lift the block of ${domain} (it was ${was}): its posts reach people here as any server's do.`,
      );
      continue;
    }
    out.push(updateSentence(domain, before ?? {}, after ?? {}, c));
  }
  return out;
}

function updateSentence(domain: string, a: JsonObject, b: JsonObject, c: Change): string {
  const parts: string[] = [];
  const changed = new Set((c.details ?? []).map((d) => d.path.split(/[.[]/)[0]));
  if (changed.has("severity")) {
    const from = text(a.severity);
    const to = text(b.severity);
    const lower = (RANK[to] ?? 0) < (RANK[from] ?? 0);
    parts.push(`${lower ? "⚠ lowered" : "raised"} from ${STATE[from] ?? from} to ${STATE[to] ?? to}: ${EFFECT[to] ?? to}`);
  }
  if (changed.has("rejectMedia"))
    parts.push(b.rejectMedia === true ? "its media files are no longer stored here" : "its media files are stored here again");
  if (changed.has("rejectReports")) parts.push(b.rejectReports === true ? "reports from it are ignored" : "reports from it count again");
  if (changed.has("publicComment"))
    parts.push(text(b.publicComment) ? `public reason now: “${text(b.publicComment)}”` : "the public reason is removed");
  if (changed.has("privateComment")) parts.push("the moderators' note changes");
  if (changed.has("obfuscate"))
    parts.push(b.obfuscate === true ? "the public list shows its name partly hidden" : "the public list shows its full name");
  const known = ["severity", "rejectMedia", "rejectReports", "publicComment", "privateComment", "obfuscate"];
  const other = [...changed].filter((p) => !known.includes(p));
  if (other.length) parts.push(`⚠ also changes ${other.join(", ")}`);
  return `The block of ${domain} changes: ${parts.join("; ")}.`;
}
