/**
 * OpenSSH public keys: the one reader of `ssh-ed25519 AAAA… comment` lines, shared by the stack
 * spec (host.admins), governance/members.yaml, the authorized_keys renderer and the signature
 * checks; it turns a line into a node:crypto key and the SHA256 fingerprint `ssh-keygen -l`
 * prints.
 *
 * The key types are OpenSSH's plain public key types (sshkey.c `keyimpls` in OpenSSH 10.5,
 * without certificates and signature-only names), each blob read as ssh-keygen reads it:
 * - ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa: keys that can also sign decisions;
 * - sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com: hardware security keys
 *   (FIDO), accepted for logging in, not for signing decisions (their signatures carry
 *   authenticator data that coop does not verify).
 * Left out on purpose: ssh-dss (OpenSSH 10.0 removed DSA), ssh-mldsa44-ed25519@openssh.com
 * (experimental, and off in sshd's default PubkeyAcceptedAlgorithms, so such an admin could not
 * log in), and certificates (`*-cert-v01@openssh.com`: a host trusts a key, not a certificate,
 * in authorized_keys).
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { z } from "zod";
import { WireError, WireReader } from "./ssh-wire";

interface KeyType {
  /** Whether coop verifies decision signatures made with keys of this type. */
  readonly signs: boolean;
  readonly curve?: "nistp256" | "nistp384" | "nistp521";
}

// A Map, not an object: the type name comes from untrusted bytes ("constructor" is no key type).
const KEY_TYPES: ReadonlyMap<string, KeyType> = new Map([
  ["ssh-ed25519", { signs: true }],
  ["ssh-rsa", { signs: true }],
  ["ecdsa-sha2-nistp256", { signs: true, curve: "nistp256" }],
  ["ecdsa-sha2-nistp384", { signs: true, curve: "nistp384" }],
  ["ecdsa-sha2-nistp521", { signs: true, curve: "nistp521" }],
  ["sk-ssh-ed25519@openssh.com", { signs: false }],
  ["sk-ecdsa-sha2-nistp256@openssh.com", { signs: false, curve: "nistp256" }],
]);

/** Every key type accepted, in the order messages list them. */
export const SSH_KEY_TYPES: readonly string[] = [...KEY_TYPES.keys()];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The shape of a public key line: a known type, standard base64, an optional comment on the same line. */
export const KEY_LINE_RE = new RegExp(`^(${SSH_KEY_TYPES.map(escapeRe).join("|")}) ([A-Za-z0-9+/]+={0,2})(?: (.*))?$`);

const CURVES = {
  nistp256: { crv: "P-256", bytes: 32, hash: "sha256" },
  nistp384: { crv: "P-384", bytes: 48, hash: "sha384" },
  nistp521: { crv: "P-521", bytes: 66, hash: "sha512" },
} as const;

/** RSA limits: 2048 bits at least (NIST SP 800-131A); 16384 at most, OpenSSH's own (SSHBUF_MAX_BIGNUM). */
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 16384;
/** The public exponent must be odd with 2^16 < e < 2^256 (FIPS 186-5 A.1.1); ssh-keygen always uses 65537. */
const RSA_MIN_EXPONENT = 65537n;
const RSA_MAX_EXPONENT_BITS = 256;

const NEW_KEY_HINT = "make a new key with `ssh-keygen -t ed25519` and use the line of its .pub file";
const COPY_HINT = "paste the whole line of your .pub file, e.g. the contents of ~/.ssh/id_ed25519.pub";

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
  /** Absent for key types coop cannot verify signatures of (security keys). */
  readonly key?: KeyObject;
  /** For ECDSA: the hash the curve signs with, and the coordinate size. */
  readonly ecdsa?: { readonly hash: string; readonly bytes: number };
}

/** A key that cannot be used; the message says why, the hint what to do. */
export class KeyParseError extends Error {
  constructor(
    message: string,
    readonly hint: string = COPY_HINT,
  ) {
    super(message);
  }
}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Parses one public key line ("ssh-ed25519 AAAA… comment"). */
export function parsePublicKeyLine(line: string): SshPublicKey {
  const text = line.trim();
  const m = KEY_LINE_RE.exec(text);
  if (!m) throw lineShapeError(text);
  const blob = Buffer.from(m[2], "base64");
  // Node skips characters base64 cannot hold; the text must be exactly the blob's encoding.
  if (blob.toString("base64") !== m[2]) throw new KeyParseError("the base64 part of the key is cut short or padded wrongly");
  const key = parsePublicKeyBlob(blob);
  if (key.type !== m[1]) throw new KeyParseError(`the line says ${m[1]} but the key inside is ${key.type || "of no type"}`);
  return { ...key, comment: m[3] ?? "" };
}

/** Why a line is not the shape of a key line, naming what it looks like instead. */
function lineShapeError(text: string): KeyParseError {
  const first = text.split(/\s/, 1)[0];
  if (/PRIVATE KEY/.test(text)) return new KeyParseError("this is a private key, which must never leave your machine", COPY_HINT);
  if (first.endsWith("-cert-v01@openssh.com"))
    return new KeyParseError(
      `${first} is an SSH certificate, not a public key`,
      "use the key the certificate was made for (its .pub file)",
    );
  if (first === "ssh-dss") return new KeyParseError("DSA keys (ssh-dss) are no longer accepted by OpenSSH", NEW_KEY_HINT);
  if (/^[a-z0-9-]+(@[a-z0-9.-]+)?$/.test(first) && /\s/.test(text) && !SSH_KEY_TYPES.includes(first))
    return new KeyParseError(`${first} is not a key type OpenSSH accepts by default (${SSH_KEY_TYPES.join(", ")})`, NEW_KEY_HINT);
  return new KeyParseError("expected an OpenSSH public key line, e.g. 'ssh-ed25519 AAAAC3Nz… ada@laptop', all on one line");
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
    throw new KeyParseError(`the key data is not a valid key: ${(e as Error).message}`);
  }
}

function decodeFields(r: WireReader, blob: Buffer, id: string): SshPublicKey {
  const type = r.text();
  const spec = KEY_TYPES.get(type);
  if (!spec) throw new KeyParseError(`the key inside is of type '${printable(type)}', which is not accepted (${SSH_KEY_TYPES.join(", ")})`);
  const base = { type, blob, id, fingerprint: fingerprintOf(blob), comment: "" };
  let key: KeyObject;
  let ecdsa: SshPublicKey["ecdsa"];
  if (type === "ssh-rsa") key = rsaKey(r);
  else if (spec.curve) ({ key, ecdsa } = ecdsaKey(r, type, spec.curve));
  else key = ed25519Key(r);
  // A security key's blob ends with the FIDO application it was registered for (e.g. "ssh:").
  if (!spec.signs) {
    const application = r.string();
    if (application.includes(0)) throw new KeyParseError("the security key's application name holds a NUL byte");
    return base;
  }
  return { ...base, key, ...(ecdsa ? { ecdsa } : {}) };
}

function ed25519Key(r: WireReader): KeyObject {
  const x = r.string();
  if (x.length !== 32) throw new KeyParseError(`an ed25519 key must be 32 bytes, this one has ${x.length}`);
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(x) }, format: "jwk" });
}

function ecdsaKey(r: WireReader, type: string, expected: keyof typeof CURVES): { key: KeyObject; ecdsa: SshPublicKey["ecdsa"] } {
  const curveName = r.text();
  if (curveName !== expected)
    throw new KeyParseError(`a ${type} key must be on curve ${expected}, this one names '${printable(curveName)}'`);
  const curve = CURVES[expected];
  const q = r.string();
  if (q.length !== 1 + 2 * curve.bytes || q[0] !== 4)
    throw new KeyParseError(`the ${type} key's point is not an uncompressed ${expected} point`);
  const x = q.subarray(1, 1 + curve.bytes);
  const y = q.subarray(1 + curve.bytes);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: "EC", crv: curve.crv, x: b64url(x), y: b64url(y) }, format: "jwk" });
  } catch {
    throw new KeyParseError(`the ${type} key's point is not on curve ${expected}`);
  }
  return { key, ecdsa: { hash: curve.hash, bytes: curve.bytes } };
}

function rsaKey(r: WireReader): KeyObject {
  const e = r.mpint();
  const n = r.mpint();
  const bits = bitLength(n);
  if (bits < RSA_MIN_BITS)
    throw new KeyParseError(`RSA keys shorter than ${RSA_MIN_BITS} bits are refused (this one has ${bits})`, NEW_KEY_HINT);
  if (bits > RSA_MAX_BITS)
    throw new KeyParseError(`RSA keys longer than ${RSA_MAX_BITS} bits are refused by OpenSSH (this one has ${bits})`, NEW_KEY_HINT);
  const exponent = e.length === 0 ? 0n : BigInt(`0x${e.toString("hex")}`);
  if (exponent % 2n === 0n || exponent < RSA_MIN_EXPONENT || bitLength(e) > RSA_MAX_EXPONENT_BITS)
    throw new KeyParseError(
      `the RSA key's public exponent ${bitLength(e) > 64 ? `(${bitLength(e)} bits)` : exponent} is unusual; an odd exponent of at least 65537 is required, as ssh-keygen makes them`,
      NEW_KEY_HINT,
    );
  return createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" });
}

/** Bits of an unsigned big-endian integer without leading zero bytes. */
function bitLength(b: Buffer): number {
  return b.length === 0 ? 0 : (b.length - 1) * 8 + (32 - Math.clz32(b[0]));
}

/** Key type names come from untrusted bytes: show them only as plain ASCII. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?").slice(0, 64);
}

function b64url(b: Buffer): string {
  return b.toString("base64url");
}

/** The public key line for a blob, as it would appear in a .pub file (without comment). */
export function publicKeyLine(key: Pick<SshPublicKey, "type" | "id">): string {
  return `${key.type} ${key.id}`;
}

/**
 * A public key line as a field of a YAML file: one check that names what is wrong (a private
 * key, a certificate, DSA, a damaged or weak key); the shape also goes into the generated JSON
 * Schema as a pattern, so editors flag a line that is not a key at all.
 */
export const sshPublicKeyLine = z
  .string()
  .superRefine((line, ctx) => {
    try {
      parsePublicKeyLine(line);
    } catch (e) {
      if (!(e instanceof KeyParseError)) throw e;
      const shape = KEY_LINE_RE.test(line.trim());
      ctx.addIssue({ code: "custom", message: shape ? `the key cannot be used: ${e.message}` : e.message, params: { hint: e.hint } });
    }
  })
  .meta({ pattern: KEY_LINE_RE.source });
