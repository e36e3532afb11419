import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DECISION_NAMESPACE, parseSshsig, signSshsig, signedData, verifySshsig } from "../../../rulebook/signatures/sshsig";
import { parsePublicKeyLine } from "../../../kernel/ssh-keys";
import { wireString, wireUint32 } from "../../../kernel/ssh-wire";
import { fixtureKey, fixturePublicKey, nodeKey } from "../../helpers/governance";
import { withTool } from "../../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const dir = mkdtempSync(join(tmpdir(), "coop-sshsig-"));

function sshSign(key: string, message: string, namespace = DECISION_NAMESPACE): string {
  return execFileSync("ssh-keygen", ["-Y", "sign", "-f", key, "-n", namespace], {
    input: message,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "ignore"],
  });
}

function newKey(type: string, bits?: number): string {
  const path = join(dir, `${type}-${bits ?? 0}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", String(bits)] : []), "-N", "", "-C", `${type}@test`, "-f", path], {
    stdio: "ignore",
  });
  return path;
}

const MESSAGE = '{"digest":"abc","id":"example-0002-change","kind":"change"}';

describe("sshsig made by ssh-keygen -Y sign verifies in Node", () => {
  itSsh("with the fixture ed25519 key of ada", () => {
    const sig = sshSign(fixtureKey("ada"), MESSAGE);
    const r = verifySshsig(sig, MESSAGE);
    expect(r.ok).toBe(true);
    expect(r.key?.id).toBe(parsePublicKeyLine(fixturePublicKey("ada")).id);
  });

  for (const [type, bits] of [
    ["rsa", 3072],
    ["ecdsa", 256],
    ["ecdsa", 384],
    ["ecdsa", 521],
    ["ed25519", undefined],
  ] as const) {
    itSsh(`with a fresh ${type}${bits ? `-${bits}` : ""} key`, () => {
      const key = newKey(type, bits);
      const sig = sshSign(key, MESSAGE);
      const r = verifySshsig(sig, MESSAGE);
      expect(r.ok, r.ok ? "" : r.reason).toBe(true);
      expect(r.key?.id).toBe(parsePublicKeyLine(readFileSync(`${key}.pub`, "utf8")).id);
    });
  }

  itSsh("fails for another message, another namespace, or a changed byte in the signature", () => {
    const sig = sshSign(fixtureKey("ada"), MESSAGE);
    expect(verifySshsig(sig, `${MESSAGE} `).ok).toBe(false);
    const other = verifySshsig(sshSign(fixtureKey("ada"), MESSAGE, "git"), MESSAGE);
    expect(other.ok).toBe(false);
    expect(other.ok ? "" : other.reason).toMatch(/namespace 'git'/);
    // Flip one base64 character inside the signature bytes (near the end, before the armor).
    const lines = sig.trimEnd().split("\n");
    const i = lines.length - 2;
    const ch = lines[i][5] === "A" ? "B" : "A";
    lines[i] = lines[i].slice(0, 5) + ch + lines[i].slice(6);
    expect(verifySshsig(`${lines.join("\n")}\n`, MESSAGE).ok).toBe(false);
  });

  itSsh("signatures made in Node (ed25519, ECDSA P-256) are accepted by ssh-keygen -Y verify", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = ec.publicKey.export({ format: "jwk" });
    const q = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    const ecBlob = Buffer.concat([wireString("ecdsa-sha2-nistp256"), wireString("nistp256"), wireString(q)]);
    const ed = nodeKey("node@test");
    for (const [priv, blob, type] of [
      [ed.privateKey, ed.blob, "ssh-ed25519"],
      [ec.privateKey, ecBlob, "ecdsa-sha2-nistp256"],
    ] as const) {
      const sig = signSshsig(priv, blob, MESSAGE);
      writeFileSync(join(dir, "node.sig"), sig);
      writeFileSync(join(dir, "allowed"), `node@test ${type} ${blob.toString("base64")}\n`);
      const r = spawnSync(
        "ssh-keygen",
        ["-Y", "verify", "-f", join(dir, "allowed"), "-I", "node@test", "-n", DECISION_NAMESPACE, "-s", join(dir, "node.sig")],
        { input: MESSAGE, encoding: "utf8" },
      );
      expect(r.status, `${type}: ${r.stderr}`).toBe(0);
      expect(verifySshsig(sig, MESSAGE).ok).toBe(true);
    }
  });
});

describe("malformed signatures are reported, never thrown", () => {
  const k = nodeKey();
  const good = signSshsig(k.privateKey, k.blob, MESSAGE);
  const cases: Array<[string, string, RegExp]> = [
    ["no armor", "hello", /not an SSH signature/],
    ["damaged base64", good.replace(/\n([A-Za-z0-9+/]{10})/, "\n!!!!!!!!!!"), /base64|malformed/],
    ["truncated", `-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n`, /truncated/],
  ];
  for (const [name, text, reason] of cases) {
    it(name, () => {
      const r = verifySshsig(text, MESSAGE);
      expect(r.ok).toBe(false);
      expect(r.ok ? "" : r.reason).toMatch(reason);
    });
  }

  it("parses the fields of a good signature", () => {
    const p = parseSshsig(good);
    expect(p.namespace).toBe(DECISION_NAMESPACE);
    expect(p.hashAlgorithm).toBe("sha512");
    expect(p.signatureType).toBe("ssh-ed25519");
    expect(p.publicKey.equals(k.blob)).toBe(true);
  });
});

describe("only blobs ssh-keygen -Y verify accepts verify here", () => {
  const k = nodeKey("strict@test");
  const MAGIC = Buffer.from("SSHSIG");

  /** An ed25519 sshsig whose signature is valid over what it says, with the given oddities. */
  function forged(opts: { reserved?: Buffer; sigTrailer?: Buffer; keyTrailer?: Buffer; blobTrailer?: Buffer }): string {
    const reserved = opts.reserved ?? Buffer.alloc(0);
    const data = signedData(DECISION_NAMESPACE, "sha512", MESSAGE, reserved);
    const raw = sign(null, data, k.privateKey);
    const sigBlob = Buffer.concat([wireString("ssh-ed25519"), wireString(raw), opts.sigTrailer ?? Buffer.alloc(0)]);
    const pub = Buffer.concat([k.blob, opts.keyTrailer ?? Buffer.alloc(0)]);
    const blob = Buffer.concat([
      MAGIC,
      wireUint32(1),
      wireString(pub),
      wireString(DECISION_NAMESPACE),
      wireString(reserved),
      wireString("sha512"),
      wireString(sigBlob),
      opts.blobTrailer ?? Buffer.alloc(0),
    ]);
    return `-----BEGIN SSH SIGNATURE-----\n${blob.toString("base64").replace(/(.{70})/g, "$1\n")}\n-----END SSH SIGNATURE-----\n`;
  }

  const cases: Array<[string, Parameters<typeof forged>[0], RegExp]> = [
    ["a non-empty reserved field", { reserved: Buffer.from("x") }, /reserved field is not empty/],
    ["bytes after the signature proper", { sigTrailer: Buffer.from([0, 0, 0, 0]) }, /trailing bytes after the signature proper/],
    ["bytes after the public key's fields", { keyTrailer: Buffer.from([1, 2, 3]) }, /unusable key: the ssh-ed25519 key has trailing bytes/],
    ["bytes after the whole signature", { blobTrailer: Buffer.from([0]) }, /trailing bytes after the signature/],
  ];

  it("the same construction without oddities verifies (the cases below differ only in them)", () => {
    expect(verifySshsig(forged({}), MESSAGE)).toMatchObject({ ok: true });
  });

  for (const [name, opts, reason] of cases) {
    it(`refuses ${name}`, () => {
      const r = verifySshsig(forged(opts), MESSAGE);
      expect(r.ok).toBe(false);
      expect(r.ok ? "" : r.reason).toMatch(reason);
    });

    itSsh(`ssh-keygen -Y verify refuses ${name} too`, () => {
      writeFileSync(join(dir, "odd.sig"), forged(opts));
      writeFileSync(join(dir, "allowed-odd"), `strict@test ssh-ed25519 ${k.blob.toString("base64")}\n`);
      const r = spawnSync(
        "ssh-keygen",
        ["-Y", "verify", "-f", join(dir, "allowed-odd"), "-I", "strict@test", "-n", DECISION_NAMESPACE, "-s", join(dir, "odd.sig")],
        { input: MESSAGE, encoding: "utf8" },
      );
      expect(r.status).not.toBe(0);
    });
  }

  it("an ECDSA signature with bytes after r and s is refused", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = ec.publicKey.export({ format: "jwk" });
    const q = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    const blob = Buffer.concat([wireString("ecdsa-sha2-nistp256"), wireString("nistp256"), wireString(q)]);
    const good = parseSshsig(signSshsig(ec.privateKey, blob, MESSAGE));
    const withTrailer = Buffer.concat([good.signature, Buffer.from([0, 0, 0, 0])]);
    const armored = Buffer.concat([
      MAGIC,
      wireUint32(1),
      wireString(blob),
      wireString(DECISION_NAMESPACE),
      wireString(Buffer.alloc(0)),
      wireString("sha512"),
      wireString(Buffer.concat([wireString("ecdsa-sha2-nistp256"), wireString(withTrailer)])),
    ]);
    const text = `-----BEGIN SSH SIGNATURE-----\n${armored.toString("base64")}\n-----END SSH SIGNATURE-----\n`;
    expect(verifySshsig(signSshsig(ec.privateKey, blob, MESSAGE), MESSAGE).ok).toBe(true);
    const r = verifySshsig(text, MESSAGE);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.reason).toMatch(/ECDSA signature has trailing bytes/);
  });

  it("member key lines with bytes after the key are refused; security-key lines still read", () => {
    expect(() => parsePublicKeyLine(`ssh-ed25519 ${Buffer.concat([k.blob, Buffer.from([0])]).toString("base64")} x`)).toThrow(
      /trailing bytes/,
    );
    const sk = Buffer.concat([wireString("sk-ssh-ed25519@openssh.com"), wireString(Buffer.alloc(32, 7)), wireString("ssh:")]);
    expect(parsePublicKeyLine(`sk-ssh-ed25519@openssh.com ${sk.toString("base64")} key@sk`).type).toBe("sk-ssh-ed25519@openssh.com");
    expect(() => parsePublicKeyLine(`sk-ssh-ed25519@openssh.com ${Buffer.concat([sk, Buffer.from([1])]).toString("base64")}`)).toThrow(
      /trailing bytes/,
    );
  });
});
