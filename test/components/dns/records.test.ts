import { execFileSync } from "node:child_process";
import { generateKeyPairSync, createPublicKey } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type DnsPlan,
  type RecordSet,
  dkimRecordValue,
  dmarcRecord,
  dnsRecords,
  hostIpv6,
  mtaStsPolicy,
  mtaStsRecord,
  renderZoneFile,
  splitTxt,
  spfRecord,
  txtText,
  txtValue,
} from "../../../components/dns/records";
import { readOracle } from "../../helpers/oracles";
import { withTool } from "../../helpers/tools";

// The oracle's placeholders (test/oracles/mail-dns-records.md).
const IPV4 = "203.0.113.10";
const IPV6 = "2001:db8::1";
const { publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});
const DKIM = dkimRecordValue(publicKey);

const allInOne: DnsPlan = {
  domain: "example.coop",
  ownsZone: true,
  webHosts: ["social", "cloud"],
  mail: { hostLabel: "mail", spfIncludes: [], policy: "testing" },
  ipv6: true,
};
const records = dnsRecords(allInOne, { ipv4: IPV4, ipv6: IPV6, dkim: txtValue(DKIM) });

const find = (rs: readonly RecordSet[], name: string, type: string) => {
  const r = rs.find((x) => x.name === name && x.type === type);
  if (!r) throw new Error(`no ${type} record for ${name}`);
  return r;
};

/** The oracle table's rows: number -> the backticked strings of the value column. */
function oracleRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readOracle("mail-dns-records.md").split("\n")) {
    const cols = line.split("|").map((c) => c.trim());
    if (cols.length < 7 || !/^\d+a?$/.test(cols[1])) continue;
    rows.set(
      cols[1],
      [...cols[4].matchAll(/`([^`]+)`/g)].map((m) => m[1]),
    );
  }
  return rows;
}

describe("mail DNS records against the oracle (mail-dns-records.md)", () => {
  const oracle = oracleRows();

  it("reads the oracle table", () => {
    expect(oracle.size).toBeGreaterThanOrEqual(20);
  });

  it("#1 A of the mail host; #2 no AAAA for it, since Postfix sends over IPv4 only", () => {
    expect(find(records, "mail", "A").values).toEqual(oracle.get("1"));
    expect(records.some((r) => r.name === "mail" && r.type === "AAAA")).toBe(false);
  });

  it("#3 MX", () => {
    expect(find(records, "@", "MX").values).toEqual(oracle.get("3"));
  });

  it("#6 SPF: ~all while testing, -all when enforcing; #6a the relay's include", () => {
    expect(find(records, "@", "TXT").values).toEqual([oracle.get("6")![0]]);
    expect(`"${spfRecord({ spfIncludes: [], policy: "enforce" })}"`).toBe(oracle.get("6")![1]);
    const relayed = spfRecord({ spfIncludes: ["spf.relay.example"], policy: "enforce" });
    expect(`"${relayed}"`).toBe(oracle.get("6a")![0].replace("<relay-provider-spf>", "spf.relay.example"));
  });

  it("#7 SPF for the HELO name", () => {
    expect(find(records, "mail", "TXT").values).toEqual(oracle.get("7"));
  });

  it("#8 DKIM: v=DKIM1; k=rsa; p=<key> under mail._domainkey", () => {
    const value = find(records, "mail._domainkey", "TXT").values[0];
    expect(txtText(value)).toBe(DKIM);
    expect(oracle.get("8")![0]).toMatch(/^"v=DKIM1; k=rsa; p=/);
    expect(DKIM.startsWith("v=DKIM1; k=rsa; p=")).toBe(true);
  });

  it("#9 DMARC: the oracle's string with p=none, then quarantine and reject", () => {
    expect(find(records, "_dmarc", "TXT").values).toEqual([oracle.get("9")![0]]);
    expect(dmarcRecord("example.coop", "enforce")).toContain("p=quarantine; sp=quarantine;");
    expect(dmarcRecord("example.coop", "reject")).toContain("p=reject; sp=reject;");
  });

  it("#10 MTA-STS TXT, #11 its host, #12 the policy file", () => {
    const txt = txtText(find(records, "_mta-sts", "TXT").values[0]);
    expect(txt).toMatch(/^v=STSv1; id=[A-Za-z0-9]{1,32}$/); // RFC 8461 §3.1
    expect(find(records, "mta-sts", "A").values).toEqual([IPV4]);
    expect(find(records, "mta-sts", "AAAA").values).toEqual([IPV6]);
    const policy = mtaStsPolicy("testing", ["mail.example.coop"]);
    expect(policy).toBe("version: STSv1\r\nmode: testing\r\nmx: mail.example.coop\r\nmax_age: 604800\r\n");
    const fields = oracle.get("12")!.filter((f) => f.includes(": "));
    expect(fields).toEqual(["version: STSv1", "mode: testing", "mx: mail.example.coop", "max_age: 604800"]);
    expect(policy).toBe(fields.map((f) => `${f}\r\n`).join(""));
    expect(mtaStsPolicy("enforce", ["mail.example.coop"])).toContain("mode: enforce\r\n");
  });

  it("#10 the MTA-STS id changes exactly when the policy does", () => {
    const a = mtaStsRecord(mtaStsPolicy("testing", ["mail.example.coop"]));
    expect(mtaStsRecord(mtaStsPolicy("testing", ["mail.example.coop"]))).toBe(a);
    expect(mtaStsRecord(mtaStsPolicy("enforce", ["mail.example.coop"]))).not.toBe(a);
    expect(mtaStsRecord(mtaStsPolicy("testing", ["mx.example.coop"]))).not.toBe(a);
    expect(txtText(find(records, "_mta-sts", "TXT").values[0])).toBe(a);
  });

  it("#13 TLS-RPT", () => {
    expect(find(records, "_smtp._tls", "TXT").values).toEqual(oracle.get("13"));
  });

  it("#14-16 SRV for submissions, submission and IMAPS; #17-18 plain IMAP and POP3 marked unavailable", () => {
    expect(find(records, "_submissions._tcp", "SRV").values).toEqual([oracle.get("14")![0]]);
    expect(find(records, "_submission._tcp", "SRV").values).toEqual([oracle.get("15")![0]]);
    expect(find(records, "_imaps._tcp", "SRV").values).toEqual([oracle.get("16")![0]]);
    expect(find(records, "_imap._tcp", "SRV").values).toEqual([oracle.get("17")![0]]);
    for (const s of ["_pop3._tcp", "_pop3s._tcp"]) expect(find(records, s, "SRV").values).toEqual([oracle.get("18")![0]]);
  });

  it("#21 CAA for Let's Encrypt, only in the stack that owns the zone", () => {
    expect(find(records, "@", "CAA").values).toContain(oracle.get("21")![0]);
    const notOwner = dnsRecords({ ...allInOne, ownsZone: false }, { ipv4: IPV4, ipv6: IPV6, dkim: txtValue(DKIM) });
    expect(notOwner.some((r) => r.type === "CAA")).toBe(false);
  });

  it("#22 A/AAAA for the web services", () => {
    for (const h of ["social", "cloud"]) {
      expect(find(records, h, "A").values).toEqual([IPV4]);
      expect(find(records, h, "AAAA").values).toEqual([IPV6]);
    }
  });

  it("a host without mail publishes only its web names", () => {
    const social = dnsRecords({ domain: "example.coop", ownsZone: false, webHosts: ["social"], ipv6: true }, { ipv4: IPV4, ipv6: IPV6 });
    expect(social.map((r) => `${r.name} ${r.type}`)).toEqual(["social A", "social AAAA"]);
  });

  it("refuses to publish mail records without the DKIM key", () => {
    expect(() => dnsRecords(allInOne, { ipv4: IPV4, ipv6: IPV6 })).toThrow(/DKIM/);
  });

  it("has one record set per name and type", () => {
    const ids = records.map((r) => `${r.name} ${r.type}`);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("TXT values", () => {
  it("split a 2048-bit DKIM record into strings of at most 255 characters that reassemble to it", () => {
    expect(DKIM.length).toBeGreaterThan(255);
    const parts = splitTxt(DKIM);
    expect(parts.length).toBe(Math.ceil(DKIM.length / 255));
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(255);
    expect(parts.join("")).toBe(DKIM);
    expect(txtText(txtValue(DKIM))).toBe(DKIM);
  });

  it("carry the public key itself: p= decodes to the same RSA key", () => {
    const p = DKIM.split("p=")[1];
    const key = createPublicKey({ key: Buffer.from(p, "base64"), format: "der", type: "spki" });
    expect(key.export({ type: "spki", format: "pem" })).toBe(publicKey);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it("are quoted, short ones as one string", () => {
    expect(txtValue("v=spf1 a -all")).toBe('"v=spf1 a -all"');
    expect(splitTxt("x".repeat(255))).toHaveLength(1);
    expect(splitTxt("x".repeat(256))).toHaveLength(2);
    expect(() => txtValue('say "hi"')).toThrow();
    expect(() => dkimRecordValue("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----")).toThrow(/PUBLIC KEY/);
  });
});

describe("the host's IPv6 address", () => {
  it.each([
    ["2001:db8:1:2::", "2001:db8:1:2::1"],
    ["2001:db8:1:2::/64", "2001:db8:1:2::1"],
    ["2001:db8::1", "2001:db8::1"],
    ["2a01:4f8:c17:abcd::", "2a01:4f8:c17:abcd::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0000", "2001:db8:0:0:1::"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
  ])("%s -> %s", (given, expected) => {
    expect(hostIpv6(given)).toBe(expected);
  });

  it("rejects what is not an IPv6 address", () => {
    expect(() => hostIpv6("203.0.113.10")).toThrow();
    expect(() => hostIpv6("2001:db8::1::2")).toThrow();
  });
});

describe("the records as a zone file", () => {
  const dir = mkdtempSync(join(tmpdir(), "coop-zone-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const withNamedCheckzone = withTool("named-checkzone", "bind9-utils");

  const check = (zone: string, text: string) => {
    const file = join(dir, `${zone}.zone`);
    // A standalone zone needs SOA and NS, which the DNS provider adds in real life.
    writeFileSync(
      file,
      text.replace(/^(\$TTL \d+\n)/m, `$1@ IN SOA ns1 hostmaster 1 7200 3600 1209600 3600\n@ IN NS ns1\nns1 IN A 192.0.2.53\n`),
    );
    return execFileSync(
      "named-checkzone",
      ["-k", "fail", "-n", "fail", "-m", "fail", "-M", "fail", "-S", "fail", "-i", "local", "-D", "-o", "-", zone, file],
      { encoding: "utf8" },
    );
  };

  withNamedCheckzone("passes named-checkzone, and BIND reads the DKIM key back unchanged from ≤255-byte strings", () => {
    const canonical = check("example.coop", renderZoneFile(records, { origin: "example.coop", ttl: 3600 }));
    const dkimLine = canonical.split("\n").find((l) => l.startsWith("mail._domainkey.example.coop."));
    expect(dkimLine).toBeDefined();
    const strings = [...dkimLine!.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    expect(strings.length).toBeGreaterThan(1);
    for (const s of strings) expect(s.length).toBeLessThanOrEqual(255);
    expect(strings.join("")).toBe(DKIM);
    for (const rr of ["MX\t10 mail.example.coop.", "SRV\t0 1 465 mail.example.coop.", 'CAA\t0 issue "letsencrypt.org"']) {
      expect(canonical).toContain(rr);
    }
  });

  withNamedCheckzone("passes named-checkzone for a stack without mail, and with enforcing policies and a relay", () => {
    const social = dnsRecords({ domain: "example.coop", ownsZone: false, webHosts: ["social"], ipv6: true }, { ipv4: IPV4, ipv6: IPV6 });
    check("example.coop", renderZoneFile(social, { origin: "example.coop", ttl: 300 }));
    const strict = dnsRecords(
      { ...allInOne, mail: { hostLabel: "mail", spfIncludes: ["spf.relay.example"], policy: "reject" } },
      { ipv4: IPV4, ipv6: IPV6, dkim: txtValue(DKIM) },
    );
    const canonical = check("example.coop", renderZoneFile(strict, { origin: "example.coop", ttl: 3600 }));
    expect(canonical).toContain('"v=spf1 mx include:spf.relay.example -all"');
  });

  withNamedCheckzone("fails named-checkzone when a record is broken (the check can fail)", () => {
    const broken: RecordSet[] = [...records, { name: "@", type: "MX", values: ["10 nowhere.example.coop."], purpose: "broken" }];
    expect(() => check("example.coop", renderZoneFile(broken, { origin: "example.coop", ttl: 3600 }))).toThrow();
  });
});
