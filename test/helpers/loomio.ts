/**
 * A loopback Loomio for tests: node:http on 127.0.0.1, port 0, answering with Loomio's real b2
 * JSON shapes (test/oracles/loomio/, with their sources). Each test scripts the answers —
 * hostile ones too: slow, dripping, huge, malformed — and inspects the requests it received.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { REPO_ROOT } from "./repo";

function readOracle(name: string): string {
  return readFileSync(join(REPO_ROOT, "test", "oracles", "loomio", name), "utf8");
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
  /** Wait this long before answering (time-out tests). */
  readonly delayMs?: number;
  /** Send the headers, then one byte of the body every this many ms, never ending (a server that drips). */
  readonly dripMs?: number;
  /** Send the body in two writes without a Content-Length (chunked), so its size is known only by reading it. */
  readonly chunked?: boolean;
}

export interface FakeLoomio {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Answers in order; the last one repeats. */
  answers: Answer[];
  close(): Promise<void>;
}

export async function startLoomio(answers: Answer[] = []): Promise<FakeLoomio> {
  const requests: SeenRequest[] = [];
  const fake = { url: "", requests, answers, close: async () => undefined } as FakeLoomio;
  let n = 0;
  let scripted: Answer[] | undefined;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      // A newly scripted list of answers starts from its first.
      if (scripted !== fake.answers) {
        scripted = fake.answers;
        n = 0;
      }
      const a = fake.answers[Math.min(n++, fake.answers.length - 1)] ?? { status: 500, body: "no answer scripted" };
      const send = () => {
        res.writeHead(a.status, { "Content-Type": "application/json", ...(a.headers ?? {}) });
        if (a.dripMs) {
          const timer = setInterval(() => res.write(" "), a.dripMs);
          res.on("close", () => clearInterval(timer));
          return;
        }
        if (a.chunked) {
          const half = Math.floor(a.body.length / 2);
          res.write(a.body.slice(0, half));
          res.end(a.body.slice(half));
          return;
        }
        res.end(a.body);
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  (fake as { url: string }).url = `http://127.0.0.1:${port}`;
  (fake as { close: () => Promise<void> }).close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}

type Json = Record<string, unknown>;

/** Loomio's closed proposal (test/oracles/loomio), with the overrides applied to polls[0]. */
export function closedPoll(overrides: Json = {}): Json {
  const body = JSON.parse(readOracle("loomio-b2-poll-show.closed-proposal.json")) as Json & { polls: Json[] };
  body.polls[0] = { ...body.polls[0], ...overrides };
  return body;
}

export function createdPoll(): Json {
  const body = JSON.parse(readOracle("loomio-b2-poll-create.response.json")) as Json;
  delete body._endpoint;
  delete body._omitted;
  return body;
}

/** The oracle poll's results with the given votes per icon (keeping Loomio's shape and the undecided row). */
export function withVotes(votes: { agree: number; abstain: number; disagree: number; block: number }, voters: number): Json {
  const base = closedPoll() as { polls: Array<{ results: Array<Json & { icon?: string }> }> };
  const results = base.polls[0].results.map((r) =>
    r.icon
      ? { ...r, voter_count: votes[r.icon as keyof typeof votes], score: votes[r.icon as keyof typeof votes] }
      : { ...r, voter_count: voters - (votes.agree + votes.abstain + votes.disagree + votes.block) },
  );
  const decided = votes.agree + votes.abstain + votes.disagree + votes.block;
  return {
    results,
    stance_counts: [votes.agree, votes.abstain, votes.disagree, votes.block],
    voters_count: voters,
    decided_voters_count: decided,
    undecided_voters_count: voters - decided,
  };
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Answer {
  return { status, body: typeof body === "string" ? body : JSON.stringify(body), headers };
}
