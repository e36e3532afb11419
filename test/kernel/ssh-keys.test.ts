/**
 * The one reader of OpenSSH public keys: every type OpenSSH accepts reads (as ssh-keygen reads
 * it), damaged and weak keys are refused with a reason, and the three places that take keys
 * (the stack spec, members.yaml, the authorized_keys renderer) agree on every line.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderAuthorizedKeys } from "../../components/host/admin-keys";
import { KeyParseError, parsePublicKeyBlob, parsePublicKeyLine, SSH_KEY_TYPES, sshPublicKeyLine } from "../../kernel/ssh-keys";
import { wireMpint, wireString } from "../../kernel/ssh-wire";
import { MembersSchema } from "../../rulebook/records/members";
import { StackSpecSchema } from "../../stacks/schema";
import { ecdsaBlob, ecdsaPoint, ed25519Blob, keyLine, lineOfEveryType, rsaBlob } from "../helpers/ssh-keys";
import { withTool } from "../helpers/tools";

const dir = mkdtempSync(join(tmpdir(), "coop-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EVERY = lineOfEveryType();

function refusal(line: string): KeyParseError {
  try {
    parsePublicKeyLine(line);
  } catch (e) {
    expect(e).toBeInstanceOf(KeyParseError);
    return e as KeyParseError;
  }
  throw new Error(`expected ${line.slice(0, 40)}… to be refused`);
}

describe("the key types", () => {
  it("are OpenSSH's plain public key types, hardware keys included", () => {
    expect([...SSH_KEY_TYPES].sort()).toEqual(Object.keys(EVERY).sort());
  });

  it.each(Object.entries(EVERY))("%s reads, with its comment and fingerprint", (type, line) => {
    const key = parsePublicKeyLine(line);
    expect(key.type).toBe(type);
    expect(key.comment).toBe("someone@laptop");
    expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    // Security keys log in; only the other keys can sign decisions.
    expect(key.key !== undefined).toBe(!type.startsWith("sk-"));
  });

  withTool("ssh-keygen", "openssh-client")("ssh-keygen reads every one with the same fingerprint", () => {
    for (const [type, line] of Object.entries(EVERY)) {
      const file = join(dir, `${type}.pub`);
      writeFileSync(file, `${line}\n`);
      const printed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", file], { encoding: "utf8" });
      expect(printed.split(" ")[1], type).toBe(parsePublicKeyLine(line).fingerprint);
    }
  });

  withTool("ssh-keygen", "openssh-client")("reads the keys ssh-keygen makes", () => {
    for (const [t, bits] of [
      ["ed25519", "256"],
      ["ecdsa", "384"],
      ["rsa", "3072"],
    ]) {
      const file = join(dir, `made-${t}`);
      execFileSync("ssh-keygen", ["-q", "-t", t, "-b", bits, "-N", "", "-C", "ada@laptop", "-f", file]);
      const key = parsePublicKeyLine(readFileSync(`${file}.pub`, "utf8"));
      const printed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`], { encoding: "utf8" });
      expect(printed.split(" ")[1]).toBe(key.fingerprint);
      expect(key.comment).toBe("ada@laptop");
    }
  });
});

describe("refused keys say why", () => {
  const ed = ed25519Blob();

  it("a line whose base64 is not a key of its type", () => {
    expect(refusal("ssh-ed25519 AAAAnotakey").message).toBe("the base64 part of the key is cut short or padded wrongly");
    expect(refusal("ssh-ed25519 AAAAnotakeyA").message).toMatch(/damaged: truncated/);
    expect(refusal(`ssh-ed25519 ${rsaBlob(2048).toString("base64")}`).message).toBe(
      "the line says ssh-ed25519 but the key inside is ssh-rsa",
    );
    expect(refusal(`ssh-ed25519 ${ed.subarray(0, ed.length - 3).toString("base64")}`).message).toMatch(/damaged: truncated/);
    expect(refusal(`ssh-ed25519 ${Buffer.concat([ed, Buffer.from([0])]).toString("base64")}`).message).toMatch(/trailing bytes/);
    // Padding dropped: Node would still decode it, but the text is not the key's encoding.
    expect(refusal(`ssh-rsa ${rsaBlob(2048).toString("base64").replace(/=+$/, "")}x`).message).toMatch(/base64/);
  });

  it("weak RSA keys: short moduli and unusual exponents", () => {
    const short = refusal(keyLine(rsaBlob(1024)));
    expect(short.message).toBe("RSA keys shorter than 2048 bits are refused (this one has 1024)");
    expect(short.hint).toMatch(/ssh-keygen -t ed25519/);
    expect(refusal(keyLine(rsaBlob(2048, 3))).message).toMatch(/public exponent 3 is unusual/);
    expect(refusal(keyLine(rsaBlob(2048, 37))).message).toMatch(/public exponent 37 is unusual/);
    const { n } = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }) as { n: string };
    const even = Buffer.concat([wireString("ssh-rsa"), wireMpint(Buffer.from([1, 0, 0])), wireMpint(Buffer.from(n, "base64url"))]);
    expect(refusal(keyLine(even)).message).toMatch(/public exponent 65536 is unusual/);
    // 2047 bits is short even though it fills 256 bytes.
    const odd = Buffer.from(n, "base64url");
    odd[0] = 0x40 | (odd[0] & 0x3f);
    const b2047 = Buffer.concat([wireString("ssh-rsa"), wireMpint(Buffer.from([1, 0, 1])), wireMpint(odd)]);
    expect(refusal(keyLine(b2047)).message).toMatch(/this one has 2047/);
  });

  it("ECDSA points that are not on their curve, or on another curve", () => {
    const p = ecdsaPoint("nistp256");
    p[40] ^= 1;
    expect(refusal(keyLine(ecdsaBlob("nistp256", { point: p }))).message).toMatch(/not on curve nistp256/);
    expect(refusal(keyLine(ecdsaBlob("nistp256", { sk: true, point: p }))).message).toMatch(/not on curve nistp256/);
    const mixed = Buffer.concat([wireString("ecdsa-sha2-nistp256"), wireString("nistp384"), wireString(ecdsaPoint("nistp384"))]);
    expect(refusal(keyLine(mixed)).message).toMatch(/must be on curve nistp256/);
    const compressed = ecdsaPoint("nistp256").subarray(0, 33);
    compressed[0] = 2;
    expect(refusal(keyLine(ecdsaBlob("nistp256", { point: compressed }))).message).toMatch(/not an uncompressed/);
  });

  it("a security key without its application, or with a NUL in it", () => {
    const sk = ed25519Blob({ sk: true });
    expect(refusal(keyLine(sk.subarray(0, sk.length - 8))).message).toMatch(/damaged/);
    const nul = Buffer.concat([sk.subarray(0, sk.length - 8), wireString(Buffer.from("ssh:\0x"))]);
    expect(refusal(keyLine(nul)).message).toMatch(/NUL/);
  });

  it("what is not a public key line at all, naming what it is", () => {
    expect(refusal("ssh-dss AAAAB3NzaC1kc3MAAACBAP x").message).toMatch(/DSA keys \(ssh-dss\) are no longer accepted/);
    expect(refusal(`ssh-ed25519-cert-v01@openssh.com ${ed.toString("base64")} x`).message).toMatch(/certificate, not a public key/);
    expect(refusal("-----BEGIN OPENSSH PRIVATE KEY-----").message).toMatch(/private key/);
    expect(refusal(`ssh-foo ${ed.toString("base64")}`).message).toMatch(/ssh-foo is not a key type OpenSSH accepts/);
    expect(refusal(`${keyLine(ed)}\ncommand="reboot" ${keyLine(ed)}`).message).toMatch(/all on one line/);
    expect(refusal("").message).toMatch(/expected an OpenSSH public key line/);
  });

  it("a blob naming a type that only looks like one to a lookup table", () => {
    for (const type of ["constructor", "__proto__", "toString"]) {
      const blob = Buffer.concat([wireString(type), wireString(Buffer.alloc(32, 1)), wireString("ssh:")]);
      expect(() => parsePublicKeyBlob(blob)).toThrow(new RegExp(`of type '${type}', which is not accepted`));
    }
  });

  it("messages never echo a bogus type name's control characters", () => {
    const weird = Buffer.concat([wireString("ssh-\u0007\u001b[2J"), wireString(Buffer.alloc(32))]);
    const message = refusal(`ssh-ed25519 ${weird.toString("base64")}`).message;
    expect(message).toMatch(/of type 'ssh-\?\?\[2J'/);
    expect([...message].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
  });
});

describe("as a YAML field", () => {
  it("one problem per bad key, with a hint", () => {
    const r = sshPublicKeyLine.safeParse("ssh-ed25519 AAAAnotakey");
    expect(r.success).toBe(false);
    const [issue, ...more] = r.error!.issues;
    expect(more).toEqual([]);
    expect(issue.message).toMatch(/^the key cannot be used: /);
    expect((issue as { params?: { hint?: string } }).params?.hint).toMatch(/\.pub/);
    expect(sshPublicKeyLine.safeParse("not-a-key").error!.issues[0].message).toMatch(/^expected an OpenSSH public key line/);
  });
});

describe("the spec, members.yaml and authorized_keys agree", () => {
  const spec = (sshPublicKey: string) =>
    StackSpecSchema.safeParse({
      coop: { name: "Test" },
      domain: "test.coop",
      host: { target: "hetzner", sshSources: ["203.0.113.7/32"], admins: [{ name: "ada", sshPublicKey }] },
    }).success;
  const members = (line: string) => MembersSchema.safeParse({ members: [{ name: "ada", roles: ["admin"], sshKeys: [line] }] }).success;
  const rendered = (line: string) => {
    try {
      renderAuthorizedKeys([{ name: "ada", sshPublicKey: line }]);
      return true;
    } catch {
      return false;
    }
  };

  it.each(Object.entries(EVERY))("all accept %s (a hardware key in the spec too)", (_type, line) => {
    expect([spec(line), members(line), rendered(line)]).toEqual([true, true, true]);
  });

  it.each([
    ["a line whose base64 is not a key", "ssh-ed25519 AAAAnotakey"],
    ["a weak RSA key", keyLine(rsaBlob(1024))],
    ["a key of another type than its line says", `ssh-ed25519 ${rsaBlob(2048).toString("base64")}`],
    ["a DSA key", "ssh-dss AAAAB3NzaC1kc3MAAACBAP x"],
  ])("all refuse %s", (_what, line) => {
    expect([spec(line), members(line), rendered(line)]).toEqual([false, false, false]);
  });
});
