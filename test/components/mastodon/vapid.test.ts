import { createECDH, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { urlsafeBase64, vapidKeysFromPem } from "../../../components/mastodon/vapid";

/** A P-256 key in the PEM form @pulumi/tls writes for ECDSA keys (SEC1, "EC PRIVATE KEY"). */
function sec1Pem(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return privateKey.export({ format: "pem", type: "sec1" }).toString();
}

/** Ruby's Base64.urlsafe_decode64 accepts exactly this alphabet with '=' padding. */
const URLSAFE_PADDED = /^[A-Za-z0-9_-]+={0,2}$/;

describe("VAPID keys in Mastodon's encoding", () => {
  it("are the raw P-256 keys, URL-safe base64 with padding as `rake mastodon:webpush:generate_vapid_key` prints them", () => {
    for (let i = 0; i < 20; i++) {
      const { publicKey, privateKey } = vapidKeysFromPem(sec1Pem());
      expect(publicKey).toMatch(URLSAFE_PADDED);
      expect(privateKey).toMatch(URLSAFE_PADDED);
      expect(publicKey).toHaveLength(88); // 65 bytes
      expect(privateKey).toHaveLength(44); // 32 bytes
      const pub = Buffer.from(publicKey, "base64url");
      const priv = Buffer.from(privateKey, "base64url");
      expect(pub).toHaveLength(65);
      expect(pub[0]).toBe(0x04); // uncompressed point
      expect(priv).toHaveLength(32);
    }
  });

  it("decode to a matching key pair: the public key is the private scalar's point", () => {
    const pem = sec1Pem();
    const { publicKey, privateKey } = vapidKeysFromPem(pem);
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(Buffer.from(privateKey, "base64url"));
    expect(ecdh.getPublicKey().equals(Buffer.from(publicKey, "base64url"))).toBe(true);
    // And they are the key that was generated.
    const spki = createPublicKey(pem).export({ format: "der", type: "spki" });
    expect(spki.subarray(spki.length - 65).equals(Buffer.from(publicKey, "base64url"))).toBe(true);
  });

  it("sign and verify like a push server would (ES256 over the decoded pair)", () => {
    const { publicKey, privateKey } = vapidKeysFromPem(sec1Pem());
    const pub = Buffer.from(publicKey, "base64url");
    const jwk = {
      kty: "EC",
      crv: "P-256",
      x: pub.subarray(1, 33).toString("base64url"),
      y: pub.subarray(33).toString("base64url"),
      d: Buffer.from(privateKey, "base64url").toString("base64url"),
    };
    const key = createPrivateKey({ key: jwk, format: "jwk" });
    const message = Buffer.from("a JWT header.payload");
    const signature = sign("sha256", message, key);
    const { d: _d, ...publicJwk } = jwk;
    expect(verify("sha256", message, createPublicKey({ key: publicJwk, format: "jwk" }), signature)).toBe(true);
  });

  it("refuses keys that are not P-256", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    expect(() => vapidKeysFromPem(privateKey.export({ format: "pem", type: "sec1" }).toString())).toThrow(/P-256/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    expect(() => vapidKeysFromPem(rsa)).toThrow(/EC key on P-256/);
  });

  it("encodes with the URL-safe alphabet and keeps the padding", () => {
    expect(urlsafeBase64(Buffer.from([0xfb, 0xff]))).toBe("-_8=");
  });
});
