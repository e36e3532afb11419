/**
 * Generates a co-op's ledger of N decisions for benchmarks: a founding, then a few stacks, each
 * a chain of poll decisions after its genesis, as `coop decide` writes them (the Loomio answer
 * kept, the summary rendered by the rulebook, two admins' ed25519 signatures made in Node), with
 * every stored version and each chain's lock.
 */
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { wireString } from "../kernel/ssh-wire";
import { canonicalJson, sha256Hex } from "../kernel/json";
import type { Lock } from "../plan/lock";
import { PriceTableSchema } from "../plan/prices";
import {
  codeDigest,
  type Decision,
  decisionFile,
  MembersSchema,
  membersDigest,
  normalizeText,
  objectEntry,
  planBindingLine,
  readCodeManifest,
  renderRecord,
  RulesSchema,
  rulesDigest,
  signaturePayload,
  signSshsig,
  stackSummary,
  summaryBindingLine,
} from "../rulebook";
import { priceTableDigest } from "../rulebook/ledger/objects";

const PROJECT = "coop-infra";

function lockOf(stack: string, n: number): Lock {
  const resources = [
    {
      urn: `urn:pulumi:${stack}::${PROJECT}::coop:host:Host$hcloud:index/server:Server::host-server`,
      type: "hcloud:index/server:Server",
      name: "host-server",
      inputs: { serverType: "cx33", location: "fsn1", labels: { revision: String(n) } },
    },
    {
      urn: `urn:pulumi:${stack}::${PROJECT}::coop:mastodon:Mastodon$docker:index/container:Container::mastodon-web`,
      type: "docker:index/container:Container",
      name: "mastodon-web",
      inputs: { image: `ghcr.io/mastodon/mastodon:v4.6.${n}` },
    },
  ];
  const view = { version: 1, project: PROJECT, stack, resources };
  return { version: 1, project: PROJECT, stack, digest: sha256Hex(canonicalJson(view)), resources } as unknown as Lock;
}

const OPTIONS = [
  ["Agree", "agree", "I support the proposal"],
  ["Abstain", "abstain", "Choosing not to, or unable to vote in this decision."],
  ["Disagree", "disagree", "Something in this proposal needs to be changed before I can support it."],
  ["Block", "block", "I block this proposal and think it should not proceed"],
] as const;

/** A closed proposal in Loomio's b2 shape (GET /api/b2/polls/:key), as a record keeps it. */
export function pollAnswer(id: number, key: string, details: string, closedAt: string): Record<string, unknown> {
  const options = OPTIONS.map(([name, icon, meaning], i) => ({ id: id * 10 + i, poll_id: id, name, icon, priority: i, meaning }));
  const votes = [5, 1, 1, 0];
  return {
    polls: [
      {
        id,
        key,
        poll_type: "proposal",
        title: "Infrastructure change",
        details,
        details_format: "md",
        group_id: 42,
        closing_at: closedAt,
        closed_at: closedAt,
        discarded_at: null,
        specified_voters_only: false,
        anonymous: false,
        hide_results: "until_closed",
        voters_count: 10,
        decided_voters_count: 7,
        undecided_voters_count: 3,
        stance_counts: votes,
        poll_option_ids: options.map((o) => o.id),
        results: options.map((o, i) => ({ id: o.id, icon: o.icon, name: o.name, voter_count: votes[i] })),
      },
    ],
    poll_options: options,
  };
}

export interface GeneratedLedger {
  readonly root: string;
  readonly decisions: number;
  readonly stacks: number;
  /** Every poll the ledger records: key → Loomio's answer (for a loopback Loomio). */
  readonly polls: ReadonlyMap<string, unknown>;
}

function write(root: string, [path, text]: [string, string]): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  void root;
}

/** Writes a repository with `count` decisions spread over `stacks` chains into a temp directory. */
export function generateLedger(count: number, stacks = 10, repoRoot?: string, loomioUrl = "https://loomio.example.coop"): GeneratedLedger {
  const root = mkdtempSync(join(tmpdir(), `coop-ledger-${count}-`));
  mkdirSync(join(root, "governance", "decisions"), { recursive: true });
  mkdirSync(join(root, "stacks"));
  mkdirSync(join(root, "plan", "prices"), { recursive: true });
  writeFileSync(join(root, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
  const baseRules = repoRoot ? parse(readFileSync(join(repoRoot, "governance", "rules.yaml"), "utf8")) : {};
  const rules = RulesSchema.parse({ ...baseRules, loomio: { url: loomioUrl, groupId: 42, wholeGroup: true } });
  writeFileSync(join(root, "governance", "rules.yaml"), stringify(rules));
  const pricesText = repoRoot ? readFileSync(join(repoRoot, "plan", "prices", "hetzner.yaml"), "utf8") : "";
  if (repoRoot) copyFileSync(join(repoRoot, "plan", "prices", "hetzner.yaml"), join(root, "plan", "prices", "hetzner.yaml"));
  const prices = PriceTableSchema.parse(
    parse(pricesText || "asOf: 2026-08-02\nsource: bench\nprimaryIp: {ipv4: 0.5}\nvolumePerGb: 0.0572\n"),
  );

  const names = ["ada", "grace", "hedy", "alan", "karen"];
  const keys = names.map((name) => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const blob = Buffer.concat([wireString("ssh-ed25519"), wireString(Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url"))]);
    return { name, privateKey, blob, line: `ssh-ed25519 ${blob.toString("base64")} ${name}@example.coop` };
  });
  const members = MembersSchema.parse({
    version: 2,
    members: keys.map((k) => ({ name: k.name, roles: ["admin", "tech"], sshKeys: [k.line] })),
  });
  writeFileSync(join(root, "governance", "members.yaml"), stringify(members));
  const sign = (d: Decision, signers: typeof keys): Decision => {
    const payload = signaturePayload(d);
    const signatures = [...d.signatures];
    for (const k of signers) signatures.push({ member: k.name, signature: signSshsig(k.privateKey, k.blob, payload) });
    return { ...d, signatures } as Decision;
  };

  const perStack = Math.ceil(count / stacks);
  const stackNames = Array.from({ length: Math.min(stacks, count) }, (_, s) => `stack${String(s).padStart(2, "0")}`);
  for (const s of stackNames) writeFileSync(join(root, "stacks", `${s}.yaml`), "# generated\n");
  const code = readCodeManifest(root);
  for (const [kind, value] of [
    ["rules", rules],
    ["members", members],
    ["code", code],
    ["prices", prices],
  ] as const)
    write(root, objectEntry(root, kind, value as never));
  const start = Date.parse("2024-01-01T00:00:00Z");
  const founding = sign(
    {
      version: 2,
      kind: "founding",
      id: "governance-0001-founding",
      project: PROJECT,
      summary: "Generated.",
      previous: null,
      seen: {},
      rules: rulesDigest(rules),
      members: membersDigest(members),
      code: codeDigest(code),
      stacks: stackNames,
      decidedAt: new Date(start).toISOString(),
      recordedAt: new Date(start).toISOString(),
      note: "generated",
      signatures: [],
    },
    [keys[0]],
  );
  writeFileSync(join(root, decisionFile(founding.id)), renderRecord(founding as never));

  const polls = new Map<string, unknown>();
  let written = 1;
  let pollId = 1000;
  stackNames.forEach((stack, s) => {
    let prev: { id: string; lock: Lock } | null = null;
    for (let i = 0; i < perStack && written < count; i++, written++) {
      const lock = lockOf(stack, i);
      write(root, objectEntry(root, "lock", lock));
      const at = new Date(start + (s * perStack + i + 1) * 3_600_000).toISOString();
      const id = `${stack}-${String(i + 1).padStart(4, "0")}-${i === 0 ? "genesis" : "change"}`;
      let d: Decision;
      if (!prev) {
        d = {
          version: 2,
          kind: "genesis",
          id,
          project: PROJECT,
          summary: stackSummary({ stack, before: null, after: lock, emergencies: [] }),
          stack,
          digest: lock.digest,
          previous: null,
          replaces: null,
          under: founding.id,
          decidedAt: at,
          recordedAt: at,
          note: "generated",
          signatures: [],
        };
        d = sign(d, [keys[0]]);
      } else {
        const closedAt = new Date(Date.parse(at) - 1_800_000).toISOString();
        const summary = stackSummary({ stack, before: prev.lock, after: lock, prices, emergencies: [] });
        const key = `k${++pollId}`;
        const details = [summary, "", planBindingLine(stack, lock.digest), summaryBindingLine(sha256Hex(normalizeText(summary)))].join(
          "\n",
        );
        const answer = pollAnswer(pollId, key, details, closedAt);
        polls.set(key, answer);
        d = {
          version: 2,
          kind: "change",
          id,
          project: PROJECT,
          summary,
          stack,
          digest: lock.digest,
          previous: prev.id,
          replaces: prev.lock.digest,
          under: founding.id,
          decidedAt: closedAt,
          recordedAt: at,
          prices: priceTableDigest(prices),
          evidence: { type: "loomio-poll", url: `${loomioUrl}/p/${key}`, fetchedAt: at, answer: answer as never },
          signatures: [],
        };
        d = sign(d, [keys[(s + i) % keys.length], keys[(s + i + 1) % keys.length]]);
      }
      writeFileSync(join(root, decisionFile(id)), renderRecord(d as never));
      prev = { id, lock };
    }
    if (prev) write(root, [join(root, "governance", "approved", `${stack}.lock.json`), objectEntry(root, "lock", prev.lock)[1]]);
  });
  return { root, decisions: written, stacks: stackNames.length, polls };
}
