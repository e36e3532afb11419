/**
 * Generates a co-op's ledger of N decisions for benchmarks: a few stacks, each an unbroken
 * chain of poll decisions (as `coop decide` writes them) after its genesis, signed by members
 * with ed25519 keys made in Node, and the lock of each chain's latest decision.
 */
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { planBindingLine } from "../rulebook/loomio/binding";
import { DECISION_HEADER, decisionFile, decisionToJson, signaturePayload, type Decision } from "../rulebook/records/decision";
import { renderLedgerYamlChecked } from "../rulebook/ledger/ledger-yaml";
import { evaluatePoll, type AppliedRules } from "../rulebook/loomio/poll-rules";
import { signSshsig } from "../rulebook/signatures/sshsig";
import { wireString } from "../kernel/ssh-wire";
import { lockPath, renderLock, type Lock } from "../plan/lock";
import { canonicalJson, sha256Hex } from "../kernel/json";

const APPLIED: AppliedRules = {
  groupId: 42,
  wholeGroup: true,
  types: ["proposal"],
  quorum: 0.5,
  threshold: "2/3",
  blocksAllowed: 0,
  maxAgeDays: 30,
};

function lockOf(stack: string, n: number): Lock {
  const resources = [
    {
      urn: `urn:pulumi:${stack}::coop-infra::coop:host:Host$hcloud:index/server:Server::host-server`,
      type: "hcloud:index/server:Server",
      name: "host-server",
      inputs: { serverType: "cx33", location: "fsn1", labels: { revision: String(n) } },
    },
    {
      urn: `urn:pulumi:${stack}::coop-infra::coop:services:Mastodon$docker:index/container:Container::mastodon-web`,
      type: "docker:index/container:Container",
      name: "mastodon-web",
      inputs: { image: `ghcr.io/mastodon/mastodon:v4.6.${n}` },
    },
  ];
  const view = { version: 1, project: "coop-infra", stack, resources };
  return { version: 1, project: "coop-infra", stack, digest: sha256Hex(canonicalJson(view)), resources } as unknown as Lock;
}

export interface GeneratedLedger {
  readonly root: string;
  readonly decisions: number;
  readonly stacks: number;
}

/** Writes a repository with `count` decisions spread over `stacks` chains into a temp directory. */
export function generateLedger(count: number, stacks = 10, rulesFile?: string): GeneratedLedger {
  const root = mkdtempSync(join(tmpdir(), `coop-ledger-${count}-`));
  mkdirSync(join(root, "governance", "decisions"), { recursive: true });
  mkdirSync(join(root, "governance", "approved"), { recursive: true });
  mkdirSync(join(root, "stacks"));
  writeFileSync(join(root, "Pulumi.yaml"), "name: coop-infra\nruntime: nodejs\n");
  if (rulesFile) copyFileSync(rulesFile, join(root, "governance", "rules.yaml"));
  else writeFileSync(join(root, "governance", "rules.yaml"), stringify({ version: 1, electorate: { loomioGroupId: 42 } }));

  const names = ["ada", "grace", "hedy", "alan", "karen"];
  const keys = names.map((name) => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const blob = Buffer.concat([wireString("ssh-ed25519"), wireString(Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url"))]);
    return { name, privateKey, blob, line: `ssh-ed25519 ${blob.toString("base64")} ${name}@example.coop` };
  });
  writeFileSync(
    join(root, "governance", "members.yaml"),
    stringify({ version: 1, members: keys.map((k) => ({ name: k.name, roles: ["admin", "tech"], sshKeys: [k.line] })) }),
  );

  const perStack = Math.ceil(count / stacks);
  let written = 0;
  const start = Date.parse("2024-01-01T00:00:00Z");
  for (let s = 0; s < stacks && written < count; s++) {
    const stack = `stack${String(s).padStart(2, "0")}`;
    let prev: { id: string; digest: string } | null = null;
    let lock = lockOf(stack, 0);
    for (let i = 0; i < perStack && written < count; i++, written++) {
      lock = lockOf(stack, i);
      const at = new Date(start + (s * perStack + i) * 3_600_000).toISOString();
      const id = `${stack}-${String(i + 1).padStart(4, "0")}-${i === 0 ? "genesis" : "change"}`;
      const common = {
        version: 1 as const,
        id,
        project: "coop-infra",
        decidedAt: at,
        recordedAt: at,
        summary: `Mastodon upgrades to v4.6.${i}.`,
        rulesSha256: "0".repeat(64),
        requires: { count: 1, roles: ["admin"] },
        signatures: [],
      };
      let d: Decision;
      if (!prev) {
        d = { kind: "genesis", ...common, stack, digest: lock.digest, previous: null, replaces: null, note: "generated" };
      } else {
        const closedAt = new Date(Date.parse(at) - 3_600_000).toISOString();
        const facts = {
          pollId: 1000 + written,
          key: `k${written}`,
          groupId: 42,
          title: `Change ${id}`,
          pollType: "proposal",
          closingAt: closedAt,
          closedAt,
          discardedAt: null,
          specifiedVotersOnly: false,
          votersCount: 40,
          decidedVotersCount: 31,
          counts: { agree: 25, abstain: 3, disagree: 3, block: 0 },
        };
        const binding = planBindingLine(stack, lock.digest);
        const e = evaluatePoll({ ...facts, binding }, APPLIED, { kind: "plan", stack, digest: lock.digest }, new Date(at));
        d = {
          kind: "change",
          ...common,
          decidedAt: closedAt,
          stack,
          digest: lock.digest,
          previous: prev.id,
          replaces: prev.digest,
          changes: [],
          evidence: {
            type: "loomio-poll",
            url: `https://loomio.example.coop/p/k${written}`,
            ...facts,
            binding,
            responseSha256: sha256Hex(id),
            fetchedAt: at,
            applied: { ...APPLIED, types: [...APPLIED.types] },
            outcome: e.results.map((r) => ({ rule: r.rule, passed: r.passed, detail: r.detail })),
          },
        };
      }
      const signer = keys[(s + i) % keys.length];
      d = {
        ...d,
        signatures: [{ member: signer.name, signature: signSshsig(signer.privateKey, signer.blob, signaturePayload(d)) }],
      } as Decision;
      writeFileSync(join(root, decisionFile(id)), renderLedgerYamlChecked(decisionToJson(d), DECISION_HEADER));
      prev = { id, digest: lock.digest };
    }
    writeFileSync(lockPath(root, stack), renderLock(lock));
  }
  return { root, decisions: written, stacks };
}
