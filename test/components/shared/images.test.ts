/**
 * Every image runs an exact release, so a security fix is a new image name (the provider never
 * refreshes a name it has), and a patch release is a governed change the image-patch class covers.
 */
import { describe, expect, it } from "vitest";
import { CADDY_IMAGE, POSTGRES_IMAGES, REDIS_IMAGE } from "../../../components/shared/images";
import { checkChangeClass } from "../../../rulebook/changes/change-classes";
import { readOracle } from "../../helpers/oracles";
import { bundledSpec, planSpec } from "../../helpers/program";

/** The tags the official images library lists (test/oracles/image-tags.txt). */
const OFFICIAL = new Set(
  readOracle("image-tags.txt")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split("\t")[0]),
);

const PINNED = [CADDY_IMAGE, REDIS_IMAGE, ...Object.values(POSTGRES_IMAGES)];

describe("the pinned third-party images", () => {
  it("are exact releases the official images library publishes", () => {
    for (const image of PINNED) expect(OFFICIAL, image).toContain(image);
  });

  it("name their version in full: major.minor.patch, or Postgres's major.minor (its patch level)", () => {
    for (const image of PINNED) expect(image, image).toMatch(/^[a-z]+:(\d+\.\d+\.\d+|\d+\.\d+)-alpine$/);
  });

  it("move by patch release as a change the image-patch class covers (Caddy, Redis)", () => {
    for (const image of [CADDY_IMAGE, REDIS_IMAGE]) {
      const next = image.replace(/\.(\d+)-alpine$/, (_, p) => `.${Number(p) + 1}-alpine`);
      const check = checkChangeClass("image-patch", [{ urn: "u", op: "update", paths: [{ path: "image", old: image, new: next }] }]);
      expect(check, `${image} → ${next}`).toEqual({ ok: true, outside: [] });
    }
  });
});

describe("every container of the bundled stacks", async () => {
  const plans = [(await planSpec(bundledSpec("example"), "example")).run, (await planSpec(bundledSpec("local"), "local")).run];
  const images = plans.flatMap((run) =>
    run.resources.filter((r) => r.type === "docker:index/container:Container").map((r) => String(r.inputs.image)),
  );

  it("runs a pinned image or a service's release from the spec, never a moving tag", () => {
    expect(images.length).toBeGreaterThan(10);
    for (const image of images) {
      const tag = image.slice(image.lastIndexOf(":") + 1);
      if (PINNED.includes(image)) continue;
      // Mastodon v4.6.3, Nextcloud 34.0.2-apache, docker-mailserver 15.1.0: the spec's release.
      expect(tag, image).toMatch(/^v?\d+\.\d+\.\d+(-apache)?$/);
    }
  });
});
