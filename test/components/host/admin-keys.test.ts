import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderAuthorizedKeys, renderAuthorizedKeysCommand } from "../../../components/host/admin-keys";
import { GROW_DATA_COMMAND } from "../../../components/host/host";
import { withTool } from "../../helpers/tools";

const ADA = {
  name: "ada",
  sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01 ada@example.coop",
};
const GRACE = {
  name: "grace",
  sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDHryPENADbTg2YR6ZivslSjolTP6LAvZpn3vdzv9Ma0 grace@example.coop",
};

function runIn(home: string, command: string) {
  return spawnSync("bash", ["-c", command], { env: { ...process.env, HOME: home }, encoding: "utf8" });
}

describe("the admins' authorized_keys", () => {
  it("lists every admin's key under their name, in spec order", () => {
    expect(renderAuthorizedKeys([ADA, GRACE]).split("\n").slice(1)).toEqual(["# ada", ADA.sshPublicKey, "# grace", GRACE.sshPublicKey, ""]);
  });

  it("refuses what would lock everyone out or inject lines", () => {
    expect(() => renderAuthorizedKeys([])).toThrow(/at least one admin/);
    expect(() => renderAuthorizedKeys([{ ...ADA, sshPublicKey: `${ADA.sshPublicKey}\ncommand="reboot" ssh-rsa AAAA` }])).toThrow(
      /not one OpenSSH public key line/,
    );
    expect(() => renderAuthorizedKeys([{ ...ADA, sshPublicKey: "ssh-ed25519 AAAA COOP_ADMIN_KEYS" }])).toThrow(/not one OpenSSH/);
    expect(() => renderAuthorizedKeys([ADA, ADA])).toThrow(/listed twice/);
  });

  withTool("shellcheck", "shellcheck")("the command passes shellcheck", () => {
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
      input: renderAuthorizedKeysCommand([ADA, GRACE]),
      encoding: "utf8",
    });
    expect(r.stdout + r.stderr).toBe("");
  });

  it("replaces the file atomically, owner-only, when an admin is added, rotated or removed", () => {
    const home = mkdtempSync(join(tmpdir(), "coop-keys-"));
    try {
      mkdirSync(join(home, ".ssh"));
      writeFileSync(join(home, ".ssh", "authorized_keys"), "ssh-ed25519 AAAAold old@laptop\n");
      let r = runIn(home, renderAuthorizedKeysCommand([ADA, GRACE]));
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const file = join(home, ".ssh", "authorized_keys");
      expect(readFileSync(file, "utf8")).toBe(renderAuthorizedKeys([ADA, GRACE]));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, ".ssh")).mode & 0o777).toBe(0o700);
      // grace leaves: her key is gone, the old unmanaged one too.
      r = runIn(home, renderAuthorizedKeysCommand([ADA]));
      expect(r.status).toBe(0);
      expect(readFileSync(file, "utf8")).not.toContain("grace");
      expect(readFileSync(file, "utf8")).not.toContain("AAAAold");
      expect(spawnSync("ls", [join(home, ".ssh")], { encoding: "utf8" }).stdout.trim()).toBe("authorized_keys");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("fails, changing nothing, when it cannot write", () => {
    const home = mkdtempSync(join(tmpdir(), "coop-keys-"));
    try {
      // ~/.ssh is a file, not a directory: mkdir fails, and the command must stop there.
      writeFileSync(join(home, ".ssh"), "not a directory\n");
      const r = runIn(home, renderAuthorizedKeysCommand([ADA]));
      expect(r.status).not.toBe(0);
      expect(readFileSync(join(home, ".ssh"), "utf8")).toBe("not a directory\n");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("growing the data file system", () => {
  withTool("shellcheck", "shellcheck")("the command passes shellcheck and stops on the first error", () => {
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: GROW_DATA_COMMAND, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(GROW_DATA_COMMAND).toContain("set -euo pipefail");
    expect(GROW_DATA_COMMAND).toContain("findmnt --noheadings --output SOURCE --target /srv/coop");
  });
});
