/**
 * A throw-away copy of the repository whose stacks are approved as they plan now: fresh
 * genesis decisions signed (in Node) by members with throw-away keys, and their locks. Tests
 * of the gate start from this green state and then break one thing at a time.
 */
import { readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { genesisFiles, planGenesis } from "../../cli/ledger/genesis";
import { evaluatePoll } from "../../rulebook/loomio/poll-rules";
import { planBindingLine } from "../../rulebook/loomio/binding";
import { loadGovernance } from "../../rulebook/ledger/load";
import type { ChangeRecord, Decision, PollEvidence } from "../../rulebook/records/decision";
import type { Lock } from "../../plan/lock";
import { loadStackSpec } from "../../stacks/load";
import { readProjectName } from "../../kernel/repo";
import { nodeKey, signWith, writeDecisionFile, writeLockFile, writeMembers, type NodeKey } from "./governance";
import { tempRepo } from "./repo";

export interface ApprovedRepo {
  readonly root: string;
  readonly keys: Readonly<Record<"ada" | "grace", NodeKey>>;
  readonly genesis: Readonly<Record<string, Decision & { digest: string }>>;
  /** Appends the named members' signatures. */
  sign(d: Decision, ...who: Array<"ada" | "grace">): Decision;
  write(d: Decision): void;
  writeLock(lock: Lock): void;
  rulesSha256(): string;
  cleanup(): void;
}

const AT = "2026-01-01T00:00:00.000Z";

export async function approvedRepo(stacks: string[] = ["example"]): Promise<ApprovedRepo> {
  const repo = tempRepo();
  const keys = { ada: nodeKey("ada"), grace: nodeKey("grace") };
  writeMembers(repo.root, [
    { name: "ada", roles: ["admin", "tech"], keys: [keys.ada.line] },
    { name: "grace", roles: ["admin"], keys: [keys.grace.line] },
  ]);
  for (const dir of ["governance/decisions", "governance/approved"]) {
    for (const f of readdirSync(join(repo.root, dir))) rmSync(join(repo.root, dir, f));
  }
  const gov = loadGovernance(repo.root);
  const specs = stacks.map((stack) => ({ stack, spec: loadStackSpec(repo.root, stack).spec }));
  const entries = await planGenesis({
    project: readProjectName(repo.root),
    coopName: specs[0].spec.coop.name,
    rules: gov.rules!,
    stacks: specs,
    at: AT,
    note: () => "test",
  });
  const signed = entries.map((e) => ({ ...e, decision: signWith(e.decision, "ada", keys.ada) }));
  for (const [path, text] of genesisFiles(repo.root, signed)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  const genesis = Object.fromEntries(signed.map((e) => [e.stack, e.decision as Decision & { digest: string }]));
  return {
    root: repo.root,
    keys,
    genesis,
    sign: (d, ...who) => who.reduce((acc, w) => signWith(acc, w, keys[w]), d),
    write: (d) => void writeDecisionFile(repo.root, d),
    writeLock: (lock) => writeLockFile(repo.root, lock),
    rulesSha256: () => loadGovernance(repo.root).rulesSha256!,
    cleanup: repo.cleanup,
  };
}

/** A change decision recorded from a passing Loomio poll for `lock` (unsigned). */
export function pollDecision(
  repo: ApprovedRepo,
  args: {
    stack: string;
    id: string;
    previous: Decision & { digest: string };
    lock: Lock;
    changes?: ChangeRecord[];
    closedAt?: string | null;
    recordedAt?: string;
    binding?: string;
    evidence?: Partial<PollEvidence>;
  },
): Decision {
  const recordedAt = args.recordedAt ?? "2026-03-11T09:00:00.000Z";
  const closedAt = args.closedAt === undefined ? "2026-03-10T12:00:03.512Z" : args.closedAt;
  const applied = { groupId: 42, wholeGroup: true, types: ["proposal"], quorum: 0.5, threshold: "2/3", blocksAllowed: 0, maxAgeDays: 30 };
  const base = {
    type: "loomio-poll" as const,
    url: "https://loomio.example.coop/p/AbC123xy",
    key: "AbC123xy",
    pollId: 555,
    groupId: 42,
    title: "Infrastructure change",
    pollType: "proposal",
    closingAt: "2026-03-10T12:00:00.000Z",
    closedAt,
    discardedAt: null,
    specifiedVotersOnly: false,
    binding: args.binding ?? planBindingLine(args.stack, args.lock.digest),
    votersCount: 7,
    decidedVotersCount: 5,
    counts: { agree: 4, abstain: 0, disagree: 1, block: 0 },
    responseSha256: "e".repeat(64),
    fetchedAt: recordedAt,
    applied,
    ...args.evidence,
  };
  const e = evaluatePoll(
    { ...base, details: undefined },
    applied,
    { kind: "plan", stack: args.stack, digest: args.lock.digest },
    new Date(recordedAt),
  );
  const evidence: PollEvidence = { ...base, outcome: e.results.map((r) => ({ rule: r.rule, passed: r.passed, detail: r.detail })) };
  return {
    kind: "change",
    version: 1,
    id: args.id,
    project: "coop-infra",
    decidedAt: closedAt ?? recordedAt,
    recordedAt,
    summary: "test change",
    rulesSha256: repo.rulesSha256(),
    requires: { count: 1, roles: ["admin"] },
    signatures: [],
    stack: args.stack,
    digest: args.lock.digest,
    previous: args.previous.id,
    replaces: args.previous.digest,
    evidence,
    changes: args.changes ?? [],
  };
}
