/**
 * The command that puts the alerts account's SMTP login on the host: run as the SSH session runs
 * it (bash -c, with sudo stubbed), it writes the login root-only from stdin, and the login never
 * appears in the command or on a command line.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { curlLogin, renderLoginCommand } from "../../../components/alerts/alerts";
import { ALERT_LAYOUT } from "../../../components/alerts/units";
import { type Sandbox, sandbox } from "../../helpers/backup-fakes";
import { withTool } from "../../helpers/tools";

const PASSWORD = "h7Kq2mZx9Lw4Rt8Vb3Nc6Pd1Fg5Js0Ye";
let box: Sandbox | undefined;
afterEach(() => {
  box?.cleanup();
  box = undefined;
});
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8).padStart(4, "0");

describe("the alerts' SMTP login command", () => {
  it("writes the login root-only, from stdin; neither the command nor a command line holds it", () => {
    box = sandbox(["sudo"]);
    const root = join(box.dir, "root");
    mkdirSync(join(root, "etc"), { recursive: true });
    const command = renderLoginCommand(root);
    expect(command).not.toContain(PASSWORD);
    const r = spawnSync("bash", ["-c", command], {
      input: curlLogin("alerts@example.coop", PASSWORD),
      encoding: "utf8",
      env: { ...process.env, PATH: `${box.bin}:${process.env.PATH}`, FAKE_LOG: box.log },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const file = join(root, ALERT_LAYOUT.credentialsFile);
    expect(readFileSync(file, "utf8")).toBe(`user = "alerts@example.coop:${PASSWORD}"\n`);
    expect(mode(file)).toBe("0600");
    expect(mode(join(root, ALERT_LAYOUT.configDir))).toBe("0700");
    expect(readFileSync(box.log, "utf8")).not.toContain(PASSWORD);
  });

  withTool("curl", "curl")("is a config file curl itself reads as the SMTP login", () => {
    box = sandbox(["sudo"]);
    const root = join(box.dir, "root");
    mkdirSync(join(root, "etc"), { recursive: true });
    spawnSync("bash", ["-c", renderLoginCommand(root)], {
      input: curlLogin("alerts@example.coop", PASSWORD),
      env: { ...process.env, PATH: `${box.bin}:${process.env.PATH}`, FAKE_LOG: box.log },
    });
    // --libcurl writes the C equivalent of the options curl parsed, without connecting anywhere useful.
    const out = join(box.dir, "libcurl.c");
    spawnSync("curl", ["--config", join(root, ALERT_LAYOUT.credentialsFile), "--libcurl", out, "--max-time", "1", "smtp://127.0.0.1:9"], {
      encoding: "utf8",
    });
    expect(readFileSync(out, "utf8")).toContain(`CURLOPT_USERPWD, "alerts@example.coop:${PASSWORD}"`);
  });
});
