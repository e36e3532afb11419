/**
 * OpenSSH public keys: parsing `authorized_keys`-style lines into node:crypto key objects, and
 * their SHA256 fingerprints (as `ssh-keygen -l` prints them). Members sign with these keys.
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { WireError, WireReader } from "./ssh-wire";

/** Key types whose signatures coop verifies. Security-key types (sk-*) are accepted as member keys but cannot sign decisions. */
export const SIGNING_KEY_TYPES = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"] as const;
export const KEY_LINE_RE =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,2})(?: (.*))?$/;

const CURVES: Record<string, { crv: string; bytes: number; hash: string }> = {
  nistp256: { crv: "P-256", bytes: 32, hash: "sha256" },
  nistp384: { crv: "P-384", bytes: 48, hash: "sha384" },
  nistp521: { crv: "P-521", bytes: 66, hash: "sha512" },
};

export interface SshPublicKey {
  /** e.g. ssh-ed25519 */
  readonly type: string;
  /** The wire blob (what the base64 part of the line encodes). */
  readonly blob: Buffer;
  /** base64 of the blob: the identity used to match a signature's key to a member. */
  readonly id: string;
  /** SHA256:… as ssh-keygen prints it. */
  readonly fingerprint: string;
  readonly comment: string;
  /** Absent for key types coop cannot verify signatures of. */
  readonly key?: KeyObject;
  /** For ECDSA: the hash the curve signs with, and the coordinate size. */
  readonly ecdsa?: { readonly hash: string; readonly bytes: number };
}

export class KeyParseError extends Error {}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Parses one public key line ("ssh-ed25519 AAAA… comment"). */
export function parsePublicKeyLine(line: string): SshPublicKey {
  const m = KEY_LINE_RE.exec(line.trim());
  if (!m) throw new KeyParseError("expected an OpenSSH public key line such as 'ssh-ed25519 AAAAC3Nz… ada@laptop'");
  const blob = Buffer.from(m[2], "base64");
  const key = parsePublicKeyBlob(blob);
  if (key.type !== m[1]) throw new KeyParseError(`the line says ${m[1]} but the key inside is ${key.type}`);
  return { ...key, comment: m[3] ?? "" };
}

const blobCache = new Map<string, SshPublicKey>();

/** Parses a public key blob; results are cached because a ledger repeats the same few keys. */
export function parsePublicKeyBlob(blob: Buffer): SshPublicKey {
  const id = blob.toString("base64");
  const hit = blobCache.get(id);
  if (hit) return hit;
  const parsed = decodeBlob(blob, id);
  blobCache.set(id, parsed);
  return parsed;
}

function decodeBlob(blob: Buffer, id: string): SshPublicKey {
  const r = new WireReader(blob);
  try {
    const key = decodeFields(r, blob, id);
    // The key id is the whole blob: extra bytes would make one key look like another member's.
    if (!r.done) throw new KeyParseError(`the ${key.type} key has trailing bytes after its fields`);
    return key;
  } catch (e) {
    if (e instanceof KeyParseError) throw e;
    if (e instanceof WireError) throw new KeyParseError(`the key data is damaged: ${e.message}`);
    throw new KeyParseError(`the key cannot be used: ${(e as Error).message}`);
  }
}

function decodeFields(r: WireReader, blob: Buffer, id: string): SshPublicKey {
  const type = r.text();
  const base = { type, blob, id, fingerprint: fingerprintOf(blob), comment: "" };
  switch (type) {
    case "ssh-ed25519": {
      const x = r.string();
      if (x.length !== 32) throw new KeyParseError("an ed25519 key must be 32 bytes");
      return { ...base, key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(x) }, format: "jwk" }) };
    }
    case "ssh-rsa": {
      const e = r.mpint();
      const n = r.mpint();
      if (n.length * 8 < 2048) throw new KeyParseError(`RSA keys shorter than 2048 bits are refused (this one has ${n.length * 8})`);
      return { ...base, key: createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" }) };
    }
    case "ecdsa-sha2-nistp256":
    case "ecdsa-sha2-nistp384":
    case "ecdsa-sha2-nistp521": {
      const curveName = r.text();
      const curve = CURVES[curveName];
      if (!curve || `ecdsa-sha2-${curveName}` !== type) throw new KeyParseError(`unexpected curve ${curveName} in a ${type} key`);
      const q = r.string();
      if (q.length !== 1 + 2 * curve.bytes || q[0] !== 4) throw new KeyParseError("expected an uncompressed curve point");
      const x = q.subarray(1, 1 + curve.bytes);
      const y = q.subarray(1 + curve.bytes);
      return {
        ...base,
        key: createPublicKey({ key: { kty: "EC", crv: curve.crv, x: b64url(x), y: b64url(y) }, format: "jwk" }),
        ecdsa: { hash: curve.hash, bytes: curve.bytes },
      };
    }
    // Security keys: read (so the blob is checked whole) but not usable for signing decisions.
    case "sk-ssh-ed25519@openssh.com":
      r.string();
      r.string();
      return base;
    case "sk-ecdsa-sha2-nistp256@openssh.com":
      r.text();
      r.string();
      r.string();
      return base;
    default:
      throw new KeyParseError(`unsupported key type ${type}`);
  }
}

function b64url(b: Buffer): string {
  return b.toString("base64url");
}

/** The public key line for a blob, as it would appear in a .pub file (without comment). */
export function publicKeyLine(key: Pick<SshPublicKey, "type" | "id">): string {
  return `${key.type} ${key.id}`;
}
