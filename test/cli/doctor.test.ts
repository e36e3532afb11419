/**
 * coop doctor: the readiness check as users run it — exit codes, the checklist, one JSON
 * document, secrets never echoed, bad input refused, and the DNS check against a loopback
 * resolver (delegated, elsewhere, missing, silent).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { HETZNER_NAMESERVERS } from "../../stacks/readiness";
import { coop, spawnCoop } from "../helpers/cli";
import { type FakeDns, startDns } from "../helpers/dns-server";
import { nodeKey } from "../helpers/governance";
import { tempRepo } from "../helpers/repo";

let repo: { root: string; cleanup: () => void };
beforeEach(() => {
  repo = tempRepo();
});
afterEach(() => repo.cleanup());

const edit = (file: string, change: (doc: ReturnType<typeof parseDocument>) => void) => {
  const path = join(repo.root, file);
  const doc = parseDocument(readFileSync(path, "utf8"));
  change(doc);
  writeFileSync(path, doc.toString());
};

/** What a fork has after `coop init`, its relay filled in and its secret set. */
function makeReal(): void {
  const ada = nodeKey("ada@river.coop").line;
  const grace = nodeKey("grace@river.coop").line;
  edit("stacks/example.yaml", (doc) => {
    doc.setIn(["domain"], "river.coop");
    doc.setIn(["host", "sshSources"], doc.createNode(["20.1.2.0/24"]));
    doc.setIn(["host", "admins", 0, "sshPublicKey"], ada);
    doc.setIn(["host", "admins", 1, "sshPublicKey"], grace);
    doc.setIn(["services", "mail", "relay", "host"], "smtp.relay-provider.eu");
    doc.setIn(["services", "mail", "relay", "spfInclude"], "spf.relay-provider.eu");
  });
  edit("governance/members.yaml", (doc) => {
    doc.setIn(["members", 0, "sshKeys"], doc.createNode([ada]));
    doc.setIn(["members", 1, "sshKeys"], doc.createNode([grace]));
  });
  writeFileSync(
    join(repo.root, "Pulumi.example.yaml"),
    "encryptionsalt: v1:abc\nconfig:\n  coop-infra:mailRelayPassword:\n    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=\n",
  );
}

describe("coop doctor", () => {
  it("the bundled example is not ready: exit 1, every problem with its place and fix", async () => {
    const r = await coop(["doctor", "--stack", "example"], { root: repo.root });
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toBe("Stack example is NOT ready for a real deploy: 10 problems.");
    expect(r.stdout).toContain("error: stacks/example.yaml:26 host.sshSources[0]: 198.51.100.0/24 is a documentation range (RFC 5737)");
    expect(r.stdout).toContain("error: stacks/example.yaml:15 domain: the domain example.coop is the bundled example's domain");
    // The line is where ada's entry starts in the bundled members list.
    const adaLine =
      readFileSync(join(repo.root, "governance", "members.yaml"), "utf8")
        .split("\n")
        .indexOf("  - name: ada") + 1;
    expect(r.stdout).toContain(`error: governance/members.yaml:${adaLine} members.ada: member ada signs with the example key`);
    expect(r.stdout).toContain(
      "  fix: `pulumi stack init example` (once), then `pulumi config set --secret coop-infra:mailRelayPassword --stack example`",
    );
    expect(r.stdout).toMatch(/DNS was not checked; `npx coop doctor --stack example --online`/);
  });

  it("a fork made real is ready: exit 0", async () => {
    makeReal();
    const r = await coop(["doctor", "--stack", "example"], { root: repo.root });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("Stack example is ready for a real deploy.");
  });

  it("--json is exactly one document, from the real process", () => {
    const r = spawnCoop(["doctor", "--stack", "example", "--json"], { root: repo.root });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.stack).toBe("example");
    expect(doc.ready).toBe(false);
    expect(doc.online).toBe(false);
    expect(doc.findings).toHaveLength(10);
    expect(doc.findings[0]).toEqual({
      id: "ssh-source-reserved",
      level: "error",
      file: "stacks/example.yaml",
      line: 26,
      field: "host.sshSources[0]",
      message: expect.stringMatching(/^198\.51\.100\.0\/24 is a documentation range/),
      fix: expect.stringContaining("npx coop propose --stack example --post"),
    });
  });

  it("a secret in plain text is named, never shown", async () => {
    makeReal();
    writeFileSync(join(repo.root, "Pulumi.example.yaml"), "config:\n  coop-infra:mailRelayPassword: hunter2-relay-password\n");
    const r = await coop(["doctor", "--stack", "example", "--json"], { root: repo.root });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { id: string }) => f.id)).toEqual(["secret-plaintext"]);
    expect(r.stdout + r.stderr).not.toContain("hunter2");
  });

  it("refuses bad input with exit 2, without echoing the file", async () => {
    writeFileSync(join(repo.root, "Pulumi.example.yaml"), "config:\n  coop-infra:mailRelayPassword: [hunter2-in-a-broken-file\n");
    const broken = await coop(["doctor", "--stack", "example"], { root: repo.root });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/coop: Pulumi\.example\.yaml:\d+:\d+ is not valid YAML\n {2}hint: `git restore Pulumi\.example\.yaml`/);
    expect(broken.stderr).not.toContain("hunter2");
    const resolverAlone = await coop(["doctor", "--stack", "example", "--resolver", "9.9.9.9"], { root: repo.root });
    expect(resolverAlone.code).toBe(2);
    expect(resolverAlone.stderr).toMatch(/--resolver is used only with --online/);
    const badResolver = await coop(["doctor", "--stack", "example", "--online", "--resolver", "dns.example"], { root: repo.root });
    expect(badResolver.code).toBe(2);
    expect(badResolver.stderr).toMatch(/--resolver 'dns\.example' is not an IP address/);
    const noStack = await coop(["doctor", "--stack", "prdo"], { root: repo.root });
    expect(noStack.code).toBe(2);
    expect(noStack.stderr).toMatch(/there is no spec for stack 'prdo'/);
  });

  describe("--online", () => {
    let dns: FakeDns;
    beforeEach(async () => {
      dns = await startDns();
      makeReal();
    });
    afterEach(() => dns.close());
    const online = () => coop(["doctor", "--stack", "example", "--online", "--resolver", dns.address, "--json"], { root: repo.root });

    it("delegated to Hetzner DNS: ready, nothing to say", async () => {
      dns.answers["river.coop"] = { ns: HETZNER_NAMESERVERS };
      const r = await online();
      expect(r.code, r.stdout).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ stack: "example", ready: true, online: true, findings: [] });
      expect(dns.queries).toEqual(["river.coop 2"]);
    });

    it("served elsewhere: ready, with a warning and the name servers to set", async () => {
      dns.answers["river.coop"] = { ns: ["ns1.registrar.eu", "ns2.registrar.eu"] };
      const r = await online();
      expect(r.code).toBe(0);
      const [f] = JSON.parse(r.stdout).findings;
      expect(f).toMatchObject({ id: "dns-not-delegated", level: "warning" });
      expect(f.message).toMatch(/^river\.coop is served by ns1\.registrar\.eu, ns2\.registrar\.eu, not by Hetzner DNS/);
    });

    it("a domain that does not exist: not ready", async () => {
      const r = await online();
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).findings.map((f: { id: string }) => f.id)).toEqual(["dns-domain-missing"]);
    });

    it("a resolver that never answers: a warning within the deadline, not a hang", async () => {
      dns.answers["river.coop"] = "silent";
      const started = Date.now();
      const r = await online();
      expect(Date.now() - started).toBeLessThan(8000);
      expect(r.code).toBe(0);
      const [f] = JSON.parse(r.stdout).findings;
      expect(f).toMatchObject({
        id: "dns-unchecked",
        level: "warning",
        message: "could not look up the name servers of river.coop: no answer within 5 s",
      });
    });
  });
});
