import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diffLines } from "diff";
import { parse } from "yaml";
import { afterEach, describe, expect } from "vitest";
import { coop } from "../helpers/cli";
import { changedFiles, snapshot } from "../helpers/files";
import { fixturePublicKey } from "../helpers/governance";
import { REPO_ROOT, tempRepo } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function forkedRepo(opts: { deployed?: boolean } = { deployed: true }): { root: string; keys: Record<string, string> } {
  const r = tempRepo();
  cleanups.push(r.cleanup);
  // What init edits beside the specs and the ledger: the workflows and npm start.
  cpSync(join(REPO_ROOT, ".github"), join(r.root, ".github"), { recursive: true });
  cpSync(join(REPO_ROOT, "package.json"), join(r.root, "package.json"));
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
  if (opts.deployed)
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
    const r = await coop([...initArgs(keys), "--discard-ledger"], { root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Removed:\n(.*\n)* {2}Pulumi\.example\.yaml\n/);
    expect(r.stdout).toMatch(/coop sign governance-0001-founding --key/);
    expect(r.stdout).toMatch(/coop sign example-0001-genesis --key/);
    expect(r.stdout).toMatch(/git add -A && git commit/);
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
    const { root, keys } = forkedRepo({ deployed: false });
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

/** Lines of `after` not in `before`, and lines of `before` not in `after` (one changed region). */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return { removed: a.slice(start, endA), added: b.slice(start, endB) };
}

function terminal(answer: string): { asked: string[]; ask: (q: string) => Promise<string> } {
  const asked: string[] = [];
  return {
    asked,
    ask: async (q: string) => {
      asked.push(q);
      return answer;
    },
  };
}

describe("coop init never discards a co-op's own record unasked", () => {
  itSsh(
    "refuses on a fork with its own ledger without a terminal or in CI, asks at one, and --discard-ledger or a yes proceeds",
    async () => {
      const { root, keys } = forkedRepo({ deployed: false });
      const args = [...initArgs(keys), "--stack", "prod"];
      const first = await coop([...args, "--key", keys.rosa], { root });
      expect(first.code, first.stderr).toBe(0);
      const rules = readFileSync(join(root, "governance/rules.yaml"), "utf8");
      const prod = readFileSync(join(root, "stacks/prod.yaml"), "utf8");
      // The co-op's own work since: its founding and genesis, and a stack config with secrets.
      writeFileSync(join(root, "Pulumi.prod.yaml"), "encryptionsalt: v1:abc\n");
      const before = snapshot(root, ".");
      const own = ["governance/decisions/governance-0001-founding.json", "governance/decisions/prod-0001-genesis.json", "Pulumi.prod.yaml"];

      const noTty = await coop(args, { root });
      expect(noTty.code).toBe(2);
      for (const f of own) expect(noTty.stderr).toContain(`  ${f}\n`);
      expect(noTty.stderr).toMatch(/Nothing was changed[\s\S]*hint: .*--discard-ledger/);
      expect(noTty.stderr).not.toMatch(/internal error/);

      const ci = terminal("y");
      const inCi = await coop(args, { root, env: { ...process.env, CI: "true" }, terminal: ci });
      expect(inCi.code).toBe(2);
      expect(ci.asked).toEqual([]); // a CI runner's TTY is nobody to ask
      expect(inCi.stderr).toMatch(/--discard-ledger/);

      const no = terminal("n");
      const declined = await coop(args, { root, env: { ...process.env, CI: "" }, terminal: no });
      expect(declined.code).toBe(2);
      expect(no.asked).toEqual(["Discard these 3 files and start a new ledger? [y/N] "]);
      expect(declined.stderr).toContain("  governance/decisions/prod-0001-genesis.json\n");
      expect(changedFiles(before, snapshot(root, "."))).toEqual([]);

      const yes = terminal("yes");
      const accepted = await coop(args, { root, env: { ...process.env, CI: "" }, terminal: yes });
      expect(accepted.code, accepted.stderr).toBe(0);
      expect(yes.asked).toHaveLength(1);
      expect(accepted.stdout).toMatch(/Removed:\n {2}Pulumi\.prod\.yaml\n/);
      expect(existsSync(join(root, "Pulumi.prod.yaml"))).toBe(false);
      // Same Loomio flags as before: the bylaws keep every byte (and are not rewritten at all).
      expect(readFileSync(join(root, "governance/rules.yaml"), "utf8")).toBe(rules);
      expect(accepted.stdout).not.toMatch(/and governance\/rules\.yaml/);
      // Same flags: the spec keeps every byte too.
      expect(readFileSync(join(root, "stacks/prod.yaml"), "utf8")).toBe(prod);
    },
  );

  itSsh("--discard-ledger discards without asking and lists every file it removed", async () => {
    const { root, keys } = forkedRepo({ deployed: false });
    expect((await coop([...initArgs(keys), "--stack", "prod"], { root })).code).toBe(0);
    const never = { ask: async (): Promise<string> => expect.fail("--discard-ledger must not ask") };
    const r = await coop([...initArgs(keys), "--stack", "prod", "--discard-ledger"], { root, terminal: never });
    expect(r.code, r.stderr).toBe(0);
    // The unsigned founding of the first run was the co-op's own: rewritten (same id), so kept, not removed.
    const removedLines = r.stdout.split("\n").filter((l) => l.startsWith("  governance/"));
    for (const l of removedLines) expect(existsSync(join(root, l.trim()))).toBe(false);
  });
});

const itTty = withTool("script", "bsdutils");

describe("coop init at a real terminal", () => {
  itTty("asks on the terminal and keeps everything when the answer is no", () => {
    const { root } = forkedRepo({ deployed: true });
    const keyDir = mkdtempSync(join(tmpdir(), "coop-init-tty-"));
    cleanups.push(() => rmSync(keyDir, { recursive: true, force: true }));
    const key = join(keyDir, "rosa");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], { stdio: "ignore" });
    const cmd = `node ${join(REPO_ROOT, "bin", "coop.js")} init --name River --domain river.coop --member rosa:admin:${key}.pub --stack prod`;
    for (const input of ["n\n", "\n"]) {
      const env = { ...process.env };
      delete env.CI;
      // script(1) gives coop a pseudo-terminal, as a person's shell would.
      const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { cwd: root, input, encoding: "utf8", env, timeout: 60_000 });
      expect(r.status, r.stdout).toBe(2);
      expect(r.stdout).toMatch(/would discard:\r?\n {2}Pulumi\.example\.yaml/);
      expect(r.stdout).toMatch(/Discard this file and start a new ledger\? \[y\/N\]/);
      expect(r.stdout).toMatch(/nothing was changed: the co-op's own files are kept/);
      expect(existsSync(join(root, "Pulumi.example.yaml"))).toBe(true);
    }
  });
});

describe("coop init --stack: the fork's own stacks", () => {
  itSsh(
    "writes each stack from its shape, removes the unused examples, renames them in CI and npm start, and keeps every other byte",
    async () => {
      const { root, keys } = forkedRepo({ deployed: false });
      const read = (f: string) => readFileSync(join(root, f), "utf8");
      const example = read("stacks/example.yaml");
      const rules = read("governance/rules.yaml");
      const deploy = read(".github/workflows/deploy.yml");
      const owners = read(".github/CODEOWNERS");
      const r = await coop([...initArgs(keys), "--stack", "prod", "--stack", "home:local", "--stack", "river:split", "--json"], { root });
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        stacks: string[];
        removed: string[];
        checklist: Array<{ stack: string; findings: Array<{ id: string; field?: string }> }>;
      };
      expect(doc.stacks).toEqual(["prod", "home", "river-mail", "river-social", "river-cloud"]);
      expect(
        readdirSync(join(root, "stacks"))
          .filter((f) => f.endsWith(".yaml"))
          .sort(),
      ).toEqual(["home.yaml", "prod.yaml", "river-cloud.yaml", "river-mail.yaml", "river-social.yaml"].sort());
      for (const gone of ["example", "local", "split-mail", "split-social", "split-cloud"]) {
        expect(doc.removed).toContain(`stacks/${gone}.yaml`);
        expect(doc.removed).toContain(`governance/decisions/${gone}-0001-genesis.json`);
      }

      // prod is the one-host example with only the co-op's lines changed; comments and alignment kept.
      const prod = read("stacks/prod.yaml");
      expect(prod).not.toMatch(/example\.coop/);
      expect(prod).toContain("# social.river.coop (Mastodon), cloud.river.coop (Nextcloud), mail.river.coop (mail).\n");
      expect(prod).toContain("  serverType: cx33 # 4 vCPU, 8 GB: enough for all three services\n");
      const removedLines = diffLines(example.replaceAll("example.coop", "river.coop"), prod)
        .filter((c) => c.removed)
        .flatMap((c) => c.value.split("\n").filter(Boolean));
      expect(removedLines.length).toBeGreaterThan(0);
      for (const line of removedLines)
        expect(line, `unexpected change: ${line}`).toMatch(
          /^ {2}name: Example Co-op$|^ {2,4}- (name|localPart|198\.|2001:)|^ {4,6}(sshPublicKey|name|aliases):/,
        );
      expect(parse(read("stacks/home.yaml")).domain).toBe("river.localhost");
      expect(parse(read("stacks/river-social.yaml")).services.mail.fromStack).toBe("organization/coop-infra/river-mail");
      expect(read("stacks/river-cloud.yaml")).toMatch(/# runs in river-social/);

      // CI deploys the Hetzner stacks; the comment after the list stays.
      expect(lineDiff(deploy, read(".github/workflows/deploy.yml"))).toEqual({
        removed: ["        stack: [prod] # one entry per stacks/<name>.yaml you deploy"],
        added: ["        stack: [prod, river-mail, river-social, river-cloud] # one entry per stacks/<name>.yaml you deploy"],
      });
      expect(parse(read(".github/workflows/governance.yml")).jobs.preview.strategy.matrix.stack).toEqual([
        "prod",
        "river-mail",
        "river-social",
        "river-cloud",
      ]);
      expect(JSON.parse(read("package.json")).scripts.start).toBe("node bin/coop.js gate --stack prod");
      expect(read(".github/CODEOWNERS")).toBe(owners); // it names no stack, only stacks/*.yaml
      // The bylaws: only the Loomio lines.
      expect(lineDiff(rules, read("governance/rules.yaml"))).toEqual({
        removed: ["  url: https://loomio.example.coop", "  groupId: 42"],
        added: ["  url: https://loomio.river.coop", "  groupId: 77"],
      });

      // The checklist is coop doctor's: the relay placeholder is still there and said so, per stack.
      const prodChecks = doc.checklist.find((c) => c.stack === "prod")!.findings;
      expect(prodChecks.filter((f) => f.id === "relay-placeholder").map((f) => f.field)).toEqual([
        "services.mail.relay.host",
        "services.mail.relay.spfInclude",
      ]);
      const doctor = JSON.parse((await coop(["doctor", "--stack", "prod", "--json"], { root })).stdout) as { findings: unknown[] };
      expect(prodChecks).toEqual(doctor.findings);
      expect(doc.checklist.find((c) => c.stack === "river-social")!.findings.some((f) => f.id === "relay-placeholder")).toBe(false);

      const ok = await coop(["verify", "--json"], { root });
      expect(new Set((JSON.parse(ok.stdout) as { findings: Array<{ code: string }> }).findings.map((x) => x.code))).toEqual(
        new Set(["signatures-insufficient"]),
      );
    },
  );

  itSsh("refuses a shape it does not know, a stack made twice, and a shape for a spec that exists, writing nothing", async () => {
    const { root, keys } = forkedRepo({ deployed: false });
    const before = snapshot(root, ".");
    const cases: Array<[string[], RegExp]> = [
      [["--stack", "prod:cluster"], /unknown shape 'cluster'[\s\S]*one-host, split, grown, local/],
      [["--stack", "river", "--stack", "river:local"], /the stack river would be made twice/],
      [["--stack", "split-mail:one-host"], /stacks\/split-mail\.yaml exists already/],
      [["--stack", "../etc"], /is not a stack name/],
      [["--stack", "home:local"], /none of the --stack given runs on Hetzner/],
      // A spec of the co-op's own that the named stacks leave out would go: asked for, not dropped.
      [["--stack", "river", "--stack", "test:one-host"], /would discard:\n {2}stacks\/prod\.yaml\n[\s\S]*--discard-ledger/],
    ];
    writeFileSync(join(root, "stacks/prod.yaml"), readFileSync(join(root, "stacks/example.yaml")));
    before.set("stacks/prod.yaml", readFileSync(join(root, "stacks/prod.yaml"), "utf8"));
    for (const [extra, message] of cases) {
      const r = await coop([...initArgs(keys), ...extra], { root });
      expect(r.code, extra.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(changedFiles(before, snapshot(root, "."))).toEqual([]);
  });
});
