/** CLI hygiene users rely on: the version, flags given twice, and `--set` mistakes blamed on the flag. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { coop, spawnCoop } from "../helpers/cli";
import { REPO_ROOT } from "../helpers/repo";

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

describe("coop's command line", () => {
  it("--version prints the package's version and exits 0, from the real entry too", async () => {
    for (const arg of ["--version", "-V", "version"]) {
      const r = await coop([arg]);
      expect(r).toMatchObject({ code: 0, stdout: `coop ${VERSION}\n` });
    }
    expect(spawnCoop(["--version"])).toMatchObject({ code: 0, stdout: `coop ${VERSION}\n`, stderr: "" });
  });

  it("a single-value flag given twice is an error, never the last one silently; a repeatable one is not", async () => {
    for (const args of [
      ["plan", "--stack", "example", "--stack", "local"],
      ["plan", "-s", "example", "--stack", "local"],
      ["doctor", "--stack=example", "--stack=example"],
    ]) {
      const r = await coop(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/coop: --stack was given twice\n {2}hint: give --stack once/);
    }
    const json = await coop(["plan", "--stack", "example", "--json", "--stack", "local"]);
    expect(JSON.parse(json.stdout).error.message).toBe("--stack was given twice");
    // --member and --stack repeat in init: the refusal there is about the value, not the repetition.
    const init = await coop(["init", "--name", "R", "--domain", "river.coop", "--member", "a", "--member", "b"]);
    expect(init.stderr).toMatch(/--member 'a' must be NAME:ROLES:KEY/);
  });

  it("a --set mistake is blamed on the flag, not on a line of the spec", async () => {
    const r = await coop(["plan", "--stack", "example", "--set", "host.serverTyp=cx43"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--set host\.serverTyp="cx43" host\.serverTyp: unknown field 'serverTyp'/);
    expect(r.stderr).toMatch(/did you mean 'serverType'\?.*\(check the --set flag\)/);
    expect(r.stderr).not.toMatch(/stacks\/example\.yaml:\d+/);
  });
});
