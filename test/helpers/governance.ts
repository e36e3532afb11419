/**
 * Building governance records in tests: members with keys made in Node (fast, for generated
 * ledgers), the fixture keys for real ssh-keygen signatures, and ledgers written to a temp repo.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { decisionFile, renderRecord, signaturePayload, type Decision } from "../../rulebook/records/decision";
import { signSshsig } from "../../rulebook/signatures/sshsig";
import { wireString } from "../../kernel/ssh-wire";
import { lockPath, renderLock, type Lock } from "../../plan/lock";
import { canonicalJson, sha256Hex } from "../../kernel/json";
import { REPO_ROOT } from "./repo";

export interface NodeKey {
  readonly privateKey: KeyObject;
  readonly blob: Buffer;
  readonly line: string;
}

export function nodeKey(comment = "test@example.coop"): NodeKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const x = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const blob = Buffer.concat([wireString("ssh-ed25519"), wireString(x)]);
  return { privateKey, blob, line: `ssh-ed25519 ${blob.toString("base64")} ${comment}` };
}

/**
 * A fixture key (test/fixtures/keys/<name>, an unencrypted OpenSSH ed25519 key) as a NodeKey, so
 * a ledger built in Node and `coop sign --key` with ssh-keygen use the same member key.
 */
export function fixtureNodeKey(name: "ada" | "grace"): NodeKey {
  return openSshNodeKey(join(REPO_ROOT, "test", "fixtures", "keys", name));
}

/**
 * An unencrypted OpenSSH ed25519 private key file (e.g. made by ssh-keygen -N "") as a NodeKey.
 * The openssh-key-v1 layout: magic, cipher, kdf, kdf options, key count, public blob, then the
 * private section (two check words, key type, public key, 64-byte seed+public, comment).
 */
export function openSshNodeKey(path: string): NodeKey {
  const text = readFileSync(path, "utf8");
  const buf = Buffer.from(text.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  let at = "openssh-key-v1\0".length;
  const field = (b: Buffer): Buffer => {
    const n = b.readUInt32BE(at);
    const v = b.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return v;
  };
  const [cipher, kdf] = [field(buf).toString(), field(buf).toString()];
  field(buf);
  at += 4;
  const blob = field(buf);
  const secret = field(buf);
  if (cipher !== "none" || kdf !== "none") throw new Error(`${path} is encrypted`);
  at = 8;
  const type = field(secret).toString();
  const pub = field(secret);
  const seed = field(secret).subarray(0, 32);
  if (type !== "ssh-ed25519") throw new Error(`${path} is not an ed25519 key`);
  const privateKey = createPrivateKey({
    key: { kty: "OKP", crv: "Ed25519", d: seed.toString("base64url"), x: pub.toString("base64url") },
    format: "jwk",
  });
  return { privateKey, blob, line: `ssh-ed25519 ${blob.toString("base64")} ${field(secret).toString() || "key"}` };
}

/** Appends a Node-made signature of `member` with `key`. */
export function signWith(d: Decision, member: string, key: NodeKey): Decision {
  const signature = signSshsig(key.privateKey, key.blob, signaturePayload(d as never));
  return { ...d, signatures: [...d.signatures, { member, signature }] } as Decision;
}

/** A copy of a fixture private key with the 0600 mode ssh-keygen insists on. */
export function fixtureKey(name: "ada" | "grace"): string {
  const dir = mkdtempSync(join(tmpdir(), "coop-key-"));
  const path = join(dir, name);
  copyFileSync(join(REPO_ROOT, "test", "fixtures", "keys", name), path);
  chmodSync(path, 0o600);
  copyFileSync(join(REPO_ROOT, "test", "fixtures", "keys", `${name}.pub`), `${path}.pub`);
  return path;
}

export function fixturePublicKey(name: "ada" | "grace"): string {
  return readFileSync(join(REPO_ROOT, "test", "fixtures", "keys", `${name}.pub`), "utf8").trim();
}

export function writeDecisionFile(root: string, d: Decision): string {
  const file = join(root, decisionFile(d.id));
  mkdirSync(join(root, "governance", "decisions"), { recursive: true });
  writeFileSync(file, renderRecord(d));
  return file;
}

export function writeLockFile(root: string, lock: Lock): void {
  mkdirSync(join(root, "governance", "approved"), { recursive: true });
  writeFileSync(lockPath(root, lock.stack), renderLock(lock));
}

export function writeMembers(root: string, members: Array<{ name: string; roles: string[]; keys: string[]; left?: string }>): void {
  mkdirSync(join(root, "governance"), { recursive: true });
  writeFileSync(
    join(root, "governance", "members.yaml"),
    stringify({
      version: 2,
      members: members.map((m) => ({ name: m.name, roles: m.roles, sshKeys: m.keys, ...(m.left ? { left: m.left } : {}) })),
    }),
  );
}

/** A small lock with one resource whose content is derived from `seed` (digest consistent). */
export function syntheticLock(stack: string, seed: string, project = "coop-infra"): Lock {
  const resources = [
    {
      urn: `urn:pulumi:${stack}::${project}::coop:host:Host$hcloud:index/server:Server::host-server`,
      type: "hcloud:index/server:Server",
      name: "host-server",
      inputs: { serverType: "cx33", labels: { seed } },
    },
  ];
  const view = { version: 1, project, stack, resources };
  return { version: 1, project, stack, digest: sha256Hex(canonicalJson(view)), resources } as Lock;
}

/** A temp directory laid out like a co-op repository, with an empty ledger. */
export function emptyRepo(project = "coop-infra"): string {
  const root = mkdtempSync(join(tmpdir(), "coop-gov-"));
  writeFileSync(join(root, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\n`);
  mkdirSync(join(root, "stacks"));
  mkdirSync(join(root, "governance", "decisions"), { recursive: true });
  mkdirSync(join(root, "governance", "approved"), { recursive: true });
  copyFileSync(join(REPO_ROOT, "governance", "rules.yaml"), join(root, "governance", "rules.yaml"));
  return root;
}

/**
 * Makes the temp repo's ledger a fresh founding (signed by ada with the fixture key) that
 * approves its bylaws, members, code and what `stacks` plan now, so a test starts from "no
 * change" even while the components evolve; the committed example ledger is checked separately
 * (test/governance/example-ledger.test.ts).
 */
export async function refreshFounding(root: string, stacks: string[] = ["example"]): Promise<void> {
  const { planFounding, foundingFiles } = await import("../../cli/ledger/founding");
  const { signWithSshKeygen, publicKeyOf } = await import("../../cli/ledger/ssh-sign");
  const { loadStackSpec } = await import("../../stacks/load");
  const { readProjectName } = await import("../../kernel/repo");
  const { RulesSchema, MembersSchema, readCodeManifest } = await import("../../rulebook");
  const { parse: parseYaml } = await import("yaml");
  const { rmSync, readdirSync } = await import("node:fs");
  for (const dir of ["governance/decisions", "governance/approved", "governance/objects"]) {
    let names: string[] = [];
    try {
      names = readdirSync(join(root, dir));
    } catch {
      continue;
    }
    for (const n of names) rmSync(join(root, dir, n), { recursive: true, force: true });
  }
  const rules = RulesSchema.parse(parseYaml(readFileSync(join(root, "governance", "rules.yaml"), "utf8")));
  const members = MembersSchema.parse(parseYaml(readFileSync(join(root, "governance", "members.yaml"), "utf8")));
  const specs = stacks.map((stack) => ({ stack, spec: loadStackSpec(root, stack).spec }));
  const f = await planFounding({
    project: readProjectName(root),
    coopName: specs[0].spec.coop.name,
    rules,
    members,
    code: readCodeManifest(root),
    stacks: specs,
    at: "2026-01-01T00:00:00.000Z",
    note: "test",
  });
  const key = fixtureKey("ada");
  const pub = publicKeyOf(`${key}.pub`);
  const sign = (d: Decision): Decision =>
    ({ ...d, signatures: [{ member: "ada", signature: signWithSshKeygen(key, signaturePayload(d), pub) }] }) as Decision;
  const signed = { ...f, founding: sign(f.founding), geneses: f.geneses.map((g) => ({ ...g, decision: sign(g.decision) })) };
  for (const [path, text] of foundingFiles(root, signed)) {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text);
  }
}
