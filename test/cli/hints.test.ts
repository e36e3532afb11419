/**
 * Every hint is the right and safe fix: a missing or damaged tracked file is restored from git,
 * never re-created by init (which would start a new ledger) and never signed over (which would
 * vouch for forged content); the machine's own refusals (permissions, a full disk) are said as
 * such, with the path, not as a bug of coop. File-system refusals are injected: the suite runs
 * as root, where permissions never refuse.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { coop } from "../helpers/cli";
import { tempRepo } from "../helpers/repo";

const refuse: { code?: string; syscall?: string; suffix?: string; fn?: "readFileSync" | "rmSync" } = {};
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const guard =
    <F extends (...a: never[]) => unknown>(name: "readFileSync" | "rmSync", f: F) =>
    (...args: Parameters<F>) => {
      const path = String(args[0]);
      if (refuse.fn === name && refuse.suffix && path.endsWith(refuse.suffix))
        throw Object.assign(new Error(`${refuse.code}: refused, ${refuse.syscall} '${path}'`), {
          code: refuse.code,
          syscall: refuse.syscall,
          path,
        });
      return f(...args);
    };
  return { ...fs, readFileSync: guard("readFileSync", fs.readFileSync), rmSync: guard("rmSync", fs.rmSync) };
});

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const k of Object.keys(refuse)) delete refuse[k as keyof typeof refuse];
  for (const c of cleanups.splice(0)) c();
});

function repo(): string {
  const r = tempRepo();
  cleanups.push(r.cleanup);
  return r.root;
}

interface Doc {
  findings: Array<{ code: string; remediation: string; file?: string }>;
}

describe("hints name the safe fix", () => {
  it("a missing members.yaml: restore it from git, never coop init (which would start a new ledger)", async () => {
    const root = repo();
    rmSync(join(root, "governance/members.yaml"));
    const verify = await coop(["verify", "--json"], { root });
    expect(verify.code).toBe(1);
    const doc = JSON.parse(verify.stdout) as Doc;
    expect(doc.findings.find((f) => f.code === "members-missing")?.remediation).toMatch(/git restore governance\/members\.yaml/);
    for (const args of [["verify"], ["status"], ["propose", "--stack", "example"], ["members", "list"]]) {
      const r = await coop(args, { root });
      expect(`${r.stdout}${r.stderr}`, args.join(" ")).not.toMatch(/coop init|internal error/);
    }
    expect((await coop(["members", "list"], { root })).stderr).toMatch(
      /governance\/members\.yaml does not exist\n {2}hint: .*git restore governance\/members\.yaml/,
    );
  });

  it("red team: a decision whose counts were edited after signing is restored from git, never re-signed, re-voted or re-initialised", async () => {
    const root = repo();
    const file = "governance/decisions/example-0001-genesis.json";
    const d = JSON.parse(readFileSync(join(root, file), "utf8"));
    d.summary = `${d.summary} Approved by 41 of 42 members.`;
    writeFileSync(join(root, file), JSON.stringify(d, null, 2));
    const verify = await coop(["verify", "--json"], { root });
    expect(verify.code).toBe(1);
    const about = (JSON.parse(verify.stdout) as Doc).findings.filter((f) => f.file === file);
    expect(about.map((f) => f.code).sort()).toEqual(["signature-invalid", "signatures-insufficient"]);
    for (const f of about) {
      expect(f.remediation, f.code).toContain(`git restore ${file}`);
      expect(f.remediation, f.code).not.toMatch(/coop sign |coop init|propose|decide/);
    }
    const status = JSON.parse((await coop(["status", "--json"], { root })).stdout) as { ledger: Array<{ what: string; next: string }> };
    const item = status.ledger.find((i) => i.what.startsWith("example-0001-genesis"));
    expect(item).toEqual({
      what: "example-0001-genesis was changed after it was signed (a signature does not verify)",
      next: `git restore ${file}`,
    });
    expect(status.ledger.map((i) => i.next).join("\n")).not.toMatch(/coop sign example-0001-genesis|coop init/);
    const stack = (status as unknown as { stacks: Array<{ stack: string; pending: Array<{ what: string; next: string }> }> }).stacks.find(
      (x) => x.stack === "example",
    );
    expect(stack?.pending[0].what).toMatch(
      /^not deployable: 1 problem in its record \(first: governance\/decisions\/example-0001-genesis\.json: the signature of 'ada' does not verify/,
    );
    expect(stack?.pending[0].next).toContain(`git restore ${file}`);
  });
});

describe("the machine's refusals are said as such, with the path", () => {
  it("a file coop cannot read: permission denied and the path, exit 2, no 'internal error'", async () => {
    const root = repo();
    refuse.fn = "readFileSync";
    refuse.suffix = "governance/rules.yaml";
    refuse.code = "EACCES";
    refuse.syscall = "open";
    const r = await coop(
      [
        "init",
        "--name",
        "River",
        "--domain",
        "river.coop",
        "--member",
        "rosa:admin:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01",
      ],
      { root },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("coop: cannot open governance/rules.yaml: permission denied (EACCES)");
    expect(r.stderr).toMatch(/hint: check who owns it \(ls -l\)/);
    expect(r.stderr).not.toMatch(/internal error|bug/);
  });

  it("--json carries the same message; an error that is not the machine's is still reported as a bug", async () => {
    const root = repo();
    refuse.fn = "readFileSync";
    refuse.suffix = "governance/rules.yaml";
    refuse.code = "ENOSPC";
    refuse.syscall = "open";
    const args = [
      "init",
      "--name",
      "River",
      "--domain",
      "river.coop",
      "--member",
      "rosa:admin:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01",
      "--json",
    ];
    const full = await coop(args, { root });
    expect(full.code).toBe(2);
    expect(JSON.parse(full.stdout).error.message).toBe("cannot open governance/rules.yaml: the disk is full (ENOSPC)");
    refuse.code = "EWEIRD";
    const weird = await coop(args, { root });
    expect(weird.code).toBe(2);
    expect(JSON.parse(weird.stdout).error.message).toMatch(/^internal error: /);
  });
});
