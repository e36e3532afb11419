import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { FileProblems, type Problem } from "../../../kernel/errors";
import { loadStackSpec } from "../../../stacks/load";
import { LOCATION_NAMES } from "../../../stacks/catalog";
import { STORAGE_BOX_LOCATIONS, STORAGE_BOX_TYPES, defaultStorageBoxLocation } from "../../../stacks/storage-boxes";
import { bundledSpec } from "../../helpers/program";
import { REPO_ROOT, tempRepo } from "../../helpers/repo";

const repo = tempRepo();
afterAll(repo.cleanup);

/** The bundled example without its backups block (other parts of the spec stay valid as they evolve). */
const HETZNER = (() => {
  const text = readFileSync(join(REPO_ROOT, "stacks", "example.yaml"), "utf8");
  const at = text.search(/^backups:/m);
  if (at < 0) throw new Error("stacks/example.yaml has no backups block");
  return text.slice(0, at);
})();
const LOCAL = (() => {
  const text = readFileSync(join(REPO_ROOT, "stacks", "local.yaml"), "utf8");
  // Alerts, like backups, need a Hetzner host: off here, so only the backups are judged.
  return `${text.slice(0, text.search(/^backups:/m))}alerts:\n  enabled: false\n`;
})();

function load(text: string): { spec?: ReturnType<typeof loadStackSpec>["spec"]; problems: Problem[] } {
  mkdirSync(join(repo.root, "stacks"), { recursive: true });
  writeFileSync(join(repo.root, "stacks", "t.yaml"), text);
  try {
    return { spec: loadStackSpec(repo.root, "t").spec, problems: [] };
  } catch (e) {
    if (!(e instanceof FileProblems)) throw e;
    return { problems: [...e.problems] };
  }
}

describe("the backups part of the spec", () => {
  it("defaults to nightly backups to a bx11 box, 7/4/6 retention and 7 Box snapshots", () => {
    const { spec, problems } = load(HETZNER);
    expect(problems).toEqual([]);
    expect(spec!.backups).toEqual({
      enabled: true,
      storageBoxType: "bx11",
      storageBoxLocation: null,
      storageBoxSnapshots: 7,
      time: "03:30",
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 6,
    });
  });

  it("refuses backups on a local stack, at the field, saying what to write instead", () => {
    const { problems } = load(LOCAL);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ field: "backups.enabled" });
    expect(problems[0].message).toContain("backups need a Hetzner host");
    expect(problems[0].hint).toContain("backups: {enabled: false}");
    expect(load(`${LOCAL}backups:\n  enabled: false\n`).problems).toEqual([]);
  });

  it("points at the line of a Box snapshot count the product does not include", () => {
    const { problems } = load(`${HETZNER}backups:\n  storageBoxSnapshots: 11\n`);
    const line = HETZNER.split("\n").length + 1;
    expect(problems).toEqual([
      expect.objectContaining({ field: "backups.storageBoxSnapshots", line, message: "a bx11 Storage Box includes at most 10 snapshots" }),
    ]);
    expect(load(`${HETZNER}backups:\n  storageBoxType: bx21\n  storageBoxSnapshots: 20\n`).problems).toEqual([]);
  });

  it("accepts only products and locations Hetzner sells Storage Boxes as", () => {
    expect(load(`${HETZNER}backups:\n  storageBoxType: bx99\n`).problems[0]).toMatchObject({ field: "backups.storageBoxType" });
    expect(load(`${HETZNER}backups:\n  storageBoxLocation: nbg1\n`).problems[0]).toMatchObject({ field: "backups.storageBoxLocation" });
    expect(load(`${HETZNER}backups:\n  time: "3:30"\n`).problems[0]).toMatchObject({ field: "backups.time" });
  });

  it("puts the Box at another site than the server by default", () => {
    for (const l of LOCATION_NAMES) {
      expect(STORAGE_BOX_LOCATIONS).toContain(defaultStorageBoxLocation(l));
      expect(defaultStorageBoxLocation(l)).not.toBe(l);
    }
  });

  it("knows each product's snapshot allowance, and the price table prices every product", () => {
    const prices = readFileSync(join(REPO_ROOT, "plan", "prices", "hetzner.yaml"), "utf8");
    for (const [name, t] of Object.entries(STORAGE_BOX_TYPES)) {
      expect(t.maxSnapshots).toBeGreaterThan(0);
      expect(prices, name).toMatch(new RegExp(`^  ${name}: \\d+\\.\\d{2}$`, "m"));
    }
  });
});

describe("the stack outputs of the example", () => {
  it("exports the repository and both generated passwords, the passwords as secrets", async () => {
    await pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: undefined as unknown as string, state: a.inputs }), call: () => ({}) },
      "coop-infra",
      "example",
      true,
    );
    const { declareCoop } = await import("../../../components/coop");
    const { outputs } = declareCoop({
      stack: "example",
      spec: bundledSpec("example"),
      secrets: { mailRelayPassword: pulumi.secret("relay") },
    });
    const isSecret = (o: unknown) => (o as { isSecret: Promise<boolean> }).isSecret;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(["backupRepository", "backupResticPassword", "backupStorageBoxPassword"]));
    expect(await isSecret(outputs.backupResticPassword)).toBe(true);
    expect(await isSecret(outputs.backupStorageBoxPassword)).toBe(true);
  });
});
