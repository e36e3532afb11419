import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DECISION_NAMESPACE, parseSshsig, signSshsig, verifySshsig } from "../../../policies/governance/sshsig";
import { parsePublicKeyLine } from "../../../policies/governance/ssh-keys";
import { wireString } from "../../../policies/governance/ssh-wire";
import { fixtureKey, fixturePublicKey, nodeKey } from "../../helpers/governance";
import { withTool } from "../../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const dir = mkdtempSync(join(tmpdir(), "coop-sshsig-"));

function sshSign(key: string, message: string, namespace = DECISION_NAMESPACE): string {
  return execFileSync("ssh-keygen", ["-Y", "sign", "-f", key, "-n", namespace], { input: message, encoding: "utf8", stdio: ["pipe", "pipe", "ignore"] });
}

function newKey(type: string, bits?: number): string {
  const path = join(dir, `${type}-${bits ?? 0}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", String(bits)] : []), "-N", "", "-C", `${type}@test`, "-f", path], { stdio: "ignore" });
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

  for (const [type, bits] of [["rsa", 3072], ["ecdsa", 256], ["ecdsa", 384], ["ecdsa", 521], ["ed25519", undefined]] as const) {
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
    for (const [priv, blob, type] of [[ed.privateKey, ed.blob, "ssh-ed25519"], [ec.privateKey, ecBlob, "ecdsa-sha2-nistp256"]] as const) {
      const sig = signSshsig(priv, blob, MESSAGE);
      writeFileSync(join(dir, "node.sig"), sig);
      writeFileSync(join(dir, "allowed"), `node@test ${type} ${blob.toString("base64")}\n`);
      const r = spawnSync("ssh-keygen", ["-Y", "verify", "-f", join(dir, "allowed"), "-I", "node@test", "-n", DECISION_NAMESPACE, "-s", join(dir, "node.sig")], { input: MESSAGE, encoding: "utf8" });
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

