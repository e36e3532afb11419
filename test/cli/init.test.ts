import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterEach, describe, expect } from "vitest";
import { coop } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { fixturePublicKey } from "../helpers/governance";
import { tempRepo } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function forkedRepo(): { root: string; keys: Record<string, string> } {
  const r = tempRepo();
  cleanups.push(r.cleanup);
  // The members' keys live outside the repository, as on their own machines.
  const keyDir = mkdtempSync(join(tmpdir(), "coop-init-keys-"));
  cleanups.push(() => rmSync(keyDir, { recursive: true, force: true }));
  const keys: Record<string, string> = {};
  for (const name of ["rosa", "lin", "sam"]) {
    const path = join(keyDir, `${name}-key`);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@river.coop`, "-f", path], { stdio: "ignore" });
    keys[name] = path;
  }
  // The co-op it forked had deployed: its stack config holds encrypted secrets.
  writeFileSync(join(r.root, "Pulumi.example.yaml"), "encryptionsalt: v1:abc\nconfig:\n  hcloud:token:\n    secure: v1:xyz\n");
  return { root: r.root, keys };
}

function initArgs(keys: Record<string, string>): string[] {
  return [
    "init",
    "--name",
    "River Co-op",
    "--domain",
    "river.coop",
    "--member",
    `rosa:admin+tech:${keys.rosa}.pub`,
    "--member",
    `lin:admin:${keys.lin}.pub`,
    "--member",
    `sam:member:${keys.sam}.pub`,
    "--loomio-url",
    "https://loomio.river.coop",
    "--loomio-group",
    "77",
    "--ssh-source",
    "203.0.113.7/32",
  ];
}

describe("coop init for a co-op that forked the repository", () => {
  itSsh("makes a fresh ledger with none of the forked co-op's decisions, keys or secrets, which verifies once signed", async () => {
    const { root, keys } = forkedRepo();
    const r = await coop(initArgs(keys), { root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/coop sign governance-0001-founding --key/);
    expect(r.stdout).toMatch(/coop sign example-0001-genesis --key/);
    expect(r.stdout).toMatch(/git add stacks governance && git commit/);
    expect(existsSync(join(root, "Pulumi.example.yaml"))).toBe(false);

    const spec = parse(readFileSync(join(root, "stacks/example.yaml"), "utf8"));
    expect(spec.coop.name).toBe("River Co-op");
    expect(spec.domain).toBe("river.coop");
    expect(spec.host.admins.map((a: { name: string }) => a.name)).toEqual(["rosa", "lin"]);
    expect(spec.host.sshSources).toEqual(["203.0.113.7/32"]);
    expect(spec.mailboxes.map((m: { localPart: string }) => m.localPart)).toEqual(["rosa", "lin", "sam"]);
    expect(parse(readFileSync(join(root, "stacks/local.yaml"), "utf8")).domain).toBe("river.localhost");
    expect(readFileSync(join(root, "stacks/example.yaml"), "utf8")).toContain("# The example co-op"); // comments kept

    const rules = parse(readFileSync(join(root, "governance/rules.yaml"), "utf8"));
    expect(rules.loomio).toMatchObject({ url: "https://loomio.river.coop", groupId: 77 });
    const members = parse(readFileSync(join(root, "governance/members.yaml"), "utf8"));
    expect(members.members.map((m: { name: string; roles: string[] }) => `${m.name}:${m.roles.join("+")}`)).toEqual([
      "rosa:admin+tech",
      "lin:admin",
      "sam:member",
    ]);

    const everything = [...snapshot(root, "governance").values(), ...snapshot(root, "stacks").values()].join("\n");
    for (const old of ["ada", "grace"]) expect(everything).not.toContain(fixturePublicKey(old as "ada" | "grace").split(" ")[1]);
    const names = readdirSync(join(root, "governance/decisions")).sort();
    expect(names).toEqual([
      "example-0001-genesis.json",
      "example-grown-0001-genesis.json",
      "governance-0001-founding.json",
      "local-0001-genesis.json",
      "split-cloud-0001-genesis.json",
      "split-mail-0001-genesis.json",
      "split-social-0001-genesis.json",
    ]);
    for (const f of names) {
      const d = JSON.parse(readFileSync(join(root, "governance/decisions", f), "utf8"));
      expect(d.kind).toBe(f.startsWith("governance-") ? "founding" : "genesis");
      expect(d.signatures).toEqual([]);
    }

    const unsigned = await coop(["verify", "--json"], { root });
    expect(unsigned.code).toBe(1);
    expect(new Set((JSON.parse(unsigned.stdout) as { findings: Array<{ code: string }> }).findings.map((x) => x.code))).toEqual(
      new Set(["signatures-insufficient"]),
    );
    for (const id of names.map((f) => f.replace(/\.json$/, ""))) {
      const signed = await coop(["sign", id, "--key", keys.rosa], { root });
      expect(signed.code, signed.stderr).toBe(0);
    }
    const ok = await coop(["verify"], { root });
    expect(ok.code, ok.stderr).toBe(0);
    const plan = JSON.parse((await coop(["plan", "--stack", "example", "--json"], { root })).stdout) as { changes: unknown[] };
    expect(plan.changes).toEqual([]);
  });

  itSsh("--key signs the genesis decisions at once", async () => {
    const { root, keys } = forkedRepo();
    const r = await coop([...initArgs(keys), "--key", keys.lin], { root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/coop sign/);
    expect((await coop(["verify"], { root })).code).toBe(0);
  });

  itSsh("refuses bad flags and writes nothing", async () => {
    const { root, keys } = forkedRepo();
    const before = snapshot(root, ".");
    const cases: Array<[string[], RegExp]> = [
      [["init", "--domain", "river.coop", "--member", `rosa:admin:${keys.rosa}.pub`], /--name is required/],
      [["init", "--name", "R", "--domain", "https://river.coop", "--member", `rosa:admin:${keys.rosa}.pub`], /is not a domain name/],
      [["init", "--name", "R", "--domain", "river.coop", "--member", `sam:member:${keys.sam}.pub`], /no member has the admin role/],
      [["init", "--name", "R", "--domain", "river.coop", "--member", `rosa:admin:${keys.rosa}`], /not a public key file/],
      [["init", "--name", "R", "--domain", "river.coop", "--member", "rosa-admin"], /must be NAME:ROLES:KEY/],
      [
        ["init", "--name", "R", "--domain", "river.coop", "--member", `rosa:admin:${keys.rosa}.pub`, "--ssh-source", "0.0.0.0/0"],
        /would not be valid for the new co-op: .*opens SSH to the whole internet/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await coop(args, { root });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(changedFiles(before, snapshot(root, "."))).toEqual([]);
  });
});
