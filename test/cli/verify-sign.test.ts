import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { coop, spawnCoop } from "../helpers/cli";
import { fixtureKey, fixturePublicKey } from "../helpers/governance";
import { REPO_ROOT, tempRepo } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function repo(): string {
  const r = tempRepo();
  cleanups.push(r.cleanup);
  return r.root;
}

const GENESIS = "governance/decisions/example-0001-genesis.yaml";
const LOCK = "governance/approved/example.lock.json";

function edit(root: string, file: string, fn: (text: string) => string): void {
  const path = join(root, file);
  const text = readFileSync(path, "utf8");
  const next = fn(text);
  expect(next).not.toBe(text);
  writeFileSync(path, next);
}

interface VerifyJson {
  passed: boolean;
  decisions: number;
  findings: Array<{ code: string; level: string; file?: string; decision?: string; message: string; remediation: string }>;
}

async function verify(root: string): Promise<{ code: number; doc: VerifyJson; stderr: string }> {
  const r = await coop(["verify", "--json"], { root });
  return { code: r.code, doc: JSON.parse(r.stdout) as VerifyJson, stderr: r.stderr };
}

describe("coop verify", () => {
  it("a fresh clone verifies, as a process, with one JSON document and without loading Pulumi", () => {
    const r = spawnCoop(["verify", "--json"], { root: repo() });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as VerifyJson;
    expect(doc.passed).toBe(true);
    expect(doc.decisions).toBeGreaterThanOrEqual(2);
    const human = spawnCoop(["verify"], { root: repo() });
    expect(human.stdout).toMatch(/^ledger verified: \d+ decisions, \d+ locks, 2 members/);
  });

  it("a changed byte in a record fails, naming the file, the decision and the reason", async () => {
    const root = repo();
    edit(root, GENESIS, (t) => t.replace(/First approved state/, "First approved State"));
    const { code, doc } = await verify(root);
    expect(code).toBe(1);
    const f = doc.findings.find((x) => x.code === "signature-invalid");
    expect(f).toMatchObject({ file: GENESIS, decision: "example-0001-genesis" });
    expect(f?.message).toMatch(/does not verify/);
    expect(f?.remediation).toMatch(/coop sign example-0001-genesis/);
  });

  it("a changed byte in a lock fails", async () => {
    const root = repo();
    edit(root, LOCK, (t) => t.replace('"cx33"', '"cx43"'));
    const { code, doc, stderr } = await verify(root);
    expect(code).toBe(1);
    expect(doc.findings.find((f) => f.file === LOCK)?.message).toMatch(/does not match the lock's content/);
    expect(stderr).toBe("");
  });

  it("a lock whose digest was recomputed after editing is backed by no decision", async () => {
    const root = repo();
    const { lockFromView, renderLock, viewOfLock } = await import("../../plan/lock");
    const lock = JSON.parse(readFileSync(join(root, LOCK), "utf8"));
    const server = lock.resources.find((r: { name: string }) => r.name === "host-server");
    server.inputs.serverType = "cx53";
    writeFileSync(join(root, LOCK), renderLock(lockFromView(viewOfLock(lock))));
    const { doc } = await verify(root);
    expect(doc.findings.map((f) => f.code)).toContain("lock-unbacked");
  });

  it("a changed byte in a signature fails", async () => {
    const root = repo();
    edit(root, GENESIS, (t) => {
      const i = t.indexOf("-----END SSH SIGNATURE-----") - 10;
      return t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1);
    });
    const { code, doc } = await verify(root);
    expect(code).toBe(1);
    expect(doc.findings.map((f) => f.code)).toEqual(expect.arrayContaining(["signature-invalid", "signatures-insufficient"]));
  });

  it("a signature by a non-member, or by a member without the role, fails", async () => {
    const root = repo();
    // grace loses her admin role: her key still verifies but she may not sign.
    edit(root, "governance/members.yaml", (t) =>
      t.replace(
        /- name: ada\n(\s+)displayName: Ada Lovelace\n\s+roles: \[admin, tech\]/,
        "- name: ada\n$1displayName: Ada Lovelace\n$1roles: [tech]",
      ),
    );
    const wrongRole = await verify(root);
    expect(wrongRole.code).toBe(1);
    expect(wrongRole.doc.findings.map((f) => f.code)).toContain("signature-wrong-role");

    const root2 = repo();
    edit(root2, "governance/members.yaml", (t) =>
      t.replace(fixturePublicKey("ada"), fixturePublicKey("grace").replace("grace@", "x@")).replace(/ {2}- name: grace[\s\S]*$/, ""),
    );
    const nonMember = await verify(root2);
    expect(nonMember.doc.findings.map((f) => f.code)).toContain("signature-non-member");
  });

  it("a broken governance file is located (file:line:col) with a did-you-mean", async () => {
    const root = repo();
    edit(root, "governance/rules.yaml", (t) => t.replace("  quorum: 0.5", "  quorom: 0.5"));
    const r = await coop(["verify"], { root });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/governance\/rules\.yaml:\d+:3 polls\.quorom: unknown field 'quorom'/);
    expect(r.stderr).toMatch(/did you mean 'quorum'/);
  });
});

describe("coop sign", () => {
  itSsh("adds a signature made by ssh-keygen, once per member", async () => {
    const root = repo();
    const before = readFileSync(join(root, GENESIS), "utf8");
    const r = await coop(["sign", "example-0001-genesis", "--key", fixtureKey("grace")], { root });
    expect(r.code, r.stderr).toBe(0);
    const after = readFileSync(join(root, GENESIS), "utf8");
    expect(after.startsWith(before.slice(0, before.indexOf("signatures:")))).toBe(true);
    expect(after.match(/member: /g)).toHaveLength(2);
    const again = await coop(["sign", "example-0001-genesis", "--key", fixtureKey("grace")], { root });
    expect(again.stdout).toMatch(/already signed by grace/);
    expect(readFileSync(join(root, GENESIS), "utf8")).toBe(after);
    expect((await coop(["verify"], { root })).code).toBe(0);
  });

  itSsh("refuses a key that is not a member's, and a member without the role", async () => {
    const root = repo();
    const dir = join(root, "k");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}`], { stdio: "ignore" });
    const stranger = await coop(["sign", "example-0001-genesis", "--key", dir], { root });
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toMatch(/belongs to no member/);
    edit(root, "governance/members.yaml", (t) => t.replace("roles: [admin]", "roles: [member]"));
    const member = await coop(["sign", "example-0001-genesis", "--key", fixtureKey("grace")], { root });
    expect(member.code).toBe(2);
    expect(member.stderr).toMatch(/grace \(member\) cannot sign this decision: it needs signers with role admin/);
  });

  it("names a missing decision and the closest id", async () => {
    const r = await coop(["sign", "example-0001-genesys", "--key", "/nonexistent"], { root: repo() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did you mean example-0001-genesis/);
  });
});

describe("verify and sign stay fast", () => {
  it("do not load the Pulumi SDK", () => {
    const script = `
      require(${JSON.stringify(join(REPO_ROOT, "kernel", "load-sources.cjs"))}).install(${JSON.stringify(REPO_ROOT)});
      const { run } = require(${JSON.stringify(join(REPO_ROOT, "cli", "main.ts"))});
      const io = { out() {}, err() {}, json() {} };
      (async () => {
        await run(["verify"], io, process.env, ${JSON.stringify(REPO_ROOT)});
        await run(["sign", "example-0001-genesis", "--key", "/nonexistent"], io, process.env, ${JSON.stringify(REPO_ROOT)});
        process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes("@pulumi"))));
      })();`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
