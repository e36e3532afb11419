/**
 * Image references by Docker's grammar (distribution/reference): registry and port, path, tag,
 * digest, and the registry told apart from a publisher the way Docker tells them apart.
 */
import { describe, expect, it } from "vitest";
import { formatImageRef, imageName, isPinnedImage, parseImageRef } from "../../kernel/image-ref";

const D = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("parseImageRef", () => {
  it.each([
    ["postgres:18-alpine", { repository: "postgres", registry: undefined, path: "postgres", tag: "18-alpine", digest: undefined }],
    [
      "ghcr.io/mastodon/mastodon:v4.6.3",
      { repository: "ghcr.io/mastodon/mastodon", registry: "ghcr.io", path: "mastodon/mastodon", tag: "v4.6.3" },
    ],
    ["localhost:5000/nextcloud:34.0.2-apache", { registry: "localhost:5000", path: "nextcloud", tag: "34.0.2-apache" }],
    ["registry.example.coop:5000/mirror/postgres:18", { registry: "registry.example.coop:5000", path: "mirror/postgres", tag: "18" }],
    ["[2001:db8::1]:5000/redis:7", { registry: "[2001:db8::1]:5000", path: "redis", tag: "7" }],
    ["localhost/redis", { registry: "localhost", path: "redis", tag: undefined }],
    // A first component without '.', ':' or "localhost" is a publisher on Docker Hub, not a registry.
    ["bitnami/redis:7.4.1", { registry: undefined, path: "bitnami/redis", tag: "7.4.1" }],
    [`nextcloud@${D}`, { path: "nextcloud", tag: undefined, digest: D }],
    [`ghcr.io/cloudnative-pg/postgresql:17.2@${D}`, { registry: "ghcr.io", path: "cloudnative-pg/postgresql", tag: "17.2", digest: D }],
    ["a__b-c---d/e_f.g:x", { registry: undefined, path: "a__b-c---d/e_f.g", tag: "x" }],
  ])("%s", (text, expected) => {
    const ref = parseImageRef(text);
    expect(ref).toMatchObject(expected);
    expect(formatImageRef(ref!)).toBe(text);
  });

  it.each([
    "",
    "Postgres:17", // upper case in a repository path
    "redis:",
    ":7",
    "redis:7 alpine",
    "redis@sha256:abc", // a digest shorter than 128 bits
    "redis:-1",
    `redis:${"x".repeat(129)}`,
    "a..b/c",
    "a/-b",
    "a//b",
    "ghcr.io/",
    "MASTODON=v4.6.3",
    "exa_mple.com/x:1", // '_' is not allowed in a registry name
    `${"a".repeat(256)}:1`,
  ])("refuses %j", (text) => {
    expect(parseImageRef(text)).toBeUndefined();
  });
});

describe("what the policies ask of a reference", () => {
  const ref = (t: string) => parseImageRef(t)!;

  it("pinned: a tag other than latest, or a sha256 digest", () => {
    expect(isPinnedImage(ref("caddy:2.11"))).toBe(true);
    expect(isPinnedImage(ref(`caddy@${D}`))).toBe(true);
    expect(isPinnedImage(ref(`caddy:latest@${D}`))).toBe(true);
    expect(isPinnedImage(ref("caddy"))).toBe(false);
    expect(isPinnedImage(ref("caddy:latest"))).toBe(false);
    expect(isPinnedImage(ref(`caddy@sha512:${"0".repeat(128)}`))).toBe(false);
  });

  it("the image's own name is the last path component, whatever the registry", () => {
    expect(imageName(ref("docker.io/library/postgres:17"))).toBe("postgres");
    expect(imageName(ref("localhost:5000/redis"))).toBe("redis");
  });
});
