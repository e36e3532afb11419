/**
 * Per-run placeholders for secrets: config secrets, and the generated secret outputs the
 * program may read and interpolate (random values, private keys). Recognisable, so the view
 * masks exactly the secret part of a value by where it comes from (plan/view.ts).
 */
import { generateKeyPairSync, randomBytes, randomInt, type KeyObject } from "node:crypto";

/** A placeholder that the program cannot produce except by reading the config value. */
export function configSecretPlaceholder(project: string, key: string): string {
  return `coop-config-secret:${project}:${key}:${randomBytes(8).toString("hex")}`;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random letters and digits: passes the checks a program makes of a generated password or salt. */
function alnum(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** Long enough that a placeholder never occurs by chance in other text. */
const MIN_PLACEHOLDER = 16;

function lengthOf(inputs: Record<string, unknown>, fallback: number): number {
  return typeof inputs.length === "number" && Number.isFinite(inputs.length) ? Math.max(inputs.length, MIN_PLACEHOLDER) : fallback;
}

/**
 * Placeholders for a resource's generated secret outputs: what the program may read and
 * interpolate (random results and bytes, private keys, any output the resource marks secret).
 * Keys are real keys of the requested kind, since programs parse them (a VAPID key from the
 * PEM); the twin run (generation 1) gets different ones.
 */
export function generatedSecretOutputs(
  type: string,
  inputs: Record<string, unknown>,
  secretOutputs: readonly string[],
  generation: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (type === "random:index/randomPassword:RandomPassword" || type === "random:index/randomString:RandomString")
    out.result = alnum(lengthOf(inputs, 32));
  if (type === "random:index/randomBytes:RandomBytes") {
    const n = Math.max(typeof inputs.length === "number" ? inputs.length : 32, 8);
    out.hex = randomBytes(n).toString("hex");
    out.base64 = randomBytes(n).toString("base64");
  }
  if (type === "tls:index/privateKey:PrivateKey") {
    const key = privateKey(inputs, generation);
    if (key) {
      out.privateKeyPem = key.export(pemFormatOf(key)) as string;
      out.privateKeyPemPkcs8 = key.export({ type: "pkcs8", format: "pem" }) as string;
    }
    out.privateKeyOpenssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(48).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
  }
  for (const name of secretOutputs) {
    if (!(name in out) && inputs[name] === undefined) out[name] = `coop-generated-secret-${randomBytes(16).toString("hex")}`;
  }
  for (const name of Object.keys(out)) if (inputs[name] !== undefined) delete out[name]; // an input the program set is not generated
  return out;
}

function pemFormatOf(key: KeyObject): { type: "pkcs1" | "sec1" | "pkcs8"; format: "pem" } {
  // The tls provider's privateKeyPem: PKCS#1 for RSA, SEC 1 for ECDSA, PKCS#8 for Ed25519.
  const type = key.asymmetricKeyType === "rsa" ? "pkcs1" : key.asymmetricKeyType === "ec" ? "sec1" : "pkcs8";
  return { type, format: "pem" };
}

const CURVES: Readonly<Record<string, string>> = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };

/**
 * Keys per kind and generation, made once per process: a key made here is as unknowable to the
 * program as a fresh one; the two generations always differ. RSA placeholders are small: only
 * their PEM shape matters to the program, and a 2048-bit key costs ~150 ms per generation.
 */
const PLACEHOLDER_RSA_BITS = 512;
const keys = new Map<string, KeyObject>();

function privateKey(inputs: Record<string, unknown>, generation: number): KeyObject | undefined {
  const algorithm = inputs.algorithm;
  const bits = typeof inputs.rsaBits === "number" ? inputs.rsaBits : 2048;
  const curve = CURVES[typeof inputs.ecdsaCurve === "string" ? inputs.ecdsaCurve : "P224"];
  const id = `${String(algorithm)}:${bits}:${curve}:${generation}`;
  let key = keys.get(id);
  if (key) return key;
  if (algorithm === "RSA") key = generateKeyPairSync("rsa", { modulusLength: PLACEHOLDER_RSA_BITS }).privateKey;
  else if (algorithm === "ECDSA" && curve) key = generateKeyPairSync("ec", { namedCurve: curve }).privateKey;
  else if (algorithm === "ED25519") key = generateKeyPairSync("ed25519").privateKey;
  if (key) keys.set(id, key);
  return key;
}
