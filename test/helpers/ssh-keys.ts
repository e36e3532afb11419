/**
 * OpenSSH public key lines of every type, made in Node (no ssh-keygen needed): the blob layout of
 * RFC 4253 §6.6 (ssh-rsa), RFC 5656 §3.1 (ECDSA), RFC 8709 §4 (ed25519) and OpenSSH's
 * PROTOCOL.u2f (the sk-* security-key types, which end with the FIDO application).
 */
import { generateKeyPairSync } from "node:crypto";
import { wireMpint, wireString } from "../../kernel/ssh-wire";

export type CurveName = "nistp256" | "nistp384" | "nistp521";
const NODE_CURVES: Record<CurveName, string> = { nistp256: "P-256", nistp384: "P-384", nistp521: "P-521" };

function jwk(key: ReturnType<typeof generateKeyPairSync>["publicKey"]): Record<string, string> {
  return key.export({ format: "jwk" }) as Record<string, string>;
}

const b = (s: string) => Buffer.from(s, "base64url");

export function ed25519Blob(opts: { sk?: boolean } = {}): Buffer {
  const { x } = jwk(generateKeyPairSync("ed25519").publicKey);
  const type = opts.sk ? "sk-ssh-ed25519@openssh.com" : "ssh-ed25519";
  return Buffer.concat([wireString(type), wireString(b(x)), ...(opts.sk ? [wireString("ssh:")] : [])]);
}

export function ecdsaPoint(curve: CurveName): Buffer {
  const { x, y } = jwk(generateKeyPairSync("ec", { namedCurve: NODE_CURVES[curve] }).publicKey);
  return Buffer.concat([Buffer.from([4]), b(x), b(y)]);
}

export function ecdsaBlob(curve: CurveName, opts: { sk?: boolean; point?: Buffer } = {}): Buffer {
  const type = opts.sk ? "sk-ecdsa-sha2-nistp256@openssh.com" : `ecdsa-sha2-${curve}`;
  const parts = [wireString(type), wireString(curve), wireString(opts.point ?? ecdsaPoint(curve))];
  return Buffer.concat(opts.sk ? [...parts, wireString("ssh:")] : parts);
}

export function rsaBlob(bits: number, publicExponent = 65537): Buffer {
  const { n, e } = jwk(generateKeyPairSync("rsa", { modulusLength: bits, publicExponent }).publicKey);
  return Buffer.concat([wireString("ssh-rsa"), wireMpint(b(e)), wireMpint(b(n))]);
}

/** The .pub line of a blob: its type (read from the blob), base64, a comment. */
export function keyLine(blob: Buffer, comment = "someone@laptop"): string {
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString("latin1");
  return `${type} ${blob.toString("base64")}${comment ? ` ${comment}` : ""}`;
}

/** A valid line of every key type OpenSSH accepts, by type. */
export function lineOfEveryType(): Record<string, string> {
  return {
    "ssh-ed25519": keyLine(ed25519Blob()),
    "ssh-rsa": keyLine(rsaBlob(2048)),
    "ecdsa-sha2-nistp256": keyLine(ecdsaBlob("nistp256")),
    "ecdsa-sha2-nistp384": keyLine(ecdsaBlob("nistp384")),
    "ecdsa-sha2-nistp521": keyLine(ecdsaBlob("nistp521")),
    "sk-ssh-ed25519@openssh.com": keyLine(ed25519Blob({ sk: true })),
    "sk-ecdsa-sha2-nistp256@openssh.com": keyLine(ecdsaBlob("nistp256", { sk: true })),
  };
}
