/**
 * Fetching a poll from the co-op's Loomio instance (the one the bylaws pin) as a decision's
 * evidence: Loomio's answer, kept without who voted what, from which the rulebook recomputes
 * every fact.
 */
import { now } from "../../kernel/clock";
import { keptAnswer, MalformedPoll, pollFactsFromResponse, type PollEvidence, type PollFacts, type Rules } from "../../rulebook";
import type { Context } from "../context";
import { DEFAULT_TIMEOUT_MS, LoomioClient, LoomioError } from "./client";
import { loomioConfigFromEnv } from "./config";
import { parsePollRef } from "./poll-ref";

export function backoffFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  // Lets tests and impatient scripts shorten the retry back-off; Retry-After is honoured regardless.
  const v = env.COOP_LOOMIO_BACKOFF_MS;
  return v && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Each request's deadline, shortened by COOP_LOOMIO_TIMEOUT_MS (tests of a hostile Loomio); never lengthened past the default. */
export function timeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.COOP_LOOMIO_TIMEOUT_MS;
  return v && /^\d+$/.test(v) && Number(v) > 0 && Number(v) < DEFAULT_TIMEOUT_MS ? Number(v) : undefined;
}

export function loomioClient(ctx: Context, rules: Rules, pollOrigin?: string): LoomioClient {
  const config = loomioConfigFromEnv(ctx.env, rules.loomio.url, { pollOrigin });
  return new LoomioClient(config, {
    log: (m) => ctx.io.err(`coop: ${m}`),
    backoffMs: backoffFromEnv(ctx.env),
    timeoutMs: timeoutFromEnv(ctx.env),
  });
}

export interface FetchedPoll {
  readonly evidence: PollEvidence;
  readonly facts: PollFacts;
}

/** Fetches the poll `arg` (a key or an address at the co-op's instance). */
export async function fetchPollEvidence(ctx: Context, rules: Rules, arg: string): Promise<FetchedPoll> {
  const ref = parsePollRef(arg);
  const client = loomioClient(ctx, rules, ref.origin);
  return fetchWith(client, ref.key);
}

export async function fetchWith(client: LoomioClient, key: string): Promise<FetchedPoll> {
  const res = await client.getPoll(key);
  let facts: PollFacts;
  let answer: ReturnType<typeof keptAnswer>;
  try {
    facts = pollFactsFromResponse(res.body, key);
    answer = keptAnswer(res.body, key);
  } catch (e) {
    if (e instanceof MalformedPoll)
      throw new LoomioError(
        `Loomio's answer for poll '${key}' cannot be used: ${client.scrub(e.message)}`,
        "check that the bylaws' loomio.url is the co-op's Loomio instance",
      );
    throw e;
  }
  // The record keeps the canonical address, not whatever was typed (a title slug, a query).
  return {
    facts,
    evidence: { type: "loomio-poll", url: client.pollUrl(facts.key), fetchedAt: now().toISOString(), answer: answer as never },
  };
}
