/**
 * `coop verify --online`: every poll a decision recorded is fetched again from the co-op's
 * Loomio instance and compared with the recorded answer — closed state, counts, options, group,
 * and the text with its binding lines. A poll reopened, edited or recounted after its decision
 * was recorded is a finding; so is one that can no longer be fetched.
 */
import type { Finding, L, Ledger, PollFacts } from "../../rulebook";
import { currentVersion, type Decision, MalformedPoll } from "../../rulebook";
import { pollKeyAt, recordedFacts } from "../../rulebook/checks/evidence";
import type { Context } from "../context";
import { LoomioError } from "../loomio/client";
import { fetchWith, loomioClient } from "../loomio/poll-evidence";

const PARALLEL = 4;

function differences(a: PollFacts, b: PollFacts): string[] {
  const out: string[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (a.closedAt !== b.closedAt) out.push(`closed ${a.closedAt ?? "never"} → ${b.closedAt ?? "open (reopened)"}`);
  if (a.discardedAt !== b.discardedAt) out.push(`discarded ${b.discardedAt ?? "no longer"}`);
  if (a.groupId !== b.groupId) out.push(`group ${a.groupId} → ${b.groupId}`);
  if (a.votersCount !== b.votersCount || a.decidedVotersCount !== b.decidedVotersCount)
    out.push(`voters ${a.decidedVotersCount}/${a.votersCount} → ${b.decidedVotersCount}/${b.votersCount}`);
  if (!same(a.counts, b.counts)) out.push(`votes ${JSON.stringify(a.counts)} → ${JSON.stringify(b.counts)}`);
  if (!same(a.options, b.options)) out.push("the options changed");
  if ((a.details ?? "") !== (b.details ?? "")) out.push("the text (details) changed");
  if (a.specifiedVotersOnly !== b.specifiedVotersOnly) out.push("who may vote changed");
  return out;
}

export async function onlineFindings(ctx: Context, ledger: Ledger): Promise<{ findings: Finding[]; polls: number }> {
  // The bylaws in force pin the instance (never the working rules.yaml, which a pull request edits);
  // without them, the offline checks already refuse the ledger.
  const inForce = currentVersion(ledger);
  if (!inForce || !("ok" in inForce)) return { findings: [], polls: 0 };
  const rules = inForce.ok.rules;
  const client = loomioClient(ctx, rules);
  const polled = ledger.decisions.filter((d) => "evidence" in d.decision && d.decision.evidence?.type === "loomio-poll") as Array<
    L<Decision & { evidence: { type: "loomio-poll"; url: string } }>
  >;
  const findings: Finding[] = [];
  let next = 0;
  const one = async (d: (typeof polled)[number]) => {
    const ev = d.decision.evidence;
    const at = {
      file: d.file,
      decision: d.id,
      stack: "stack" in d.decision ? (d.decision as { stack: string }).stack : undefined,
      field: "evidence",
    };
    const key = pollKeyAt(ev.url, rules.loomio.url);
    if (!key) {
      findings.push({
        ...at,
        code: "poll-instance",
        level: "warning",
        message: `its poll (${ev.url.slice(0, 120)}) is not at the co-op's current Loomio instance, so it cannot be fetched again`,
        remediation: "nothing to do if the co-op moved instances by a bylaws decision",
      });
      return;
    }
    const recorded = recordedFacts(ev as never, key);
    if (recorded instanceof MalformedPoll) return; // verify reports it offline
    try {
      const now = await fetchWith(client, key);
      const diff = differences(recorded, now.facts);
      if (diff.length) {
        findings.push({
          ...at,
          code: "poll-changed",
          level: "error",
          message: `Loomio's answer for poll ${key} now differs from the recorded one: ${diff.join("; ")}`,
          remediation:
            "ask the Loomio admins why the poll changed after it was recorded; if the vote no longer stands, the members decide again",
        });
      }
    } catch (e) {
      if (!(e instanceof LoomioError)) throw e;
      findings.push({
        ...at,
        code: "poll-changed",
        level: "error",
        message: `poll ${key} cannot be fetched again: ${e.message}`,
        remediation: e.hint ?? "check LOOMIO_API_KEY and the network",
      });
    }
  };
  const workers = Array.from({ length: Math.min(PARALLEL, polled.length) }, async () => {
    while (next < polled.length) await one(polled[next++]);
  });
  await Promise.all(workers);
  return { findings, polls: polled.length };
}
