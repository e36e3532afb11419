/**
 * SHA512-CRYPT ("$6$"), the password scheme docker-mailserver writes into postfix-accounts.cf
 * (`user@domain|{SHA512-CRYPT}$6$salt$hash`) and Dovecot verifies.
 *
 * Implemented here from Ulrich Drepper's public specification "Unix crypt using SHA-256 and
 * SHA-512" (the algorithm glibc's crypt(3) uses), because Node has no crypt(3) and the hash must
 * be computed deterministically from a generated password and a generated salt: a fresh random
 * salt on every run would change the container's inputs, and so the plan, on every `pulumi up`.
 * Tests check it against the specification's test vectors and against `doveadm pw -t`.
 */
import { createHash, hash as oneShotHash } from "node:crypto";

/** The crypt alphabet (not RFC 4648 base64). */
const ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DEFAULT_ROUNDS = 5000;
const MIN_ROUNDS = 1000;
const MAX_ROUNDS = 999_999_999;
const MAX_SALT = 16;

/** Byte order in which the 64-byte digest is encoded, three bytes at a time (from the spec). */
const ORDER: ReadonlyArray<readonly [number, number, number]> = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

/** Characters a salt may use: the crypt alphabet, without '$' (the field separator). */
export const SALT_RE = /^[./0-9A-Za-z]{1,16}$/;

function sha512(...parts: Buffer[]): Buffer {
  const h = createHash("sha512");
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `n` bytes made of `block` repeated (the spec's "P sequence" / "S sequence"). */
function repeatTo(block: Buffer, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += block.length) block.copy(out, i, 0, Math.min(block.length, n - i));
  return out;
}

function encode24(b2: number, b1: number, b0: number, chars: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let s = "";
  for (let i = 0; i < chars; i++) {
    s += ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return s;
}

/**
 * The crypt string `$6$<salt>$<hash>` (or `$6$rounds=N$<salt>$<hash>` when `rounds` differs from
 * the default 5000) for `password`. The salt must use the crypt alphabet; only its first 16
 * characters count, as in glibc.
 */
export function sha512Crypt(password: string, salt: string, rounds: number = DEFAULT_ROUNDS): string {
  if (!SALT_RE.test(salt.slice(0, MAX_SALT))) {
    throw new Error("sha512Crypt: the salt must be 1-16 characters of [./0-9A-Za-z]");
  }
  if (!Number.isInteger(rounds)) throw new Error("sha512Crypt: rounds must be an integer");
  const r = Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, rounds));
  const P = Buffer.from(password, "utf8");
  const S = Buffer.from(salt.slice(0, MAX_SALT), "utf8");

  const B = sha512(P, S, P);

  const a = createHash("sha512");
  a.update(P);
  a.update(S);
  a.update(repeatTo(B, P.length));
  for (let n = P.length; n > 0; n >>>= 1) a.update(n & 1 ? B : P);
  const A = a.digest();

  const pSeq = repeatTo(sha512(...Array<Buffer>(P.length).fill(P)), P.length);
  const sSeq = repeatTo(sha512(...Array<Buffer>(16 + A[0]).fill(S)), S.length);

  // The rounds dominate the cost (5,000 digests per account line, on every plan): each round's
  // input is laid out in one reused buffer and hashed in one call.
  let C: Buffer = A;
  const round = Buffer.allocUnsafe(2 * 64 + S.length + 2 * P.length);
  for (let i = 0; i < r; i++) {
    let n = (i & 1 ? pSeq : C).copy(round, 0);
    if (i % 3 !== 0) n += sSeq.copy(round, n);
    if (i % 7 !== 0) n += pSeq.copy(round, n);
    n += (i & 1 ? C : pSeq).copy(round, n);
    C = oneShotHash("sha512", round.subarray(0, n), "buffer") as unknown as Buffer;
  }

  let hash = "";
  for (const [x, y, z] of ORDER) hash += encode24(C[x], C[y], C[z], 4);
  hash += encode24(0, 0, C[63], 2);

  const roundsPart = rounds === DEFAULT_ROUNDS ? "" : `rounds=${r}$`;
  return `$6$${roundsPart}${S.toString("utf8")}$${hash}`;
}
