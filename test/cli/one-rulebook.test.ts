/**
 * One rulebook (issue 10): every finding code a command refuses with — `decide`, `approve`,
 * `emergency`, `sign` — is the code `coop verify` reports on the same record. Each row runs the
 * command (it must refuse with the code and write nothing), then writes the record the command
 * would have written, built by the same draft builders from the same inputs, and asks the
 * approved verifier (`coop verify --approved <the ledger before>`) about it: every code the
 * command printed must be reported on that record.
 *
 * The table covers every finding code: a code is either a refusal with its row here, or says why
 * no command refuses with it. A new finding code fails this test until it is classified, and
 * classifying it as a refusal needs a row that checks the verify side.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emergencyDraft, governanceDraft, routineDraft, stackState, voteDraft } from "../../cli/ledger/drafts";
import { completed, type Draft, type SoundLedger, soundLedger, writeRecord } from "../../cli/ledger/record";
import { LoomioClient } from "../../cli/loomio/client";
import { fetchWith } from "../../cli/loomio/poll-evidence";
import { now, setClockForTests } from "../../kernel/clock";
import {
  type Decision,
  decisionFile,
  FINDING_CODES,
  type FindingCode,
  MembersSchema,
  renderRecord,
  signaturePayload,
} from "../../rulebook";
import { ratifiedNamesFor } from "../../rulebook/loomio/binding";
import { signSshsig } from "../../rulebook/signatures/sshsig";
import { approvedRepo, setSpec } from "../helpers/approved-repo";
import { coop, verifyJson } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { fixtureKey, type NodeKey, nodeKey, openSshNodeKey } from "../helpers/governance";
import type { LedgerFixture } from "../helpers/ledger";
import { closedPoll, type FakeLoomio, json, startLoomio, withVotes } from "../helpers/loomio";
import { withTool } from "../helpers/tools";

const KEY = "one-rulebook-bot-key";
const NOW = "2026-03-11T09:00:00.000Z";
const itSsh = withTool("ssh-keygen", "openssh-client");

/** Codes no command refuses with, and why; every other code has a row below. */
const NOT_A_REFUSAL: Partial<Record<FindingCode, string>> = {
  schema: "an unreadable ledger stops a command before it drafts anything (soundLedger): files are restored, never written over",
  "rules-missing": "as schema: the working bylaws must be readable before any command drafts",
  "members-missing": "as schema: the working members list must be readable before any command drafts",
  "rules-unapproved": "about the working tree: a bylaws decision is how a command approves it",
  "members-unapproved": "about the working tree: a members decision is how a command approves it",
  "code-unapproved": "about the working tree: a code decision is how a command approves it",
  "object-missing": "a command stages every version its draft names; a missing stored state stops it before drafting (stackTip)",
  "object-invalid": "as object-missing",
  "ledger-rewritten": "commands only add records and signatures; only a tree judged against its base can rewrite (verify --approved)",
  "stack-unknown": "a stack name is usage: commands refuse an unknown --stack with exit 2 before drafting",
  "lock-missing": "commands write the lock with the record",
  "lock-invalid": "commands write the lock with the record",
  "lock-unbacked": "commands write the lock with the record",
  "lock-not-latest": "commands write the lock with the record",
  "lock-other-stack": "commands write the lock with the record",
  "chain-no-genesis": "drafts follow the head of a chain that verifies (soundLedger, stackTip refuse a broken one)",
  "chain-broken": "as chain-no-genesis",
  "chain-fork": "as chain-no-genesis",
  "chain-replaces-mismatch": "drafts take `replaces` from the head they follow",
  "order-inconsistent": "drafts take `under` and `seen` from the current heads",
  "recorded-out-of-order": "drafts are dated by the clock, after everything already recorded",
  "recorded-in-future": "drafts are dated by the clock; a meeting date in the future is refused as usage (exit 2)",
  "genesis-misplaced": "only coop init writes a genesis, as the first state of a stack the founding names",
  "governance-kind-mismatch": "a governance draft changes exactly its subject's version",
  "signatures-insufficient": "not a refusal: a record is written and waits for its signatures (coop sign)",
  "key-rotation-unsigned": "not a refusal: a record is written and waits for the member's own signature",
  "poll-instance":
    "refused before anything is fetched (the bylaws' loomio.url, LOOMIO_URL and the poll's address must agree), so the API key never leaves",
  "poll-answer": "an answer coop cannot read is refused by the Loomio client (exit 2); coop itself sets decidedAt and fetchedAt",
  "poll-changed": "only coop verify --online compares Loomio's answer now with the recorded one",
  "prices-mismatch": "drafts take the working price table, the one admission compares with",
  "emergency-unratified": "a warning about a stack's state, not about a record entering the ledger",
  "emergency-overdue": "about a stack's state after a deadline, not about a record entering the ledger",
};

interface Row {
  readonly code: FindingCode;
  readonly name: string;
  /** Needs ssh-keygen (coop sign). */
  readonly ssh?: boolean;
  /** Prepares the repository copy (spec edits, Loomio's answer, …); returns the command's arguments. */
  setup(root: string): string[] | Promise<string[]>;
  /** Writes the record the command would have written, as it would have built it; returns its id. */
  write(root: string): Promise<string>;
}

let fake: FakeLoomio;
let base: LedgerFixture;
let proposalText: string;
let keysDir: string;
const members: Record<"mary" | "otto" | "stranger", { path: string; key: NodeKey }> = {} as never;
const ids = { s1: "", scoped: "", expired: "", unsigned: "" };

const env = () => ({ ...process.env, LOOMIO_URL: fake.url, LOOMIO_API_KEY: KEY, COOP_LOOMIO_BACKOFF_MS: "1" });

/** Builds a draft at NOW from the ledger in `root` and writes it unjudged (what the command would have written). */
async function forceDraft(root: string, build: (ledger: SoundLedger) => Draft | Promise<Draft>): Promise<string> {
  setClockForTests(NOW);
  try {
    const ledger = soundLedger(root);
    const draft = await build(ledger);
    const record = completed(ledger, draft);
    writeRecord(root, record, draft);
    return record.id;
  } finally {
    setClockForTests(undefined);
  }
}

/** What `coop decide --stack example --poll <key>` builds from Loomio's answer. */
function pollDraft(key: string) {
  return async (ledger: SoundLedger) => {
    const state = await stackState(ledger, "example");
    const fetched = await fetchWith(new LoomioClient({ baseUrl: fake.url, apiKey: KEY }, { backoffMs: 1 }), key);
    return voteDraft(
      ledger,
      state,
      fetched.evidence,
      fetched.facts.closedAt ?? now().toISOString(),
      ratifiedNamesFor(fetched.facts.details, "example"),
    );
  };
}

function pollRow(code: FindingCode, name: string, body: (md: string) => Record<string, unknown>, key = "AbC123xy"): Row {
  return {
    code,
    name: `decide: a poll ${name}`,
    setup: () => {
      fake.answers = [json(200, body(proposalText))];
      return ["decide", "--stack", "example", "--poll", key];
    },
    write: (root) => forceDraft(root, pollDraft(key)),
  };
}

function meeting(extra: string[] = [], minutes = "docs/minutes/2026-03-01.md") {
  return {
    args: [
      "decide",
      "--stack",
      "example",
      "--manual",
      "--meeting",
      "General assembly 2026-03-01",
      "--minutes",
      minutes,
      "--decided-on",
      "2026-03-01",
      ...extra,
    ],
    draft: (ratifies: string[]) => async (ledger: SoundLedger) =>
      voteDraft(
        ledger,
        await stackState(ledger, "example"),
        { type: "meeting", meeting: "General assembly 2026-03-01", decidedOn: "2026-03-01", minutes },
        "2026-03-01T00:00:00.000Z",
        ratifies,
      ),
  };
}

function writeMinutes(root: string): void {
  mkdirSync(join(root, "docs", "minutes"), { recursive: true });
  writeFileSync(join(root, "docs", "minutes", "2026-03-01.md"), "# General assembly\n");
}

function routineRow(code: FindingCode, name: string, standing: () => string, edit?: (root: string) => void): Row {
  return {
    code,
    name: `approve --standing: ${name}`,
    setup: (root) => {
      edit?.(root);
      return ["approve", "--stack", "example", "--standing", standing()];
    },
    write: (root) =>
      forceDraft(root, async (ledger) => routineDraft(ledger, await stackState(ledger, "example"), standing(), "image-patch")),
  };
}

/** A signature of `who` on record `id`, added as `coop sign` would have, without asking the rulebook. */
function addSignature(root: string, id: string, member: string, key: NodeKey): string {
  const file = join(root, decisionFile(id));
  const record = JSON.parse(readFileSync(file, "utf8")) as Decision;
  const signature = signSshsig(key.privateKey, key.blob, signaturePayload(record));
  writeFileSync(file, renderRecord({ ...record, signatures: [...record.signatures, { member, signature }] } as Decision));
  return id;
}

function signRow(code: FindingCode, name: string, who: "mary" | "otto" | "stranger", target: () => string, tamper = false): Row {
  return {
    code,
    ssh: true,
    name: `sign: ${name}`,
    setup: (root) => {
      if (tamper) {
        const file = join(root, decisionFile(target()));
        writeFileSync(file, readFileSync(file, "utf8").replace('"summary": "', '"summary": "Also: anything. '));
      }
      return ["sign", target(), "--key", members[who].path];
    },
    write: async (root) => addSignature(root, target(), who === "stranger" ? "nobody" : who, members[who].key),
  };
}

const ROWS: Row[] = [
  pollRow("poll-not-closed", "still open", (md) => closedPoll({ details: md, closed_at: null })),
  pollRow("poll-discarded", "discarded", (md) => closedPoll({ details: md, discarded_at: "2026-03-10T13:00:00.000Z" })),
  pollRow("poll-type", "that is not a proposal", (md) => closedPoll({ details: md, poll_type: "count" })),
  pollRow("poll-options", "with a fifth option", (md) => {
    const body = closedPoll({ details: md }) as { poll_options: Array<Record<string, unknown>>; polls: Array<Record<string, unknown>> };
    body.poll_options.push({ id: 9005, poll_id: 555, name: "Consent", icon: "agree", priority: 4, meaning: "I consent" });
    body.polls[0].poll_option_ids = body.poll_options.map((o) => o.id);
    return body;
  }),
  pollRow("poll-group", "in another group", (md) => closedPoll({ details: md, group_id: 7 })),
  pollRow("poll-electorate", "for hand-picked voters", (md) => closedPoll({ details: md, specified_voters_only: true })),
  pollRow("poll-binding", "without the binding line", (md) => closedPoll({ details: md.replace(/coop-plan: .*\n/, "") })),
  pollRow("digest-mismatch", "binding another plan", (md) =>
    closedPoll({ details: md.replace(/sha256=[0-9a-f]{64}\ncoop-summary/, `sha256=${"0".repeat(64)}\ncoop-summary`) }),
  ),
  pollRow("poll-quorum", "short of the quorum", (md) =>
    closedPoll({ details: md, ...withVotes({ agree: 3, abstain: 0, disagree: 0, block: 0 }, 7) }),
  ),
  pollRow("poll-threshold", "short of the threshold", (md) =>
    closedPoll({ details: md, ...withVotes({ agree: 3, abstain: 0, disagree: 2, block: 0 }, 7) }),
  ),
  pollRow("poll-blocks", "blocked", (md) => closedPoll({ details: md, ...withVotes({ agree: 5, abstain: 0, disagree: 0, block: 1 }, 7) })),
  pollRow("decision-stale", "closed 40 days ago", (md) => closedPoll({ details: md, closed_at: "2026-01-30T12:00:00.000Z" })),
  pollRow("summary-mismatch", "whose text was edited", (md) => closedPoll({ details: md.replace(/- Mastodon upgrades [^\n]*\n/, "") })),
  pollRow("poll-reused", "an earlier decision recorded", (md) => closedPoll({ key: "Reused1", details: md }), "Reused1"),
  (() => {
    const m = meeting();
    return {
      code: "minutes-missing",
      name: "decide --manual: minutes that are not in the repository",
      setup: () => m.args,
      write: (root: string) => forceDraft(root, m.draft([])),
    } satisfies Row;
  })(),
  (() => {
    const m = meeting(["--ratifies", "example-0001-genesis"]);
    return {
      code: "ratification-target",
      name: "decide --manual: ratifying what is not an emergency change",
      setup: (root: string) => {
        writeMinutes(root);
        return m.args;
      },
      write: (root: string) => forceDraft(root, m.draft(["example-0001-genesis"])),
    } satisfies Row;
  })(),
  (() => {
    const m = meeting();
    return {
      code: "major-unnamed",
      name: "decide --manual: a Mastodon major upgrade the meeting did not name",
      setup: (root: string) => {
        writeMinutes(root);
        setSpec(root, "example", "version: v4.6.4", "version: v5.0.0");
        return m.args;
      },
      write: (root: string) => forceDraft(root, m.draft([])),
    } satisfies Row;
  })(),
  routineRow(
    "routine-out-of-class",
    "a bigger server is not a patch upgrade",
    () => ids.s1,
    (root) => setSpec(root, "example", "serverType: cx33", "serverType: cx43"),
  ),
  routineRow("standing-scope", "a standing decision for another stack", () => ids.scoped),
  routineRow("standing-expired", "a standing decision that has ended", () => ids.expired),
  routineRow("standing-missing", "a standing decision without its signatures", () => ids.unsigned),
  {
    code: "membership-out-of-class",
    name: "approve --members: a signing role granted without a vote",
    setup: (root) => {
      const file = join(root, "governance", "members.yaml");
      const doc = parse(readFileSync(file, "utf8")) as { members: Array<{ name: string; roles: string[] }> };
      for (const m of doc.members) if (m.name === "linus") m.roles = ["admin"];
      writeFileSync(file, stringify(doc));
      return ["approve", "--members"];
    },
    write: (root) => forceDraft(root, (ledger) => governanceDraft(ledger, "members", undefined, undefined)),
  },
  {
    code: "code-vote-required",
    name: "approve --code: a change to paths the bylaws reserve for a vote",
    setup: (root) => {
      mkdirSync(join(root, "policies"), { recursive: true });
      writeFileSync(join(root, "policies", "lenient.ts"), "export const lenient = true;\n");
      return ["approve", "--code"];
    },
    write: (root) => forceDraft(root, (ledger) => governanceDraft(ledger, "code", undefined, undefined)),
  },
  {
    code: "nextcloud-major-step",
    name: "emergency: Nextcloud skipping a major version",
    setup: (root) => {
      setSpec(root, "example", "version: 34.0.2", "version: 36.0.0");
      return ["emergency", "--stack", "example", "--reason", "broken"];
    },
    write: (root) => forceDraft(root, async (ledger) => emergencyDraft(ledger, await stackState(ledger, "example"), "broken")),
  },
  {
    code: "nextcloud-storage-switch",
    name: "emergency: an installed Nextcloud switched to primary object storage",
    setup: (root) => {
      setSpec(root, "example", /\nbackups:/, "\nobjectStorage:\n  enabled: true\n  nextcloudPrimary: true\n\nbackups:");
      return ["emergency", "--stack", "example", "--reason", "disk full"];
    },
    write: (root) => forceDraft(root, async (ledger) => emergencyDraft(ledger, await stackState(ledger, "example"), "disk full")),
  },
  {
    code: "new-stack-needs-vote",
    name: "emergency: the first state of a new stack",
    setup: (root) => {
      cpSync(join(root, "stacks", "example.yaml"), join(root, "stacks", "fresh.yaml"));
      return ["emergency", "--stack", "fresh", "--reason", "we need it now"];
    },
    write: (root) => forceDraft(root, async (ledger) => emergencyDraft(ledger, await stackState(ledger, "fresh"), "we need it now")),
  },
  signRow("signature-non-member", "a key of no member", "stranger", () => ids.unsigned),
  signRow("signature-wrong-role", "a member without the role", "mary", () => ids.unsigned),
  signRow("signature-former-member", "a member who had left", "otto", () => ids.unsigned),
  signRow("signature-invalid", "over a record changed after it was signed", "mary", () => ids.s1, true),
  {
    code: "signature-member-mismatch",
    ssh: true,
    name: "sign: a record whose signature names another member than its key's owner",
    setup: (root) => {
      // grace's name on a signature made with mary's key.
      addSignature(root, ids.unsigned, "grace", members.mary.key);
      return ["sign", ids.unsigned, "--key", fixtureKey("grace")];
    },
    write: async (root) => addSignature(root, ids.unsigned, "ada", members.mary.key),
  },
];

beforeAll(async () => {
  fake = await startLoomio();
  keysDir = mkdtempSync(join(tmpdir(), "coop-keys-"));
  for (const name of ["mary", "otto", "stranger"] as const) {
    const path = join(keysDir, name);
    let key: NodeKey;
    try {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@example.coop`, "-f", path], { stdio: "ignore" });
      key = openSshNodeKey(path);
    } catch {
      key = nodeKey(`${name}@example.coop`); // without ssh-keygen the sign rows skip (withTool)
    }
    members[name] = { path, key };
  }
  base = await approvedRepo(["example"], {
    loomioUrl: fake.url,
    rules: (t) => t.replace("voteWhenChanged: []", 'voteWhenChanged: ["policies/**"]'),
  });
  const all = { classes: ["image-patch" as const], stacks: ["*"], until: null };
  ids.s1 = base.write(base.standing(all, { poll: { key: "Reused1" } })).id;
  ids.scoped = base.write(base.standing({ ...all, stacks: ["elsewhere"] })).id;
  ids.expired = base.write(base.standing({ ...all, until: "2026-02-01T00:00:00.000Z" })).id;
  const joined = MembersSchema.parse({
    ...base.members,
    members: [
      ...base.members.members,
      { name: "mary", roles: ["member"], sshKeys: [members.mary.key.line] },
      { name: "otto", roles: ["member"], sshKeys: [members.otto.key.line] },
    ],
  });
  base.writeMembers(joined);
  base.write(base.membersChange(joined, { signers: ["ada"] }));
  const left = MembersSchema.parse({
    ...joined,
    members: joined.members.map((m) => (m.name === "otto" ? { ...m, left: "2026-01-01" } : m)),
  });
  base.writeMembers(left);
  base.write(base.membersChange(left, { signers: ["ada"] }));
  ids.unsigned = base.write(base.standing(all, { signers: [] })).id;
  setSpec(base.root, "example", "version: v4.6.3", "version: v4.6.4");
  const p = await coop(["propose", "--stack", "example", "--json"], { root: base.root, env: env(), at: NOW });
  expect(p.code, p.stderr).toBe(0);
  proposalText = (JSON.parse(p.stdout) as { markdown: string }).markdown;
});
afterAll(async () => {
  await fake.close();
  base.cleanup();
  rmSync(keysDir, { recursive: true, force: true });
});

describe("one rulebook: what a command refuses, verify reports on the same record", () => {
  it("every finding code is a refusal with a row here, or says why no command refuses with it", () => {
    const refused = new Set(ROWS.map((r) => r.code));
    const unclassified = Object.keys(FINDING_CODES).filter((c) => refused.has(c as FindingCode) === c in NOT_A_REFUSAL);
    expect(unclassified, "each code is either refused by a command (a row) or in NOT_A_REFUSAL, never both").toEqual([]);
    expect(Object.keys(NOT_A_REFUSAL).filter((c) => !(c in FINDING_CODES))).toEqual([]);
  });

  for (const row of ROWS) {
    (row.ssh ? itSsh : it)(`[${row.code}] ${row.name}`, async () => {
      const dirs: string[] = [];
      const copy = () => {
        const dir = mkdtempSync(join(tmpdir(), "coop-row-"));
        dirs.push(dir);
        cpSync(base.root, dir, { recursive: true });
        return dir;
      };
      try {
        const approved = copy();
        const root = copy();
        const args = await row.setup(root);
        const before = snapshot(root);
        const r = await coop(args, { root, env: env(), at: NOW });
        expect(r.code, r.stdout + r.stderr).not.toBe(0);
        expect(r.stderr).toContain(`[${row.code}]`);
        expect(r.stderr).toMatch(/Nothing was written/);
        expect(changedFiles(before, snapshot(root)), "the command wrote nothing").toEqual([]);
        const printed = [...new Set([...r.stderr.matchAll(/\[([a-z-]+)\]/g)].map((m) => m[1]))];

        const id = await row.write(root);
        const v = await verifyJson(root, NOW, ["--approved", approved], env());
        expect(v.code).toBe(1);
        const onRecord = new Set(v.doc.findings.filter((x) => x.decision === id).map((x) => x.code));
        expect(
          printed.filter((c) => !onRecord.has(c)),
          `verify reports on ${id}: ${[...onRecord].join(", ")}`,
        ).toEqual([]);
      } finally {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    });
  }
});
