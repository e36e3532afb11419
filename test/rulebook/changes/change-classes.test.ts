import { describe, expect, it } from "vitest";
import { checkChangeClass, taggedImage, versionStep } from "../../../rulebook/changes/change-classes";

const urn = "urn:pulumi:example::coop-infra::coop:services:Mastodon$docker:index/container:Container::mastodon-web";
const update = (old: string, next: string, path = "image") => ({ urn, op: "update" as const, details: [{ path, old, new: next }] });

describe("change classes", () => {
  it("reads images named by tag, not other strings and not digest pins", () => {
    expect(taggedImage("ghcr.io/mastodon/mastodon:v4.6.3")).toEqual({ repository: "ghcr.io/mastodon/mastodon", tag: "v4.6.3" });
    expect(taggedImage("localhost:5000/nextcloud:34.0.2-apache")).toEqual({
      repository: "localhost:5000/nextcloud",
      tag: "34.0.2-apache",
    });
    const pinned = `nextcloud:34.0.2-apache@sha256:${"a".repeat(64)}`;
    for (const s of ["v4.6.3", "MASTODON=v4.6.3", "nextcloud@sha256:abc", pinned, "a b:c", "ghcr.io/x", 7, null])
      expect(taggedImage(s)).toBeUndefined();
  });

  it("names the version step", () => {
    expect(versionStep("v4.6.3", "v4.6.4").kind).toBe("patch");
    expect(versionStep("34.0.2-apache", "34.0.3-apache").kind).toBe("patch");
    expect(versionStep("v4.6.3", "v4.7.0").kind).toBe("minor");
    expect(versionStep("v4.6.3", "v5.0.0").kind).toBe("major");
    expect(versionStep("v4.6.4", "v4.6.3").kind).toBe("downgrade");
    expect(versionStep("34.0.2-apache", "34.0.3-fpm").kind).toBe("other");
  });

  it("image-patch: only patch upgrades of the same image", () => {
    expect(checkChangeClass("image-patch", [update("ghcr.io/mastodon/mastodon:v4.6.3", "ghcr.io/mastodon/mastodon:v4.6.4")]).ok).toBe(true);
    const outside = [
      [update("ghcr.io/mastodon/mastodon:v4.6.3", "ghcr.io/mastodon/mastodon:v4.7.0")],
      [update("ghcr.io/mastodon/mastodon:v4.6.4", "ghcr.io/mastodon/mastodon:v4.6.3")],
      [update("ghcr.io/mastodon/mastodon:v4.6.3", "docker.io/evil/mastodon:v4.6.4")],
      [update("cx33", "cx43", "serverType")],
      [update("ghcr.io/mastodon/mastodon:v4.6.3", "ghcr.io/mastodon/mastodon:v4.6.4"), { urn, op: "create" as const }],
      [],
    ];
    for (const changes of outside) expect(checkChangeClass("image-patch", changes).ok, JSON.stringify(changes)).toBe(false);
  });

  it("image-patch: a container named after its release follows the patch step, and nothing else does", () => {
    const migrate = (oldName: string, newName: string, oldTag = "v4.6.3", newTag = "v4.6.4") => ({
      urn,
      op: "update" as const,
      details: [
        { path: "image", old: `ghcr.io/mastodon/mastodon:${oldTag}`, new: `ghcr.io/mastodon/mastodon:${newTag}` },
        { path: "name", old: oldName, new: newName },
      ],
    });
    expect(checkChangeClass("image-patch", [migrate("coop-mastodon-migrate-v4.6.3", "coop-mastodon-migrate-v4.6.4")]).ok).toBe(true);
    for (const c of [
      migrate("coop-mastodon-migrate-v4.6.3", "evil-mastodon-migrate-v4.6.4"),
      migrate("coop-mastodon-migrate-v4.6.3", "coop-mastodon-migrate-v4.6.5"),
      migrate("coop-mastodon-web", "coop-mastodon-web-v4.6.4"),
      migrate("coop-mastodon-migrate-v4.6.3", "coop-mastodon-migrate-v4.7.0", "v4.6.3", "v4.7.0"),
    ]) {
      expect(checkChangeClass("image-patch", [c]).ok, JSON.stringify(c.details)).toBe(false);
    }
    expect(checkChangeClass("image-patch", [update("coop-mastodon-migrate-v4.6.3", "coop-mastodon-migrate-v4.6.4", "name")]).ok).toBe(
      false,
    );
  });
});

describe("two-part releases (Postgres)", () => {
  it("a release within a major is a patch step; a new major is major; a suffix change is other", () => {
    expect(versionStep("18.6-alpine", "18.7-alpine").kind).toBe("patch");
    expect(versionStep("18.6-alpine", "19.0-alpine").kind).toBe("major");
    expect(versionStep("18.7-alpine", "18.6-alpine").kind).toBe("downgrade");
    expect(versionStep("18.6-alpine", "18.7").kind).toBe("other");
    expect(
      checkChangeClass("image-patch", [
        { urn: "u", op: "update", details: [{ path: "image", old: "postgres:18.6-alpine", new: "postgres:18.7-alpine" }] },
      ]).ok,
    ).toBe(true);
  });
});
