/**
 * OpenSSH signatures (the `sshsig` format that `ssh-keygen -Y sign` writes), verified with
 * node:crypto so that the ledger can be checked offline without ssh-keygen, in the policy
 * pack and in `coop verify`.
 *
 * A signature is armored base64 of: "SSHSIG", version 1, the signer's public key, the
 * namespace, a reserved string, the hash algorithm and the signature proper. What is signed is
 * "SSHSIG", the namespace, the reserved string, the hash algorithm and H(message), each in the
 * SSH wire encoding. The namespace keeps a decision signature from being replayed as, e.g., a
 * git commit signature made with the same key, and the other way round.
 */
import * as crypto from "node:crypto";
import { createHash, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { type KeyParseError, parsePublicKeyBlob, type SshPublicKey } from "../../kernel/ssh-keys";
import { WireError, WireReader, wireMpint, wireString, wireUint32 } from "../../kernel/ssh-wire";

/** The namespace of every decision signature. */
export const DECISION_NAMESPACE = "coop-infra-decision";

const MAGIC = Buffer.from("SSHSIG");
const BEGIN = "-----BEGIN SSH SIGNATURE-----";
const END = "-----END SSH SIGNATURE-----";
const HASHES = new Set(["sha256", "sha512"]);

export interface ParsedSshsig {
  readonly publicKey: Buffer;
  readonly namespace: string;
  readonly reserved: Buffer;
  readonly hashAlgorithm: string;
  readonly signatureType: string;
  readonly signature: Buffer;
}

export type SshsigResult =
  | { readonly ok: true; readonly key: SshPublicKey }
  | { readonly ok: false; readonly reason: string; readonly key?: SshPublicKey };

/** Decodes an armored signature; throws WireError with a readable reason when it is malformed. */
export function parseSshsig(armored: string): ParsedSshsig {
  const text = armored.trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) throw new WireError(`not an SSH signature (expected '${BEGIN}' … '${END}')`);
  const body = text.slice(BEGIN.length, text.length - END.length).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new WireError("the signature's base64 is damaged");
  const r = new WireReader(Buffer.from(body, "base64"));
  if (!r.bytes(6).equals(MAGIC)) throw new WireError("missing the SSHSIG preamble");
  const version = r.uint32();
  if (version !== 1) throw new WireError(`unsupported sshsig version ${version}`);
  const publicKey = r.string();
  const namespace = r.text();
  const reserved = r.string();
  const hashAlgorithm = r.text();
  const sigBlob = new WireReader(r.string());
  if (!r.done) throw new WireError("trailing bytes after the signature");
  // As ssh-keygen -Y verify: bytes it would refuse must not make a signature valid here.
  if (reserved.length > 0) throw new WireError("the reserved field is not empty");
  const signatureType = sigBlob.text();
  const signature = sigBlob.string();
  if (!sigBlob.done) throw new WireError("trailing bytes after the signature proper");
  return { publicKey, namespace, reserved, hashAlgorithm, signatureType, signature };
}

/** The bytes the signer's key actually signs. */
// One-shot hashing where Node has it (20.12+): measurably cheaper for thousands of records.
const oneShotHash = (crypto as unknown as { hash?: (alg: string, data: Buffer | string, enc: "buffer") => Buffer }).hash;

export function signedData(namespace: string, hashAlgorithm: string, message: Buffer | string, reserved: Buffer = Buffer.alloc(0)): Buffer {
  const digest = oneShotHash ? oneShotHash(hashAlgorithm, message, "buffer") : createHash(hashAlgorithm).update(message).digest();
  return Buffer.concat([MAGIC, wireString(namespace), wireString(reserved), wireString(hashAlgorithm), wireString(digest)]);
}

/** Verifies an armored sshsig over `message` in `namespace`. Never throws. */
export function verifySshsig(armored: string, message: Buffer | string, namespace: string = DECISION_NAMESPACE): SshsigResult {
  let sig: ParsedSshsig;
  try {
    sig = parseSshsig(armored);
  } catch (e) {
    return { ok: false, reason: `the signature is malformed: ${(e as Error).message}` };
  }
  let key: SshPublicKey;
  try {
    key = knownKey(sig.publicKey);
  } catch (e) {
    return { ok: false, reason: `the signature carries an unusable key: ${(e as KeyParseError).message}` };
  }
  if (sig.namespace !== namespace)
    return { ok: false, key, reason: `it was made for the namespace '${sig.namespace}', not '${namespace}'` };
  if (!HASHES.has(sig.hashAlgorithm)) return { ok: false, key, reason: `unsupported hash algorithm '${sig.hashAlgorithm}'` };
  if (!key.key)
    return {
      ok: false,
      key,
      reason: `signatures by ${key.type} keys (security keys) cannot be verified by coop yet; sign with an ed25519, RSA or ECDSA key`,
    };
  const data = signedData(namespace, sig.hashAlgorithm, message, sig.reserved);
  let valid: boolean;
  try {
    valid = verifyRaw(key, sig.signatureType, sig.signature, data);
  } catch (e) {
    return { ok: false, key, reason: (e as Error).message };
  }
  return valid
    ? { ok: true, key }
    : { ok: false, key, reason: "the signature does not match the record (the record or the signature was changed after signing)" };
}

/**
 * Parsed signer keys, by blob: a ledger is signed by a handful of members thousands of times,
 * and building a key object costs more than verifying with it. Bounded so hostile input
 * cannot grow it without limit.
 */
const keys = new Map<string, SshPublicKey>();
const KNOWN_KEYS = 1024;

function knownKey(blob: Buffer): SshPublicKey {
  const id = blob.toString("base64");
  const hit = keys.get(id);
  if (hit) return hit;
  const key = parsePublicKeyBlob(blob);
  if (keys.size >= KNOWN_KEYS) keys.clear();
  keys.set(id, key);
  return key;
}

function verifyRaw(key: SshPublicKey, signatureType: string, signature: Buffer, data: Buffer): boolean {
  const k = key.key as KeyObject;
  switch (key.type) {
    case "ssh-ed25519":
      if (signatureType !== "ssh-ed25519") throw new Error(`a ${signatureType} signature cannot come from an ed25519 key`);
      return cryptoVerify(null, data, k, signature);
    case "ssh-rsa": {
      // ssh-keygen never makes SHA-1 ("ssh-rsa") sshsig signatures; accepting them would only help forgers.
      const hash = signatureType === "rsa-sha2-512" ? "sha512" : signatureType === "rsa-sha2-256" ? "sha256" : undefined;
      if (!hash) throw new Error(`RSA signature type '${signatureType}' is refused (only rsa-sha2-256 and rsa-sha2-512)`);
      return cryptoVerify(hash, data, k, signature);
    }
    default: {
      if (!key.ecdsa || signatureType !== key.type) throw new Error(`a ${signatureType} signature cannot come from a ${key.type} key`);
      const r = new WireReader(signature);
      const rr = r.mpint();
      const ss = r.mpint();
      if (!r.done) throw new Error("the ECDSA signature has trailing bytes");
      const size = key.ecdsa.bytes;
      if (rr.length > size || ss.length > size) return false;
      const p1363 = Buffer.concat([Buffer.alloc(size - rr.length), rr, Buffer.alloc(size - ss.length), ss]);
      return cryptoVerify(key.ecdsa.hash, data, { key: k, dsaEncoding: "ieee-p1363" }, p1363);
    }
  }
}

/**
 * Makes an sshsig with an ed25519 or ECDSA private key held by node:crypto. `coop sign` uses
 * ssh-keygen (so agents, passphrases and hardware keys work); this is for generated ledgers
 * (benchmarks, tests) where thousands of signatures are needed quickly.
 */
export function signSshsig(
  privateKey: KeyObject,
  publicBlob: Buffer,
  message: Buffer | string,
  namespace: string = DECISION_NAMESPACE,
  hashAlgorithm = "sha512",
): string {
  const key = parsePublicKeyBlob(publicBlob);
  const data = signedData(namespace, hashAlgorithm, message);
  let sigBlob: Buffer;
  if (key.type === "ssh-ed25519") {
    sigBlob = Buffer.concat([wireString("ssh-ed25519"), wireString(cryptoSign(null, data, privateKey))]);
  } else if (key.ecdsa) {
    const p1363 = cryptoSign(key.ecdsa.hash, data, { key: privateKey, dsaEncoding: "ieee-p1363" });
    const half = p1363.length / 2;
    const inner = Buffer.concat([wireMpint(p1363.subarray(0, half)), wireMpint(p1363.subarray(half))]);
    sigBlob = Buffer.concat([wireString(key.type), wireString(inner)]);
  } else {
    throw new Error(`signSshsig: ${key.type} keys are not supported here`);
  }
  const blob = Buffer.concat([
    MAGIC,
    wireUint32(1),
    wireString(publicBlob),
    wireString(namespace),
    wireString(Buffer.alloc(0)),
    wireString(hashAlgorithm),
    wireString(sigBlob),
  ]);
  const b64 = blob
    .toString("base64")
    .replace(/(.{70})/g, "$1\n")
    .replace(/\n$/, "");
  return `${BEGIN}\n${b64}\n${END}\n`;
}
