import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MembersSchema } from "../../rulebook";
import { approvedRepo } from "../helpers/approved-repo";
import { coop, spawnCoop, verifyJson } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { fixtureKey } from "../helpers/governance";
import type { LedgerFixture } from "../helpers/ledger";
import { listStacks } from "../../stacks/load";
import { REPO_ROOT } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const repos: LedgerFixture[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

async function repo(): Promise<LedgerFixture> {
  const f = await approvedRepo(["example"]);
  repos.push(f);
  return f;
}

const GENESIS = "governance/decisions/example-0001-genesis.json";
const LOCK = "governance/approved/example.lock.json";
const NOW = "2026-03-11T09:00:00.000Z";

function edit(root: string, file: string, fn: (text: string) => string): void {
  const path = join(root, file);
  const text = readFileSync(path, "utf8");
  const next = fn(text);
  expect(next).not.toBe(text);
  writeFileSync(path, next);
}

describe("coop verify", () => {
  it("the bundled example verifies, as a process, with one JSON document and a one-line summary", () => {
    const r = spawnCoop(["verify", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { passed: boolean; decisions: number; stacks: string[] };
    expect(doc.passed).toBe(true);
    expect(doc.decisions).toBeGreaterThanOrEqual(2);
    expect(doc.stacks).toContain("example");
    const human = spawnCoop(["verify"]);
    expect(human.stdout).toMatch(new RegExp(`^ledger verified: \\d+ decisions, ${listStacks(REPO_ROOT).length} stacks \\(\\d+ ms\\)\n$`));
  });

  it("a changed byte in a record fails, naming the file, the decision and the safe fix", async () => {
    const f = await repo();
    edit(f.root, GENESIS, (t) => t.replace("is set up", "is Set up"));
    const { code, doc } = await verifyJson(f.root, NOW);
    expect(code).toBe(1);
    const found = doc.findings.find((x) => x.code === "signature-invalid");
    expect(found).toMatchObject({ file: GENESIS, decision: "example-0001-genesis" });
    expect(found?.message).toMatch(/does not verify/);
    expect(found?.remediation).toMatch(/git restore governance\/decisions\/example-0001-genesis\.json/);
  });

  it("a changed byte in a lock fails: the lock file must be the stored state it names", async () => {
    const f = await repo();
    edit(f.root, LOCK, (t) => t.replace('"serverType": "cx33"', '"serverType": "cx43"'));
    const r = await coop(["verify", "--json"], { root: f.root, at: NOW });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { findings: Array<{ file?: string; message: string; remediation: string }> };
    const found = doc.findings.find((x) => x.file === LOCK);
    expect(found?.message).toMatch(/is not an approved state: differs from the approved state it names/);
    expect(found?.remediation).toMatch(/git restore governance\/approved\/example\.lock\.json/);
    expect(r.stderr).toBe("");
  });

  it("a lock edited by hand with its digest recomputed and a stored version beside it is backed by no decision", async () => {
    const f = await repo();
    const { lockFromView, viewOfLock } = await import("../../plan/lock");
    const { objectEntry } = await import("../../rulebook");
    const lock = JSON.parse(readFileSync(join(f.root, LOCK), "utf8"));
    lock.resources.find((r: { name: string }) => r.name === "host-server").inputs.serverType = "cx53";
    const forged = lockFromView(viewOfLock(lock));
    f.writeObject("lock", forged);
    writeFileSync(join(f.root, LOCK), objectEntry(f.root, "lock", forged)[1]);
    expect((await verifyJson(f.root, NOW)).codes).toContain("lock-unbacked");
  });

  it("a changed byte in a signature fails", async () => {
    const f = await repo();
    edit(f.root, GENESIS, (t) => {
      const i = t.indexOf("-----END SSH SIGNATURE-----") - 12;
      return t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1);
    });
    const { code, codes } = await verifyJson(f.root, NOW);
    expect(code).toBe(1);
    expect(codes).toEqual(expect.arrayContaining(["signature-invalid", "signatures-insufficient"]));
  });

  it("editing members.yaml changes no one's power to sign: the edit itself is refused, signatures are judged by the approved list", async () => {
    const f = await repo();
    // ada loses her admin role and grace's key is replaced, in the working file only.
    edit(f.root, "governance/members.yaml", (t) => t.replace(/roles:\n\s+- admin\n\s+- tech/, "roles:\n      - tech"));
    const { code, codes, doc } = await verifyJson(f.root, NOW);
    expect(code).toBe(1);
    expect(codes).toEqual(["members-unapproved"]);
    expect(doc.findings[0].remediation).toMatch(/coop approve --members|git restore governance\/members\.yaml/);
  });

  it("a broken governance file is located (file:line:col) with a did-you-mean, and nothing else is trusted", async () => {
    const f = await repo();
    edit(f.root, "governance/rules.yaml", (t) => t.replace("  quorum: 0.5", "  quorom: 0.5"));
    const r = await coop(["verify"], { root: f.root, at: NOW });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/governance\/rules\.yaml:\d+:3 polls\.quorom: unknown field 'quorom'.*\[rules-missing\]/);
    expect(r.stderr).toMatch(/did you mean 'quorum'/);
  });

  it("--stack names a stack that has no spec and no decision: exit 2", async () => {
    const r = await coop(["verify", "--stack", "exmaple"], { at: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/there is no stack 'exmaple' \(no spec and no decision\)/);
    const hinted = /hint: stacks: (.*)/.exec(r.stderr)?.[1].split(", ") ?? [];
    expect(hinted.sort()).toEqual(listStacks(REPO_ROOT).sort());
  });
});

describe("coop sign", () => {
  itSsh("adds a signature made by ssh-keygen, once per member, changing nothing else", async () => {
    const f = await repo();
    const before = JSON.parse(readFileSync(join(f.root, GENESIS), "utf8")) as Record<string, unknown> & { signatures: unknown[] };
    const r = await coop(["sign", "example-0001-genesis", "--key", fixtureKey("grace")], { root: f.root, at: NOW });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Signed example-0001-genesis as grace \(SHA256:/);
    const after = JSON.parse(readFileSync(join(f.root, GENESIS), "utf8")) as typeof before;
    expect({ ...after, signatures: [] }).toEqual({ ...before, signatures: [] });
    expect(after.signatures).toEqual([
      ...before.signatures,
      { member: "grace", signature: expect.stringMatching(/^-----BEGIN SSH SIGNATURE-----/) },
    ]);
    const text = readFileSync(join(f.root, GENESIS), "utf8");
    const again = await coop(["sign", "example-0001-genesis", "--key", fixtureKey("grace")], { root: f.root, at: NOW });
    expect(again.stdout).toMatch(/already signed by grace/);
    expect(readFileSync(join(f.root, GENESIS), "utf8")).toBe(text);
    expect(await verifyJson(f.root, NOW)).toMatchObject({ code: 0, codes: [] });
  });

  itSsh("refuses, with the finding verify would report, a key of no member, a member without the role, and a member who left", async () => {
    const f = await repo();
    const dir = mkdtempSync(join(tmpdir(), "coop-keys-"));
    repos.push({ cleanup: () => rmSync(dir, { recursive: true, force: true }) } as LedgerFixture);
    const stranger = join(dir, "stranger");
    const maryKey = join(dir, "mary");
    for (const k of [stranger, maryKey]) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", k], { stdio: "ignore" });
    const before = snapshot(f.root);
    const s = await coop(["sign", "example-0001-genesis", "--key", stranger], { root: f.root, at: NOW });
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/belongs to no member in the members list in force .*\[signature-non-member\]/);
    expect(s.stderr).toMatch(/Nothing was written/);
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);

    // mary joins as a member (routine, signed by ada); a later decision is judged by that list.
    const withMary = MembersSchema.parse({
      ...f.members,
      members: [...f.members.members, { name: "mary", roles: ["member"], sshKeys: [readFileSync(`${maryKey}.pub`, "utf8").trim()] }],
    });
    f.writeMembers(withMary);
    f.write(f.membersChange(withMary, { signers: ["ada"] }));
    const change = f.write(f.vote("example", f.lock("example", "1"), { signers: [] }));
    const role = await coop(["sign", change.id, "--key", maryKey], { root: f.root, at: NOW });
    expect(role.code).toBe(1);
    expect(role.stderr).toMatch(/mary \(member\) signed, but .* needs signers with role admin \[signature-wrong-role\]/);

    const gone = MembersSchema.parse({
      ...withMary,
      members: withMary.members.map((m) => (m.name === "mary" ? { ...m, left: "2026-01-02" } : m)),
    });
    f.writeMembers(gone);
    f.write(f.membersChange(gone, { signers: ["ada"] }));
    const later = f.write(f.vote("example", f.lock("example", "2"), { signers: [] }));
    const left = await coop(["sign", later.id, "--key", maryKey], { root: f.root, at: NOW });
    expect(left.code).toBe(1);
    expect(left.stderr).toMatch(/mary had left \(2026-01-02\) .*\[signature-former-member\]/);
    expect(JSON.parse(readFileSync(join(f.root, "governance", "decisions", `${later.id}.json`), "utf8")).signatures).toEqual([]);
  });

  itSsh("refuses to sign over a record changed after it was signed", async () => {
    const f = await repo();
    edit(f.root, GENESIS, (t) => t.replace("is set up", "is Set up"));
    const before = snapshot(f.root);
    const r = await coop(["sign", "example-0001-genesis", "--key", fixtureKey("grace")], { root: f.root, at: NOW });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/was changed after it was signed.*\n.*\[signature-invalid\]/);
    expect(r.stderr).toMatch(/hint: restore it from git/);
    expect(changedFiles(before, snapshot(f.root))).toEqual([]);
  });

  it("names a missing decision and the closest id", async () => {
    const f = await repo();
    const r = await coop(["sign", "example-0001-genesys", "--key", "/nonexistent"], { root: f.root });
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
