import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkLockBacked, loadGovernance, verifyLedger, type Finding } from "../../../rulebook";
import { planBindingLine } from "../../../rulebook/loomio/binding";
import type { Decision, PollEvidence } from "../../../rulebook/records/decision";
import { evaluatePoll, type AppliedRules } from "../../../rulebook/loomio/poll-rules";
import type { Lock } from "../../../plan/lock";
import {
  emptyRepo,
  nodeKey,
  signWith,
  syntheticLock,
  writeDecisionFile,
  writeLockFile,
  writeMembers,
  type NodeKey,
} from "../../helpers/governance";

const KEYS: Record<string, NodeKey> = {
  ada: nodeKey("ada"),
  grace: nodeKey("grace"),
  tom: nodeKey("tom"),
  eve: nodeKey("eve"),
  old: nodeKey("old"),
};
const APPLIED: AppliedRules = {
  groupId: 42,
  wholeGroup: true,
  types: ["proposal"],
  quorum: 0.5,
  threshold: "2/3",
  blocksAllowed: 0,
  maxAgeDays: 30,
};
const NOW = new Date("2026-06-01T00:00:00Z");

function repo(): string {
  const root = emptyRepo();
  writeMembers(root, [
    { name: "ada", roles: ["admin", "tech"], keys: [KEYS.ada.line] },
    { name: "grace", roles: ["admin"], keys: [KEYS.grace.line] },
    { name: "tom", roles: ["member", "tech"], keys: [KEYS.tom.line] },
    { name: "old", roles: ["admin"], keys: [KEYS.old.line], left: "2026-02-01" },
  ]);
  return root;
}

function common(id: string, at: string) {
  return {
    version: 1 as const,
    id,
    project: "coop-infra",
    decidedAt: at,
    recordedAt: at,
    summary: "",
    rulesSha256: "0".repeat(64),
    requires: { count: 1, roles: ["admin"] },
    signatures: [],
  };
}

function genesis(stack: string, lock: Lock, at = "2026-01-01T00:00:00.000Z"): Decision {
  return {
    kind: "genesis",
    ...common(`${stack}-0001-genesis`, at),
    stack,
    digest: lock.digest,
    previous: null,
    replaces: null,
    note: "start",
  };
}

function evidence(stack: string, digest: string, closedAt: string, recordedAt: string, over: Partial<PollEvidence> = {}): PollEvidence {
  const base = {
    // One poll per approved state: a poll approves one decision only.
    type: "loomio-poll" as const,
    url: `https://loomio.example/p/P${digest.slice(0, 8)}`,
    key: `P${digest.slice(0, 8)}`,
    pollId: parseInt(digest.slice(0, 6), 16),
    groupId: 42,
    title: "t",
    pollType: "proposal",
    closingAt: closedAt,
    closedAt,
    discardedAt: null,
    specifiedVotersOnly: false,
    binding: planBindingLine(stack, digest),
    votersCount: 7,
    decidedVotersCount: 5,
    counts: { agree: 4, abstain: 0, disagree: 1, block: 0 },
    responseSha256: "f".repeat(64),
    fetchedAt: recordedAt,
    applied: { ...APPLIED, types: [...APPLIED.types] },
    outcome: [] as PollEvidence["outcome"],
    ...over,
  };
  const e = evaluatePoll({ ...base, details: undefined }, base.applied, { kind: "plan", stack, digest }, new Date(recordedAt));
  return { ...base, outcome: over.outcome ?? e.results.map((r) => ({ rule: r.rule, passed: r.passed, detail: r.detail })) };
}

function change(
  stack: string,
  n: number,
  prev: Decision & { digest: string },
  lock: Lock,
  at: string,
  ev?: Partial<PollEvidence>,
): Decision {
  const closedAt = ev?.closedAt !== undefined ? ev.closedAt : at;
  return {
    kind: "change",
    ...common(`${stack}-${String(n).padStart(4, "0")}-change`, at),
    decidedAt: closedAt ?? at,
    stack,
    digest: lock.digest,
    previous: prev.id,
    replaces: prev.digest,
    evidence: evidence(stack, lock.digest, closedAt as string, at, ev),
    changes: [],
  };
}

function signed(d: Decision, ...who: string[]): Decision {
  return who.reduce((acc, w) => signWith(acc, w, KEYS[w]), d);
}

function codes(fs: Finding[], level: "error" | "warning" | "any" = "error"): string[] {
  return [...new Set(fs.filter((f) => level === "any" || f.level === level).map((f) => f.code))].sort();
}

/** A sound two-decision ledger for stack example; returns what a test may then break. */
function soundLedger() {
  const root = repo();
  const l1 = syntheticLock("example", "one");
  const l2 = syntheticLock("example", "two");
  const g = signed(genesis("example", l1), "ada");
  const c = signed(change("example", 2, g as never, l2, "2026-03-11T09:00:00.000Z", { closedAt: "2026-03-10T12:00:03.512Z" }), "ada");
  writeDecisionFile(root, g);
  const cFile = writeDecisionFile(root, c);
  writeLockFile(root, l2);
  return { root, l1, l2, g, c, cFile };
}

function check(root: string, stack = "example", now = NOW) {
  const gov = loadGovernance(root);
  return { gov, lock: checkLockBacked(gov, stack, gov.locks.get(stack)?.lock, now), all: verifyLedger(gov, now) };
}

describe("a sound ledger", () => {
  it("backs the lock and verifies with no findings", () => {
    const { root } = soundLedger();
    const { lock, all } = check(root);
    expect(lock).toEqual([]);
    expect(all).toEqual([]);
  });
});

describe("tampering and broken chains", () => {
  it("a changed byte in a decision invalidates its signature", () => {
    const { root, cFile } = soundLedger();
    writeFileSync(cFile, readFileSync(cFile, "utf8").replace("decidedVotersCount: 5", "decidedVotersCount: 6"));
    expect(codes(check(root).lock)).toEqual(["signature-invalid", "signatures-insufficient"]);
  });

  it("a lock edited by hand is damaged; an older lock is not the latest; an unknown lock is unbacked", () => {
    const s1 = soundLedger();
    const lockFile = join(s1.root, "governance/approved/example.lock.json");
    writeFileSync(lockFile, readFileSync(lockFile, "utf8").replace('"cx33"', '"cx43"'));
    const r1 = check(s1.root);
    expect(codes(r1.all)).toContain("schema");
    expect(r1.all.find((f) => f.file === "governance/approved/example.lock.json")?.message).toMatch(/does not match the lock's content/);

    const s2 = soundLedger();
    writeLockFile(s2.root, s2.l1);
    expect(codes(check(s2.root).lock)).toEqual(["lock-not-latest"]);

    const s3 = soundLedger();
    writeLockFile(s3.root, syntheticLock("example", "never approved"));
    expect(codes(check(s3.root).lock)).toEqual(["lock-unbacked"]);
  });

  it("two decisions following the same one are a fork", () => {
    const { root, g } = soundLedger();
    const other = signed(
      change("example", 3, g as never, syntheticLock("example", "three"), "2026-03-12T09:00:00.000Z", {
        closedAt: "2026-03-10T12:00:03.512Z",
      }),
      "ada",
    );
    writeDecisionFile(root, other);
    expect(codes(check(root).lock)).toContain("chain-fork");
  });

  it("a decision following a missing one, or replacing another digest, breaks the chain", () => {
    const { root, c } = soundLedger();
    writeDecisionFile(
      root,
      signed({ ...(c as never as Record<string, unknown>), signatures: [], previous: "example-0009-change" } as unknown as Decision, "ada"),
    );
    expect(codes(check(root).lock)).toContain("chain-broken");
    const s2 = soundLedger();
    writeDecisionFile(
      s2.root,
      signed({ ...(s2.c as never as Record<string, unknown>), signatures: [], replaces: "e".repeat(64) } as unknown as Decision, "ada"),
    );
    expect(codes(check(s2.root).lock)).toContain("chain-replaces-mismatch");
  });

  it("a decision approving this digest for another stack does not back the lock", () => {
    const root = repo();
    const l = syntheticLock("example", "x");
    writeDecisionFile(root, signed({ ...genesis("prod", l), id: "prod-0001-genesis" }, "ada"));
    writeLockFile(root, l);
    expect(codes(check(root).lock)).toEqual(["lock-other-stack"]);
  });

  it("a file named unlike its id, or unreadable, is reported with its place", () => {
    const { root, cFile } = soundLedger();
    writeFileSync(join(root, "governance/decisions/renamed.yaml"), readFileSync(cFile, "utf8"));
    writeFileSync(join(root, "governance/decisions/broken.yaml"), "kind: change\n  bad: [\n");
    const all = check(root).all;
    expect(all.find((f) => f.file === "governance/decisions/renamed.yaml")?.code).toBe("id-mismatch");
    expect(all.find((f) => f.file === "governance/decisions/broken.yaml")).toMatchObject({
      code: "schema",
      line: 1,
      col: expect.any(Number),
    });
  });
});

describe("signatures", () => {
  const cases: Array<[string, (d: Decision) => Decision, string[]]> = [
    ["none", (d) => d, ["signatures-insufficient"]],
    ["by a non-member", (d) => signWith(d, "eve", KEYS.eve), ["signature-non-member", "signatures-insufficient"]],
    ["by a member without the role", (d) => signWith(d, "tom", KEYS.tom), ["signature-wrong-role", "signatures-insufficient"]],
    ["by a member who had left", (d) => signWith(d, "old", KEYS.old), ["signature-former-member", "signatures-insufficient"]],
    [
      "naming another member than the key's owner",
      (d) => signWith(d, "grace", KEYS.ada),
      ["signature-member-mismatch", "signatures-insufficient"],
    ],
    [
      "a wrong-role signature beside a valid one still fails",
      (d) => signWith(signWith(d, "ada", KEYS.ada), "tom", KEYS.tom),
      ["signature-wrong-role"],
    ],
    [
      "twice by the same member counts once",
      (d) => signWith(signWith({ ...d, requires: { count: 2, roles: ["admin"] } }, "ada", KEYS.ada), "ada", KEYS.ada),
      ["signatures-insufficient"],
    ],
  ];
  for (const [name, sign, expected] of cases) {
    it(name, () => {
      const root = repo();
      const l = syntheticLock("example", "x");
      writeDecisionFile(root, sign(genesis("example", l, "2026-03-01T00:00:00.000Z")));
      writeLockFile(root, l);
      expect(codes(check(root).all)).toEqual(expected);
    });
  }

  it("the decision backing a lock needs today's signatures; older decisions keep the bar they were recorded under", () => {
    const { root } = soundLedger();
    const rules = readFileSync(join(root, "governance/rules.yaml"), "utf8").replace(/ {2}decisions: .*\n {4}count: 1/, (m) =>
      m.replace("count: 1", "count: 2"),
    );
    writeFileSync(join(root, "governance/rules.yaml"), rules);
    const { lock, all } = check(root);
    expect(codes(lock)).toEqual(["signatures-insufficient"]);
    expect(all.filter((f) => f.code === "signatures-insufficient").map((f) => f.decision)).toEqual(["example-0002-change"]);
  });
});

describe("poll evidence, re-checked offline at the time it was recorded", () => {
  const cases: Array<[string, Partial<PollEvidence>, string, string[]]> = [
    ["reopened (closed_at null)", { closedAt: null }, "2026-03-11T09:00:00.000Z", ["decision-stale", "poll-not-closed", "poll-outcome"]],
    ["discarded", { discardedAt: "2026-03-10T13:00:00.000Z" }, "2026-03-11T09:00:00.000Z", ["poll-discarded", "poll-outcome"]],
    [
      "stale: closed 40 days before it was recorded",
      { closedAt: "2026-01-30T12:00:00.000Z" },
      "2026-03-11T09:00:00.000Z",
      ["decision-stale", "poll-outcome"],
    ],
    [
      "bound to another digest",
      { binding: planBindingLine("example", "d".repeat(64)) },
      "2026-03-11T09:00:00.000Z",
      ["digest-mismatch", "poll-outcome"],
    ],
    [
      "blocked, with an outcome edited to say it passed",
      { counts: { agree: 4, abstain: 0, disagree: 0, block: 1 } },
      "2026-03-11T09:00:00.000Z",
      ["poll-blocks", "poll-outcome"],
    ],
  ];
  for (const [name, over, at, expected] of cases) {
    it(name, () => {
      const root = repo();
      const l1 = syntheticLock("example", "one");
      const l2 = syntheticLock("example", "two");
      const g = signed(genesis("example", l1), "ada");
      const passing = evidence("example", l2.digest, "2026-03-10T12:00:03.512Z", at).outcome;
      const c = signed(change("example", 2, g as never, l2, at, { ...over, outcome: passing }), "ada");
      writeDecisionFile(root, g);
      writeDecisionFile(root, c);
      writeLockFile(root, l2);
      expect(codes(check(root).lock)).toEqual(expected);
    });
  }
});

describe("emergency changes", () => {
  function emergencyLedger(ratify: boolean) {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "hotfix");
    const e: Decision = {
      kind: "emergency",
      ...common("example-0003-emergency", "2026-05-20T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      reason: "security fix",
      ratifyBy: "2026-06-03T00:00:00.000Z",
      changes: [],
    };
    writeDecisionFile(root, signed(e, "ada", "grace"));
    writeLockFile(root, l3);
    if (ratify) {
      const r: Decision = {
        kind: "ratification",
        ...common("example-0004-ratification", "2026-05-30T00:00:00.000Z"),
        decidedAt: "2026-05-29T00:00:00.000Z",
        stack: "example",
        ratifies: e.id,
        digest: l3.digest,
        evidence: evidence("example", l3.digest, "2026-05-29T00:00:00.000Z", "2026-05-30T00:00:00.000Z"),
      };
      writeDecisionFile(root, signed(r, "ada"));
    }
    return root;
  }

  it("is flagged (a warning) until ratified, within its deadline", () => {
    const { lock } = check(emergencyLedger(false));
    expect(codes(lock)).toEqual([]);
    expect(codes(lock, "warning")).toEqual(["emergency-unratified"]);
  });

  it("is a violation after the deadline", () => {
    expect(codes(check(emergencyLedger(false), "example", new Date("2026-06-04T00:00:00Z")).lock)).toEqual(["emergency-overdue"]);
  });

  it("is clean once a poll ratified it", () => {
    const { lock, all } = check(emergencyLedger(true), "example", new Date("2026-07-01T00:00:00Z"));
    expect(lock).toEqual([]);
    expect(all).toEqual([]);
  });

  it("needs the emergency signatures: one admin is not enough", () => {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "hotfix");
    const e: Decision = {
      kind: "emergency",
      ...common("example-0003-emergency", "2026-05-20T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      reason: "fix",
      ratifyBy: "2026-06-03T00:00:00.000Z",
      changes: [],
    };
    writeDecisionFile(root, signed(e, "ada"));
    writeLockFile(root, l3);
    expect(codes(check(root).lock)).toEqual(["signatures-insufficient"]);
  });
});

describe("routine changes under a standing decision", () => {
  const img = (v: string) => `ghcr.io/mastodon/mastodon:${v}`;
  function routineLedger(opts: { until?: string | null; stacks?: string[]; changes?: unknown[]; signer?: string } = {}) {
    const { root, c, l2 } = soundLedger();
    const terms = {
      classes: ["image-patch" as const],
      stacks: opts.stacks ?? ["example"],
      until: opts.until === undefined ? null : opts.until,
    };
    const standing: Decision = {
      kind: "standing",
      ...common("standing-0001-image-patch", "2026-04-01T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      terms,
      evidence: { type: "meeting", meeting: "General assembly 2026-04-01", minutes: "docs/minutes/2026-04-01.md" },
    };
    writeDecisionFile(root, signed(standing, "ada", "grace"));
    const l3 = syntheticLock("example", "patched");
    const routine: Decision = {
      kind: "routine",
      ...common("example-0003-routine", "2026-05-01T00:00:00.000Z"),
      requires: { count: 1, roles: ["tech", "admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      standing: standing.id,
      class: "image-patch",
      changes: (opts.changes ?? [
        { urn: "urn:x", op: "update", paths: [{ path: "image", old: img("v4.6.3"), new: img("v4.6.4") }] },
      ]) as never,
    };
    writeDecisionFile(root, signed(routine, opts.signer ?? "tom"));
    writeLockFile(root, l3);
    return root;
  }

  it("a patch upgrade signed by the tech role is backed", () => {
    expect(check(routineLedger()).lock).toEqual([]);
  });
  it("a change outside the class is refused", () => {
    expect(
      codes(
        check(routineLedger({ changes: [{ urn: "urn:x", op: "update", paths: [{ path: "serverType", old: "cx33", new: "cx43" }] }] })).lock,
      ),
    ).toEqual(["routine-out-of-class"]);
  });
  it("a standing decision that ended, or does not cover the stack, backs nothing", () => {
    expect(codes(check(routineLedger({ until: "2026-04-15T00:00:00.000Z" })).lock)).toEqual(["standing-expired"]);
    expect(codes(check(routineLedger({ stacks: ["mail"] })).lock)).toEqual(["standing-scope"]);
  });
});

/** Writes `d` as its file would read with `requires` replaced by hand (the schema, not the type, judges it). */
function withRequires(d: Decision, requires: unknown): Decision {
  return { ...(d as unknown as Record<string, unknown>), requires } as unknown as Decision;
}

describe("decisions the approved state depends on meet the rules in force, not only their own `requires`", () => {
  /** sound ledger → emergency (signed by two admins) → a ratification built by `ratify`. */
  function ratifiedLedger(ratify: (r: Decision) => Decision) {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "hotfix");
    const e: Decision = {
      kind: "emergency",
      ...common("example-0003-emergency", "2026-05-20T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      reason: "security fix",
      ratifyBy: "2026-06-03T00:00:00.000Z",
      changes: [],
    };
    writeDecisionFile(root, signed(e, "ada", "grace"));
    writeLockFile(root, l3);
    const r: Decision = {
      kind: "ratification",
      ...common("example-0004-ratification", "2026-05-30T00:00:00.000Z"),
      decidedAt: "2026-05-29T00:00:00.000Z",
      stack: "example",
      ratifies: e.id,
      digest: l3.digest,
      evidence: evidence("example", l3.digest, "2026-05-29T00:00:00.000Z", "2026-05-30T00:00:00.000Z"),
    };
    const file = writeDecisionFile(root, ratify(r));
    return { root, file: `governance/decisions/${file.split("/").pop()}` };
  }
  const AFTER_DEADLINE = new Date("2026-07-01T00:00:00Z");

  it("an unsigned ratification that requires no signature (count 0) ratifies nothing and is a schema error", () => {
    const { root, file } = ratifiedLedger((r) => withRequires(r, { count: 0, roles: ["admin"] }));
    const { lock, all } = check(root, "example", AFTER_DEADLINE);
    expect(codes(lock)).toEqual(["emergency-overdue"]);
    expect(all.find((f) => f.file === file)).toMatchObject({ code: "schema", level: "error", field: "requires.count" });
  });

  it("a ratification signed by a member without the role the rules in force name does not ratify", () => {
    const { root, file } = ratifiedLedger((r) => signed({ ...r, requires: { count: 1, roles: ["member"] } }, "tom"));
    const { lock, all } = check(root, "example", AFTER_DEADLINE);
    expect(codes(lock)).toEqual(["emergency-overdue"]);
    expect(lock[0].message).toMatch(
      /its ratification 'example-0004-ratification' does not count: .*needs signers with role admin \(the rules in force\)/,
    );
    const mine = all.filter((f) => f.file === file);
    expect(codes(mine)).toEqual(["signature-wrong-role", "signatures-insufficient"]);
    expect(mine.find((f) => f.code === "signatures-insufficient")?.message).toMatch(/the rules in force require 1 by admin/);
    expect(mine.find((f) => f.code === "signatures-insufficient")?.remediation).toMatch(/coop sign example-0004-ratification/);
  });

  it("a ratification signed as the rules in force require still ratifies", () => {
    const { root } = ratifiedLedger((r) => signed(r, "ada"));
    const { lock, all } = check(root, "example", AFTER_DEADLINE);
    expect(lock).toEqual([]);
    expect(all).toEqual([]);
  });

  function standingLedger(standingOf: (s: Decision) => Decision) {
    const { root, c, l2 } = soundLedger();
    const terms = { classes: ["image-patch" as const], stacks: ["example"], until: null };
    const standing: Decision = {
      kind: "standing",
      ...common("standing-0001-image-patch", "2026-04-01T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      terms,
      evidence: { type: "meeting", meeting: "General assembly 2026-04-01", minutes: "docs/minutes/2026-04-01.md" },
    };
    writeDecisionFile(root, standingOf(standing));
    const l3 = syntheticLock("example", "patched");
    const routine: Decision = {
      kind: "routine",
      ...common("example-0003-routine", "2026-05-01T00:00:00.000Z"),
      requires: { count: 1, roles: ["tech", "admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      standing: standing.id,
      class: "image-patch",
      changes: [
        {
          urn: "urn:x",
          op: "update",
          paths: [{ path: "image", old: "ghcr.io/mastodon/mastodon:v4.6.3", new: "ghcr.io/mastodon/mastodon:v4.6.4" }],
        },
      ],
    };
    writeDecisionFile(root, signed(routine, "tom"));
    writeLockFile(root, l3);
    return root;
  }

  it("a standing decision that set its own bar (one tech signature for a meeting) backs no routine change", () => {
    const root = standingLedger((s) => signed({ ...s, requires: { count: 1, roles: ["tech"] } }, "tom"));
    const { lock, all } = check(root);
    expect(codes(lock)).toEqual(["signature-wrong-role", "signatures-insufficient", "standing-missing"]);
    expect(lock.find((f) => f.code === "standing-missing")?.message).toMatch(
      /standing decision 'standing-0001-image-patch' does not meet the rules in force/,
    );
    expect(lock.find((f) => f.code === "signatures-insufficient")).toMatchObject({ decision: "standing-0001-image-patch" });
    expect(codes(all)).toEqual(["signature-wrong-role", "signatures-insufficient", "standing-missing"]);
  });

  it("an unsigned standing decision that requires no signature is a schema error and backs nothing", () => {
    const root = standingLedger((s) => withRequires(s, { count: 0, roles: ["admin"] }));
    const { lock, all } = check(root);
    expect(codes(lock)).toEqual(["standing-missing"]);
    expect(codes(all)).toEqual(["schema", "standing-missing"]);
  });

  it("a standing decision signed as the rules in force require backs the routine change", () => {
    const root = standingLedger((s) => signed(s, "ada", "grace"));
    expect(check(root).lock).toEqual([]);
    expect(check(root).all).toEqual([]);
  });

  it("a poll recorded under the rules in force must have been evaluated with their quorum and threshold", () => {
    const root = repo();
    const rulesSha256 = loadGovernance(root).rulesSha256!;
    const l1 = syntheticLock("example", "one");
    const l2 = syntheticLock("example", "two");
    const g = signed(genesis("example", l1), "ada");
    const lax = {
      applied: { ...APPLIED, types: [...APPLIED.types], quorum: 0.1, threshold: "1/3" },
      decidedVotersCount: 1,
      counts: { agree: 1, abstain: 0, disagree: 0, block: 0 },
    };
    const c = signed(
      {
        ...change("example", 2, g as never, l2, "2026-03-11T09:00:00.000Z", { closedAt: "2026-03-10T12:00:03.512Z", ...lax }),
        rulesSha256,
      },
      "ada",
    );
    writeDecisionFile(root, g);
    writeDecisionFile(root, c);
    writeLockFile(root, l2);
    const { lock, all } = check(root);
    expect(codes(lock)).toEqual(["poll-rules-mismatch"]);
    const f = lock[0];
    expect(f).toMatchObject({ decision: "example-0002-change", field: "evidence.applied" });
    expect(f.message).toMatch(/quorum 10% \(the rules: 50%\).*threshold 1\/3 \(the rules: 2\/3\)/);
    expect(codes(all)).toEqual(["poll-rules-mismatch"]);

    // Recorded under other rules (another digest), the record keeps the rules it names.
    const other = repo();
    writeDecisionFile(other, g);
    writeDecisionFile(
      other,
      signed(change("example", 2, g as never, l2, "2026-03-11T09:00:00.000Z", { closedAt: "2026-03-10T12:00:03.512Z", ...lax }), "ada"),
    );
    writeLockFile(other, l2);
    expect(check(other).all).toEqual([]);
  });

  it("rules and decision records refuse a requirement of zero signatures", async () => {
    const { RulesSchema } = await import("../../../rulebook/records/rules");
    const { DecisionSchema } = await import("../../../rulebook/records/decision");
    expect(RulesSchema.safeParse({ signatures: { decisions: { count: 0, roles: ["admin"] } } }).success).toBe(false);
    expect(RulesSchema.safeParse({ emergency: { signatures: { count: 0 } } }).success).toBe(false);
    const g = genesis("example", syntheticLock("example", "x"));
    expect(DecisionSchema.safeParse(g).success).toBe(true);
    expect(DecisionSchema.safeParse(withRequires(g, { count: 0, roles: ["admin"] })).success).toBe(false);
  });
});

describe("a genesis is only ever a stack's first decision", () => {
  it("a genesis in the middle of a chain approves nothing", () => {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "anything");
    const g2: Decision = {
      kind: "genesis",
      ...common("example-0003-genesis", "2026-04-01T00:00:00.000Z"),
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      note: "a fresh start",
    };
    writeDecisionFile(root, signed(g2, "ada"));
    writeLockFile(root, l3);
    const { lock, all } = check(root);
    expect(codes(lock)).toEqual(["genesis-misplaced"]);
    expect(lock[0]).toMatchObject({
      decision: "example-0003-genesis",
      field: "previous",
      file: "governance/decisions/example-0003-genesis.yaml",
    });
    expect(lock[0].message).toMatch(
      /a genesis starts a stack's chain \(previous: null, replaces: null\), but this one follows 'example-0002-change'/,
    );
    expect(lock[0].remediation).toMatch(/coop propose --stack example --post/);
    expect(codes(all)).toEqual(["genesis-misplaced"]);
  });

  it("a genesis after an unratified emergency does not approve it", () => {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "hotfix");
    const e: Decision = {
      kind: "emergency",
      ...common("example-0003-emergency", "2026-05-20T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      reason: "fix",
      ratifyBy: "2026-06-03T00:00:00.000Z",
      changes: [],
    };
    writeDecisionFile(root, signed(e, "ada", "grace"));
    const l4 = syntheticLock("example", "after");
    writeDecisionFile(
      root,
      signed(
        {
          kind: "genesis",
          ...common("example-0004-genesis", "2026-05-21T00:00:00.000Z"),
          stack: "example",
          digest: l4.digest,
          previous: e.id,
          replaces: l3.digest,
          note: "x",
        },
        "ada",
      ),
    );
    writeLockFile(root, l4);
    const lock = check(root, "example", new Date("2026-07-01T00:00:00Z")).lock;
    expect(codes(lock)).toEqual(["emergency-overdue", "genesis-misplaced"]);
  });

  it("a stack has at most one genesis", () => {
    const root = repo();
    const l1 = syntheticLock("example", "one");
    writeDecisionFile(root, signed(genesis("example", l1), "ada"));
    writeDecisionFile(root, signed({ ...genesis("example", syntheticLock("example", "two")), id: "example-0002-genesis" }, "ada"));
    writeLockFile(root, l1);
    const { all } = check(root);
    expect(all.find((f) => f.code === "genesis-misplaced")).toMatchObject({
      decision: "example-0002-genesis",
      message: expect.stringMatching(/stack 'example' already has a genesis \('example-0001-genesis'\)/),
    });
  });
});

describe("an emergency's ratification deadline is bounded by the rules", () => {
  function emergencyWithin(days: number, rulesSha256?: string) {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "hotfix");
    const at = "2026-05-20T00:00:00.000Z";
    const ratifyBy = new Date(Date.parse(at) + days * 86_400_000).toISOString();
    const e: Decision = {
      kind: "emergency",
      ...common("example-0003-emergency", at),
      ...(rulesSha256 ? { rulesSha256 } : {}),
      requires: { count: 2, roles: ["admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      reason: "fix",
      ratifyBy,
      changes: [],
    };
    writeDecisionFile(root, signed(e, "ada", "grace"));
    writeLockFile(root, l3);
    return root;
  }

  it("exactly ratificationDays is allowed (a warning until ratified)", () => {
    const lock = check(emergencyWithin(14)).lock;
    expect(codes(lock)).toEqual([]);
    expect(codes(lock, "warning")).toEqual(["emergency-unratified"]);
  });

  it("a later deadline is an error, whatever rules the record names", () => {
    for (const root of [emergencyWithin(400), emergencyWithin(15, loadGovernance(repo()).rulesSha256)]) {
      const { lock, all } = check(root);
      expect(codes(lock)).toEqual(["emergency-deadline"]);
      const f = lock.find((x) => x.code === "emergency-deadline")!;
      expect(f).toMatchObject({ decision: "example-0003-emergency", field: "ratifyBy" });
      expect(f.message).toMatch(/ratification deadline \(.*\) is \d+ days after it was recorded \(.*\); the rules allow at most 14 days/);
      expect(f.remediation).toMatch(/coop propose --stack example --post/);
      expect(codes(all)).toEqual(["emergency-deadline"]);
    }
  });

  it("an emergency ratified long ago is not judged by a shorter deadline adopted since", () => {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "hotfix");
    const e: Decision = {
      kind: "emergency",
      ...common("example-0003-emergency", "2026-05-20T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      reason: "fix",
      ratifyBy: "2026-06-19T00:00:00.000Z",
      changes: [],
    };
    writeDecisionFile(root, signed(e, "ada", "grace"));
    const r: Decision = {
      kind: "ratification",
      ...common("example-0004-ratification", "2026-05-30T00:00:00.000Z"),
      decidedAt: "2026-05-29T00:00:00.000Z",
      stack: "example",
      ratifies: e.id,
      digest: l3.digest,
      evidence: evidence("example", l3.digest, "2026-05-29T00:00:00.000Z", "2026-05-30T00:00:00.000Z"),
    };
    writeDecisionFile(root, signed(r, "ada"));
    writeLockFile(root, l3);
    const { lock, all } = check(root, "example", new Date("2026-07-01T00:00:00Z"));
    expect(lock).toEqual([]);
    expect(all).toEqual([]);
  });
});

describe("a poll approves one decision", () => {
  it("recording the poll of an earlier decision again (a roll-back) is refused", () => {
    const { root, g, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "three");
    const c3 = signed(change("example", 3, c as never, l3, "2026-03-20T09:00:00.000Z", { closedAt: "2026-03-19T12:00:00.000Z" }), "ada");
    writeDecisionFile(root, c3);
    // Back to l2 with the poll that approved l2 the first time (still young enough to record).
    const again = signed(
      {
        ...change("example", 4, c3 as never, l2, "2026-04-05T09:00:00.000Z", { closedAt: "2026-03-10T12:00:03.512Z" }),
        evidence: { ...(c as Extract<Decision, { kind: "change" }>).evidence },
      } as Decision,
      "ada",
    );
    writeDecisionFile(root, again);
    writeLockFile(root, l2);
    expect(g.kind).toBe("genesis");
    const { lock, all } = check(root);
    expect(codes(lock)).toEqual(["poll-reused"]);
    expect(lock[0]).toMatchObject({ decision: "example-0004-change", field: "evidence" });
    expect(lock[0].message).toMatch(/poll P[0-9a-f]{8} \(id \d+\) was already recorded by 'example-0002-change'/);
    expect(lock[0].remediation).toMatch(/coop propose --stack example --post/);
    expect(all.filter((f) => f.code === "poll-reused").map((f) => f.decision)).toEqual(["example-0004-change"]);
  });

  it("the same poll id under another key is the same poll", () => {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "three");
    const ev = (c as Extract<Decision, { kind: "change" }>).evidence as PollEvidence;
    const c3 = signed(
      change("example", 3, c as never, l3, "2026-04-11T09:00:00.000Z", { closedAt: "2026-04-10T12:00:00.000Z", pollId: ev.pollId }),
      "ada",
    );
    writeDecisionFile(root, c3);
    writeLockFile(root, l3);
    void l2;
    expect(codes(check(root).lock)).toEqual(["poll-reused"]);
  });
});

describe("a vote ratifies an emergency change only if it names it", () => {
  const AFTER_DEADLINE = new Date("2026-07-01T00:00:00Z");
  /** sound ledger → emergency example-0003 (two admins) → a later change vote built by `over`. */
  function laterVote(over: (c: Extract<Decision, { kind: "change" }>, e: Decision) => Decision = (c) => c) {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "hotfix");
    const e: Decision = {
      kind: "emergency",
      ...common("example-0003-emergency", "2026-05-20T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      reason: "cx33 → cx53, out of memory",
      ratifyBy: "2026-06-03T00:00:00.000Z",
      changes: [],
    };
    writeDecisionFile(root, signed(e, "ada", "grace"));
    const l4 = syntheticLock("example", "mastodon patch");
    const patch = change("example", 4, e as never, l4, "2026-05-26T09:00:00.000Z", { closedAt: "2026-05-25T12:00:00.000Z" }) as Extract<
      Decision,
      { kind: "change" }
    >;
    writeDecisionFile(root, signed(over(patch, e), "ada"));
    writeLockFile(root, l4);
    return root;
  }
  const naming = (c: Extract<Decision, { kind: "change" }>, e: Decision): Decision => ({
    ...c,
    ratifies: [e.id],
    evidence: { ...(c.evidence as PollEvidence), ratifies: `coop-ratifies: stack=example ids=${e.id}` },
  });

  it("a later vote on something else leaves it pending, then overdue", () => {
    const root = laterVote();
    const before = check(root, "example", new Date("2026-05-27T00:00:00Z")).lock;
    expect(codes(before)).toEqual([]);
    expect(codes(before, "warning")).toEqual(["emergency-unratified"]);
    const { lock, all } = check(root, "example", AFTER_DEADLINE);
    expect(codes(lock)).toEqual(["emergency-overdue"]);
    expect(lock[0]).toMatchObject({
      decision: "example-0003-emergency",
      message: "emergency change 'example-0003-emergency' (cx33 → cx53, out of memory) was not ratified by 2026-06-03T00:00:00.000Z",
    });
    expect(lock[0].remediation).toMatch(
      /coop propose --stack example --post, then coop decide --stack example --poll <key> \(the proposal names every emergency change awaiting ratification\)/,
    );
    expect(codes(all)).toEqual(["emergency-overdue"]);
  });

  it("a later vote that names it (record and poll) ratifies it", () => {
    const { lock, all } = check(laterVote(naming), "example", AFTER_DEADLINE);
    expect(lock).toEqual([]);
    expect(all).toEqual([]);
  });

  it("a record naming it when its poll did not is refused, and ratifies nothing", () => {
    const root = laterVote((c, e) => ({ ...c, ratifies: [e.id] }));
    const { lock } = check(root, "example", AFTER_DEADLINE);
    expect(codes(lock)).toEqual(["emergency-overdue", "ratification-target"]);
    expect(lock.find((f) => f.code === "ratification-target")).toMatchObject({
      decision: "example-0004-change",
      field: "ratifies",
      message: expect.stringMatching(
        /it ratifies 'example-0003-emergency', but poll P[0-9a-f]{8} did not name it \(its details carry no coop-ratifies line\)/,
      ),
    });
    expect(lock.find((f) => f.code === "emergency-overdue")?.message).toMatch(/its ratification 'example-0004-change' does not count/);
  });

  it("a change can only ratify emergencies of its own stack before it", () => {
    const root = laterVote((c) => ({
      ...c,
      ratifies: ["example-0002-change"],
      evidence: { ...(c.evidence as PollEvidence), ratifies: "coop-ratifies: stack=example ids=example-0002-change" },
    }));
    const lock = check(root, "example", AFTER_DEADLINE).lock;
    expect(lock.find((f) => f.code === "ratification-target")?.message).toBe(
      "it ratifies 'example-0002-change', which is a change decision, not an emergency",
    );
  });
});

describe("two emergencies: ratifying the latest state covers the earlier ones it names", () => {
  const AFTER_DEADLINES = new Date("2026-07-01T00:00:00Z");
  function twoEmergencies() {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "hotfix 1");
    const l4 = syntheticLock("example", "hotfix 2");
    const e1: Decision = {
      kind: "emergency",
      ...common("example-0003-emergency", "2026-05-20T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      stack: "example",
      digest: l3.digest,
      previous: c.id,
      replaces: l2.digest,
      reason: "first",
      ratifyBy: "2026-06-03T00:00:00.000Z",
      changes: [],
    };
    const e2: Decision = {
      kind: "emergency",
      ...common("example-0004-emergency", "2026-05-22T00:00:00.000Z"),
      requires: { count: 2, roles: ["admin"] },
      stack: "example",
      digest: l4.digest,
      previous: e1.id,
      replaces: l3.digest,
      reason: "second",
      ratifyBy: "2026-06-05T00:00:00.000Z",
      changes: [],
    };
    writeDecisionFile(root, signed(e1, "ada", "grace"));
    writeDecisionFile(root, signed(e2, "ada", "grace"));
    writeLockFile(root, l4);
    const ratification = (id: string, ratifies: string | string[], at: string, digest = l4.digest): Decision => {
      const names = typeof ratifies === "string" ? [ratifies] : ratifies;
      const ev = evidence("example", digest, at, at, {
        key: `R${id.slice(-16)}`,
        pollId: Date.parse(at) % 1_000_000,
        ratifies: `coop-ratifies: stack=example ids=${names.join(",")}`,
      });
      return signed({ kind: "ratification", ...common(id, at), stack: "example", ratifies, digest, evidence: ev }, "ada");
    };
    return { root, e1, e2, l3, ratification };
  }

  it("a ratification of the second alone leaves the first overdue; a later ratification of the latest state naming the first clears it", () => {
    const { root, ratification } = twoEmergencies();
    writeDecisionFile(root, ratification("example-0005-ratification", "example-0004-emergency", "2026-05-25T00:00:00.000Z"));
    const stuck = check(root, "example", AFTER_DEADLINES);
    expect(stuck.lock.map((f) => [f.code, f.decision])).toEqual([["emergency-overdue", "example-0003-emergency"]]);
    // Before the fix this record was a ratification-target error (its digest is the second's state).
    writeDecisionFile(root, ratification("example-0006-ratification", "example-0003-emergency", "2026-06-20T00:00:00.000Z"));
    const { lock, all } = check(root, "example", AFTER_DEADLINES);
    expect(lock).toEqual([]);
    expect(all).toEqual([]);
  });

  it("one ratification naming both covers both", () => {
    const { root, ratification } = twoEmergencies();
    writeDecisionFile(
      root,
      ratification("example-0005-ratification", ["example-0003-emergency", "example-0004-emergency"], "2026-05-25T00:00:00.000Z"),
    );
    expect(check(root, "example", AFTER_DEADLINES).all).toEqual([]);
  });

  it("a ratification of the first state cannot name the later emergency, which it did not contain", () => {
    const { root, l3, ratification } = twoEmergencies();
    writeDecisionFile(
      root,
      ratification(
        "example-0005-ratification",
        ["example-0003-emergency", "example-0004-emergency"],
        "2026-05-25T00:00:00.000Z",
        l3.digest,
      ),
    );
    const { lock, all } = check(root, "example", AFTER_DEADLINES);
    expect(codes(lock)).toEqual(["emergency-overdue"]);
    expect(lock.map((f) => f.decision)).toEqual(["example-0003-emergency", "example-0004-emergency"]);
    expect(lock[0].message).toMatch(
      /its ratification 'example-0005-ratification' does not count: it ratifies 'example-0004-emergency', which is not part of the state it ratifies/,
    );
    expect(codes(all)).toEqual(["emergency-overdue", "ratification-target"]);
    expect(all.find((f) => f.code === "ratification-target")?.message).toMatch(
      /it ratifies 'example-0004-emergency', which is not part of the state it ratifies \(sha256 [0-9a-f]{12}…\)/,
    );
  });

  it("a ratification decided before the emergency was recorded ratifies nothing", () => {
    const { root, ratification } = twoEmergencies();
    writeDecisionFile(
      root,
      ratification("example-0005-ratification", ["example-0003-emergency", "example-0004-emergency"], "2026-05-21T00:00:00.000Z"),
    );
    const { lock, all } = check(root, "example", AFTER_DEADLINES);
    expect(codes(lock)).toEqual(["emergency-overdue"]);
    expect(lock[0].message).toMatch(
      /its ratification 'example-0005-ratification' does not count: it ratifies 'example-0004-emergency', recorded/,
    );
    expect(codes(all)).toEqual(["emergency-overdue", "recorded-out-of-order"]);
    expect(all.find((f) => f.code === "recorded-out-of-order")).toMatchObject({
      decision: "example-0005-ratification",
      field: "decidedAt",
      message: expect.stringMatching(
        /it ratifies 'example-0004-emergency', recorded 2026-05-22T00:00:00.000Z, but it was decided 2026-05-21T00:00:00.000Z .*a vote cannot ratify a change made after it/,
      ),
    });
  });
});

describe("decisions are recorded in the order of their chain", () => {
  it("a decision recorded before the one it follows is refused, so a former member's signature cannot be backdated into it", () => {
    const { root, c, l2 } = soundLedger();
    const l3 = syntheticLock("example", "backdated");
    // `old` left on 2026-02-01; this record claims 2026-01-20, though it follows a decision of 2026-03-11.
    const b = signed(
      { ...change("example", 3, c as never, l3, "2026-01-20T09:00:00.000Z", { closedAt: "2026-01-19T12:00:00.000Z" }) },
      "old",
    );
    writeDecisionFile(root, b);
    writeLockFile(root, l3);
    void l2;
    const { lock, all } = check(root);
    expect(codes(lock)).toEqual(["recorded-out-of-order"]);
    expect(lock[0]).toMatchObject({
      decision: "example-0003-change",
      field: "recordedAt",
      file: "governance/decisions/example-0003-change.yaml",
    });
    expect(lock[0].message).toMatch(
      /it was recorded 2026-01-20T09:00:00.000Z, before 'example-0002-change' \(recorded 2026-03-11T09:00:00.000Z\), which it follows in the chain/,
    );
    expect(lock[0].remediation).toMatch(/restore it from git.*coop propose --stack example --post/);
    expect(codes(all)).toEqual(["recorded-out-of-order"]);
  });

  it("the same time as the previous decision is in order", () => {
    const { root, c } = soundLedger();
    const l3 = syntheticLock("example", "same time");
    writeDecisionFile(
      root,
      signed(change("example", 3, c as never, l3, "2026-03-11T09:00:00.000Z", { closedAt: "2026-03-11T08:00:00.000Z" }), "ada"),
    );
    writeLockFile(root, l3);
    expect(check(root).all).toEqual([]);
  });
});
