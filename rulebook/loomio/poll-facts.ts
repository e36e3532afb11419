/**
 * What coop reads from Loomio's b2 poll response (GET /api/b2/polls/:key): the poll's facts,
 * with the votes counted per option *icon* (agree, abstain, disagree, block), never by option
 * name, which co-ops translate and rename. Unknown fields are ignored; a discarded poll has
 * most fields null, which is allowed here and fails the rules later.
 */
import { z } from "zod";

const nullableString = z.string().nullable().optional();
const count = z.number().int().min(0).nullable().optional();

const ResultSchema = z.looseObject({
  id: z.number().optional(),
  icon: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  voter_count: z.number().int().min(0).nullable().optional(),
});

const PollSchema = z.looseObject({
  id: z.number().int(),
  key: z.string().min(1),
  poll_type: nullableString,
  title: nullableString,
  details: nullableString,
  group_id: z.number().int().nullable().optional(),
  closing_at: nullableString,
  closed_at: nullableString,
  discarded_at: nullableString,
  specified_voters_only: z.boolean().nullable().optional(),
  voters_count: count,
  decided_voters_count: count,
  stance_counts: z.array(z.number().int().min(0)).nullable().optional(),
  results: z.array(ResultSchema).nullable().optional(),
  poll_option_ids: z.array(z.number().int()).nullable().optional(),
});

const PollOptionSchema = z.looseObject({
  id: z.number().int(),
  poll_id: z.number().int().nullable().optional(),
  icon: z.string().nullable().optional(),
  priority: z.number().nullable().optional(),
  name: z.string().nullable().optional(),
  meaning: z.string().nullable().optional(),
});

export const PollResponseSchema = z.looseObject({
  polls: z.array(PollSchema).min(1),
  poll_options: z.array(PollOptionSchema).optional(),
});

export const COUNTED_ICONS = ["agree", "abstain", "disagree", "block"] as const;
export type Counts = Record<(typeof COUNTED_ICONS)[number], number>;

/** A poll's facts in the shape decision records keep (PollEvidence without the evaluation). */
export interface PollFacts {
  readonly pollId: number;
  readonly key: string;
  readonly groupId: number | null;
  readonly title: string | null;
  readonly details: string | null;
  readonly pollType: string | null;
  readonly closingAt: string | null;
  readonly closedAt: string | null;
  readonly discardedAt: string | null;
  readonly specifiedVotersOnly: boolean | null;
  readonly votersCount: number;
  readonly decidedVotersCount: number;
  /** Undefined when Loomio does not show the results (an open poll with hidden results). */
  readonly counts?: Counts;
  /** The options the poll offered, in Loomio's order (priority). */
  readonly options: readonly PollOptionFacts[];
}

export interface PollOptionFacts {
  readonly icon: string | null;
  readonly name: string | null;
  readonly meaning: string | null;
}

export class MalformedPoll extends Error {}

/**
 * Reads the poll out of a parsed b2 response; throws MalformedPoll when the shape is not
 * Loomio's, when it is not the poll asked for (`wantKey`: its key or numeric id), or when its
 * counts contradict each other.
 */
export function pollFactsFromResponse(body: unknown, wantKey?: string): PollFacts {
  const parsed = PollResponseSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedPoll(`the response is not a Loomio poll (${issue.path.join(".") || "top level"}: ${issue.message})`);
  }
  const polls = parsed.data.polls;
  // Another poll's votes must never be recorded as this one's (a proxy or cache answering for another key).
  const poll = wantKey === undefined ? polls[0] : polls.find((p) => p.key === wantKey || String(p.id) === wantKey);
  if (!poll)
    throw new MalformedPoll(
      `the response is for poll ${polls.map((p) => `'${p.key}' (id ${p.id})`).join(", ")}, not the poll '${wantKey}' coop asked for`,
    );
  const facts: PollFacts = {
    pollId: poll.id,
    key: poll.key,
    groupId: poll.group_id ?? null,
    title: poll.title ?? null,
    details: poll.details ?? null,
    pollType: poll.poll_type ?? null,
    closingAt: timestamp(poll.closing_at, "closing_at"),
    closedAt: timestamp(poll.closed_at, "closed_at"),
    discardedAt: timestamp(poll.discarded_at, "discarded_at"),
    specifiedVotersOnly: poll.specified_voters_only ?? null,
    votersCount: poll.voters_count ?? 0,
    decidedVotersCount: poll.decided_voters_count ?? 0,
    counts: tally(poll, parsed.data.poll_options),
    options: optionsOf(poll, parsed.data.poll_options),
  };
  checkCounts(facts);
  return facts;
}

/**
 * Each decided voter holds one stance, so the votes per icon add up to decided_voters_count,
 * and no more voters decided than were invited. Quorum and threshold are computed from these
 * numbers; counts that disagree would make the outcome whatever the larger one says.
 */
function checkCounts(f: PollFacts): void {
  if (f.decidedVotersCount > f.votersCount) {
    throw new MalformedPoll(`decided_voters_count (${f.decidedVotersCount}) is larger than voters_count (${f.votersCount})`);
  }
  if (!f.counts) return;
  const sum = COUNTED_ICONS.reduce((n, icon) => n + f.counts![icon], 0);
  if (sum !== f.decidedVotersCount) {
    throw new MalformedPoll(
      `the votes per option add up to ${sum} (${COUNTED_ICONS.map((i) => `${i} ${f.counts![i]}`).join(", ")}), but decided_voters_count is ${f.decidedVotersCount}`,
    );
  }
}

function timestamp(v: string | null | undefined, field: string): string | null {
  if (v === null || v === undefined) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new MalformedPoll(`${field} is not a timestamp: '${v}'`);
  return new Date(t).toISOString();
}

type Poll = z.output<typeof PollSchema>;
type PollOption = z.output<typeof PollOptionSchema>;

function emptyCounts(): Counts {
  return { agree: 0, abstain: 0, disagree: 0, block: 0 };
}

function addByIcon(counts: Counts, icon: string, n: number, where: string): void {
  if (!(COUNTED_ICONS as readonly string[]).includes(icon)) {
    throw new MalformedPoll(
      `${where} has an option with icon '${icon}', which coop cannot count (it counts agree, abstain, disagree and block)`,
    );
  }
  counts[icon as keyof Counts] += n;
}

/** Votes per icon from `results`, else from `stance_counts` aligned with the options by priority. */
function tally(poll: Poll, options: PollOption[] | undefined): Counts | undefined {
  let fromResults: Counts | undefined;
  if (poll.results && poll.results.length > 0) {
    fromResults = emptyCounts();
    for (const r of poll.results) {
      // The undecided pseudo-option (id -1) has no icon.
      if (!r.icon) continue;
      addByIcon(fromResults, r.icon, r.voter_count ?? 0, "results");
    }
  }
  let fromStances: Counts | undefined;
  if (poll.stance_counts && poll.stance_counts.length > 0) {
    const ids = poll.poll_option_ids ?? [];
    const own = (options ?? []).filter((o) => ids.length === 0 || ids.includes(o.id)).sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
    if (own.length === poll.stance_counts.length) {
      fromStances = emptyCounts();
      own.forEach((o, i) => {
        if (!o.icon) throw new MalformedPoll(`poll option ${o.id} has no icon`);
        addByIcon(fromStances as Counts, o.icon, poll.stance_counts![i], "poll_options");
      });
    } else if (!fromResults) {
      throw new MalformedPoll(
        `stance_counts has ${poll.stance_counts.length} entries but the response lists ${own.length} options for the poll`,
      );
    }
  }
  if (fromResults && fromStances && COUNTED_ICONS.some((i) => fromResults![i] !== fromStances![i])) {
    throw new MalformedPoll(
      `results and stance_counts disagree (results: ${JSON.stringify(fromResults)}, stance_counts: ${JSON.stringify(fromStances)})`,
    );
  }
  return fromResults ?? fromStances;
}

/** The poll's own options (by poll_option_ids, else poll_id), in the order Loomio shows them. */
function optionsOf(poll: Poll, options: PollOption[] | undefined): PollOptionFacts[] {
  const ids = poll.poll_option_ids ?? [];
  const own = (options ?? []).filter((o) =>
    ids.length ? ids.includes(o.id) : o.poll_id === undefined || o.poll_id === null || o.poll_id === poll.id,
  );
  if (own.length === 0 && poll.results) {
    // Without poll_options, the results name the options (the undecided pseudo-option has no icon).
    return poll.results.filter((r) => r.icon).map((r) => ({ icon: r.icon ?? null, name: r.name ?? null, meaning: null }));
  }
  return own
    .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))
    .map((o) => ({ icon: o.icon ?? null, name: o.name ?? null, meaning: o.meaning ?? null }));
}

/** The poll fields a record keeps: every fact coop computes, nothing about who voted what. */
const KEPT_POLL_FIELDS = [
  "id",
  "key",
  "poll_type",
  "title",
  "details",
  "details_format",
  "group_id",
  "created_at",
  "closing_at",
  "closed_at",
  "discarded_at",
  "specified_voters_only",
  "anonymous",
  "hide_results",
  "voters_count",
  "decided_voters_count",
  "undecided_voters_count",
  "stance_counts",
  "poll_option_ids",
  "poll_option_names",
  "poll_template_key",
] as const;
const KEPT_RESULT_FIELDS = ["id", "icon", "name", "voter_count"] as const;
const KEPT_OPTION_FIELDS = ["id", "poll_id", "icon", "name", "priority", "meaning"] as const;

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in o) out[k] = o[k];
  return out;
}

/**
 * Loomio's answer as a record keeps it: the asked-for poll and its options, with the fields
 * every fact is computed from, and without voters' identities (voter ids and scores per option,
 * the users list): the ledger may be public, a vote need not be.
 */
export function keptAnswer(body: unknown, wantKey: string): { polls: Record<string, unknown>[]; poll_options: Record<string, unknown>[] } {
  const facts = pollFactsFromResponse(body, wantKey);
  const b = body as { polls: Record<string, unknown>[]; poll_options?: Record<string, unknown>[] };
  const poll = b.polls.find((p) => p.key === facts.key)!;
  const kept = pick(poll, KEPT_POLL_FIELDS);
  if (Array.isArray(poll.results)) kept.results = (poll.results as Record<string, unknown>[]).map((r) => pick(r, KEPT_RESULT_FIELDS));
  const ids = Array.isArray(poll.poll_option_ids) ? (poll.poll_option_ids as number[]) : undefined;
  const options = (b.poll_options ?? [])
    .filter((o) => (ids ? ids.includes(o.id as number) : o.poll_id === poll.id))
    .map((o) => pick(o, KEPT_OPTION_FIELDS));
  return { polls: [kept], poll_options: options };
}
