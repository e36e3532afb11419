import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CredentialPaths,
  type HostFile,
  credentialsStdin,
  renderCredentialsCommand,
  renderInstallFilesCommand,
} from "../../../components/backup/install";
import { BACKUP_LAYOUT } from "../../../components/backup/backup";
import { type Sandbox, sandbox } from "../../helpers/backup-fakes";
import { withTool } from "../../helpers/tools";

// The paths the Backup component really installs to (the sandbox maps them into a scratch root).
const CREDS: CredentialPaths = BACKUP_LAYOUT.credentials;
const PASSWORD = "Vq3t9XzLk2Pw8RmN4bHc7JdF6gYs5AeU1oTi0QrWxZvKnMlB";
const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBfakefakefakefakefakefakefakefakefakefakefakefakeAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

const FILES: HostFile[] = [
  { path: "/usr/local/sbin/coop-backup", mode: "0755", content: "#!/bin/bash\necho \"$HOME\" `date` '${x}'\nCOOP_EOF\n" },
  { path: "/etc/systemd/system/coop-backup.timer", mode: "0644", content: "[Timer]\nOnCalendar=*-*-* 03:30:00\n" },
];

let box: Sandbox | undefined;
afterEach(() => {
  box?.cleanup();
  box = undefined;
});

/** Runs a rendered command the way the SSH session does: as the admin user's `bash -c`. */
function runCommand(b: Sandbox, command: string, stdin = "") {
  const r = spawnSync("bash", ["-c", command], {
    input: stdin,
    encoding: "utf8",
    env: { ...process.env, PATH: `${b.bin}:${process.env.PATH}`, FAKE_LOG: b.log },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8).padStart(4, "0");

describe("the files command", () => {
  withTool("shellcheck", "shellcheck")("passes shellcheck", () => {
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
      input: renderInstallFilesCommand(FILES, { timer: "coop-backup.timer" }),
      encoding: "utf8",
    });
    expect(r.stdout + r.stderr).toBe("");
  });

  it("writes every file byte for byte with its mode, atomically, then (re)starts the timer", () => {
    box = sandbox(["sudo", "systemctl"]);
    const root = join(box.dir, "root");
    const command = renderInstallFilesCommand(FILES, { timer: "coop-backup.timer" }, { root });
    for (let round = 0; round < 2; round++) {
      const r = runCommand(box, command);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    for (const f of FILES) {
      expect(readFileSync(join(root, f.path), "utf8")).toBe(f.content);
      expect(mode(join(root, f.path))).toBe(f.mode);
    }
    // No temporary files left beside them.
    expect(readdirSync(join(root, "usr/local/sbin"))).toEqual(["coop-backup"]);
    const systemctl = box.calls().filter((c) => c.startsWith("systemctl "));
    expect(systemctl.slice(0, 3)).toEqual([
      "systemctl daemon-reload",
      "systemctl enable coop-backup.timer",
      "systemctl restart coop-backup.timer",
    ]);
  });

  it("shows every line of the scripts in the command text (what reviewers approve)", () => {
    const command = renderInstallFilesCommand(FILES, { timer: "coop-backup.timer" });
    for (const f of FILES) expect(command).toContain(f.content);
  });

  it("refuses contents a heredoc would change", () => {
    expect(() => renderInstallFilesCommand([{ path: "/x", mode: "0644", content: "no newline" }], { timer: "t" })).toThrow(/newline/);
    expect(() => renderInstallFilesCommand([{ path: "x", mode: "0644", content: "a\n" }], { timer: "t" })).toThrow(/absolute/);
    expect(() => renderInstallFilesCommand([{ path: "/x", mode: "644", content: "a\n" }], { timer: "t" })).toThrow(/octal/);
  });
});

describe("the credentials command", () => {
  const stdin = credentialsStdin({
    resticPassword: PASSWORD,
    boxUser: "u123456",
    boxServer: "u123456.your-storagebox.de",
    privateKeyOpenssh: KEY,
  });

  withTool("shellcheck", "shellcheck")("passes shellcheck", () => {
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
      input: renderCredentialsCommand(CREDS),
      encoding: "utf8",
    });
    expect(r.stdout + r.stderr).toBe("");
  });

  it("contains no secret: the values come on stdin", () => {
    const command = renderCredentialsCommand(CREDS);
    expect(command).not.toContain(PASSWORD);
    expect(command).toContain("IFS= read -r restic_password");
  });

  it("writes the password and key root-only, and an SSH config for port 23 with key auth", () => {
    box = sandbox(["sudo"]);
    const root = join(box.dir, "root");
    mkdirSync(join(root, "etc"), { recursive: true });
    const r = runCommand(box, renderCredentialsCommand(CREDS, { root }), stdin);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(readFileSync(join(root, CREDS.passwordFile), "utf8")).toBe(`${PASSWORD}\n`);
    expect(readFileSync(join(root, CREDS.keyFile), "utf8")).toBe(KEY);
    for (const f of [CREDS.passwordFile, CREDS.keyFile, CREDS.sshConfigFile]) expect(mode(join(root, f))).toBe("0600");
    for (const d of [CREDS.configDir, CREDS.sshDir]) expect(mode(join(root, d))).toBe("0700");
    // The secrets never reach a command line or the log.
    expect(readFileSync(box.log, "utf8")).not.toContain(PASSWORD);
  });

  withTool("ssh", "openssh-client")("renders an SSH config that ssh itself reads as intended", () => {
    box = sandbox(["sudo"]);
    const root = join(box.dir, "root");
    expect(runCommand(box, renderCredentialsCommand(CREDS, { root }), stdin).code).toBe(0);
    const r = spawnSync("ssh", ["-T", "-G", "-F", join(root, CREDS.sshConfigFile), CREDS.hostAlias], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const cfg = new Map(r.stdout.split("\n").map((l) => [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)] as [string, string]));
    expect(cfg.get("hostname")).toBe("u123456.your-storagebox.de");
    expect(cfg.get("user")).toBe("u123456");
    expect(cfg.get("port")).toBe("23");
    expect(cfg.get("identityfile")).toBe(CREDS.keyFile);
    expect(cfg.get("identitiesonly")).toBe("yes");
    expect(cfg.get("batchmode")).toBe("yes");
    expect(cfg.get("stricthostkeychecking")).toBe("accept-new");
    expect(cfg.get("userknownhostsfile")).toBe(CREDS.knownHostsFile);
  });

  it("refuses values that would change the SSH config, and writes nothing", () => {
    const bad = [
      credentialsStdin({ resticPassword: PASSWORD, boxUser: "u1", boxServer: "evil.example ProxyCommand=sh", privateKeyOpenssh: KEY }),
      credentialsStdin({
        resticPassword: PASSWORD,
        boxUser: "u1 -oProxyCommand=sh",
        boxServer: "u1.your-storagebox.de",
        privateKeyOpenssh: KEY,
      }),
      credentialsStdin({ resticPassword: "short", boxUser: "u1", boxServer: "u1.your-storagebox.de", privateKeyOpenssh: KEY }),
      credentialsStdin({ resticPassword: PASSWORD, boxUser: "u1", boxServer: "u1.your-storagebox.de", privateKeyOpenssh: "not a key" }),
    ];
    for (const input of bad) {
      box = sandbox(["sudo"]);
      const root = join(box.dir, "root");
      const r = runCommand(box, renderCredentialsCommand(CREDS, { root }), input);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toContain(PASSWORD);
      expect(existsSync(join(root, CREDS.configDir))).toBe(false);
      box.cleanup();
      box = undefined;
    }
    expect(() => credentialsStdin({ resticPassword: "a\nb", boxUser: "u", boxServer: "s", privateKeyOpenssh: KEY })).toThrow(/single line/);
  });
});
