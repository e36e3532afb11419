import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dkimRecordValue, txtText } from "../../components/dns/records";
import { coop, spawnCoop } from "../helpers/cli";
import { tempRepo } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const repo = tempRepo();
afterAll(repo.cleanup);

const { publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});
const DKIM = dkimRecordValue(publicKey);
/** What `pulumi stack output --json` prints for the example after `pulumi up` (no --show-secrets). */
const OUTPUTS = {
  target: "hetzner",
  ipv4: "203.0.113.10",
  ipv6: "2001:db8:1:2::",
  mailHost: "mail.example.coop",
  mailDkimRecord: DKIM,
  mailboxPasswords: "[secret]",
  smtpMastodonPassword: "hunter2-do-not-echo",
};

function outputsFile(name: string, value: unknown): string {
  const file = join(repo.root, name);
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return name;
}

describe("coop dns", () => {
  it("prints the zone with placeholders until the stack is deployed, and says so", async () => {
    const r = await coop(["dns", "--stack", "example"], { root: repo.root });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("$ORIGIN example.coop.");
    expect(r.stdout).toMatch(/^mail\s+IN\s+A\s+<ipv4>$/m);
    expect(r.stdout).toMatch(/^mail\._domainkey\s+IN\s+TXT\s+"<dkim>"$/m);
    expect(r.stdout).toMatch(/^@\s+IN\s+MX\s+10 mail\.example\.coop\.$/m);
    expect(r.stdout).toContain("pulumi stack output --json --stack example | npx coop dns --stack example --outputs -");
    expect(r.stderr).toMatch(/placeholders/);
  });

  it("warns before the relay placeholder reaches a published SPF record, with the readiness check's fix", async () => {
    const r = await coop(["dns", "--stack", "example"], { root: repo.root });
    expect(r.stdout).toContain('"v=spf1 mx include:spf.relay.example ~all"');
    expect(r.stderr).toMatch(
      /coop: warning: do not publish these records yet: the SPF include spf\.relay\.example is a placeholder[^\n]*\n {2}fix: set services\.mail\.relay \(host, username, spfInclude\) in stacks\/example\.yaml:\d+/,
    );
    expect(r.stderr).toMatch(/do not publish these records yet: the domain example\.coop is the bundled example's domain/);
    // A real relay's include is published without a word.
    const fixed = tempRepo();
    try {
      const spec = join(fixed.root, "stacks", "split-mail.yaml");
      writeFileSync(
        spec,
        readFileSync(spec, "utf8")
          .replace("spf.relay.example", "spf.relay.eu")
          .replace(/example\.coop/g, "river.coop"),
      );
      const ok = await coop(["dns", "--stack", "split-mail"], { root: fixed.root });
      expect(ok.stdout).toContain("include:spf.relay.eu");
      expect(ok.stderr).not.toMatch(/warning/);
    } finally {
      fixed.cleanup();
    }
  });

  it("--json prints one document with the records and what is missing", async () => {
    const r = await coop(["dns", "--stack", "example", "--json"], { root: repo.root });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      stack: "example",
      zone: "example.coop",
      ttl: 3600,
      provider: "hetzner",
      complete: false,
      missing: ["ipv4", "ipv6", "mailDkimRecord"],
    });
    expect(doc.reverseDns).toEqual({ name: "mail.example.coop", setBy: "Pulumi (hcloud.Rdns)" });
    const mx = doc.records.find((x: { type: string }) => x.type === "MX");
    expect(mx).toMatchObject({ name: "@", fqdn: "example.coop.", values: ["10 mail.example.coop."], ttl: 3600 });
    expect(typeof doc.text).toBe("string");
  });

  it("fills in the deployed stack's addresses and DKIM key from `pulumi stack output --json`", async () => {
    const file = outputsFile("outputs.json", OUTPUTS);
    const r = await coop(["dns", "--stack", "example", "--outputs", file, "--json"], { root: repo.root });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ complete: true, missing: [] });
    const rec = (name: string, type: string) => doc.records.find((x: { name: string; type: string }) => x.name === name && x.type === type);
    expect(rec("mail", "A").values).toEqual(["203.0.113.10"]);
    const dkim = rec("mail._domainkey", "TXT").values[0];
    expect(txtText(dkim)).toBe(DKIM);
    for (const s of dkim.match(/"[^"]*"/g)) expect(s.length - 2).toBeLessThanOrEqual(255);
    // Only the outputs coop dns needs are read: nothing else is echoed.
    expect(r.stdout).not.toContain("hunter2");
  });

  const withNamedCheckzone = withTool("named-checkzone", "bind9-utils");
  withNamedCheckzone("prints a zone that named-checkzone accepts (with the provider's SOA and NS added)", async () => {
    const r = await coop(["dns", "--stack", "example", "--outputs", outputsFile("outputs-zone.json", OUTPUTS)], { root: repo.root });
    expect(r.code).toBe(0);
    const zone = r.stdout.replace(
      /^(\$TTL \d+\n)/m,
      "$1@ IN SOA ns1 hostmaster 1 7200 3600 1209600 3600\n@ IN NS ns1\nns1 IN A 192.0.2.53\n",
    );
    const file = join(repo.root, "example.zone");
    writeFileSync(file, zone);
    expect(
      execFileSync("named-checkzone", ["-k", "fail", "-m", "fail", "-S", "fail", "-i", "local", "example.coop", file], {
        encoding: "utf8",
      }),
    ).toMatch(/OK/);
  });

  it("reads the outputs from stdin with --outputs - (a real process, --json prints only JSON)", () => {
    const r = spawnCoop(["dns", "--stack", "example", "--outputs", "-", "--json"], { root: repo.root, input: JSON.stringify(OUTPUTS) });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).complete).toBe(true);
  });

  it("prints each split stack's own records only", async () => {
    const social = JSON.parse((await coop(["dns", "--stack", "split-social", "--json"], { root: repo.root })).stdout);
    expect(social.records.map((x: { name: string; type: string }) => `${x.name} ${x.type}`)).toEqual(["social A", "social AAAA"]);
    expect(social.missing).toEqual(["ipv4", "ipv6"]);
    expect(social.reverseDns.name).toBe("social.example.coop");
  });

  it("has nothing to print for a local stack", async () => {
    const r = await coop(["dns", "--stack", "local", "--json"], { root: repo.root });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ records: [], complete: true });
  });

  it.each([
    ["not JSON", "{oops", /is not JSON/],
    ["not an object", "[1, 2]", /not a JSON object/],
    ["an output missing", JSON.stringify({ ipv4: "203.0.113.10", ipv6: "2001:db8:1:2::" }), /has no output 'mailDkimRecord'/],
    ["a wrong address", JSON.stringify({ ...OUTPUTS, ipv4: "mail.example.coop" }), /'ipv4'.*is not an IPv4 address/],
    ["a wrong DKIM record", JSON.stringify({ ...OUTPUTS, mailDkimRecord: "[secret]" }), /is not a DKIM record/],
  ])("exits 2 on outputs that are %s", async (_what, text, message) => {
    const file = outputsFile("bad.json", text);
    const r = await coop(["dns", "--stack", "example", "--outputs", file, "--json"], { root: repo.root });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.message).toMatch(message);
    expect(doc.error.hint).toMatch(/pulumi stack output --json/);
    expect(r.stdout).not.toContain("hunter2");
  });

  it("exits 2 on a missing outputs file, an unknown stack or an unknown flag", async () => {
    expect((await coop(["dns", "--stack", "example", "--outputs", "nope.json"], { root: repo.root })).code).toBe(2);
    const unknown = await coop(["dns", "--stack", "exampel"], { root: repo.root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/did you mean --stack example/);
    expect((await coop(["dns", "--stack", "example", "--zone"], { root: repo.root })).code).toBe(2);
  });

  it("explains itself with --help and is listed by coop --help", async () => {
    const help = await coop(["dns", "--help"], { root: repo.root });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--outputs FILE/);
    expect((await coop(["--help"], { root: repo.root })).stdout).toMatch(/^\s+dns\s+print the stack's DNS records/m);
  });
});
