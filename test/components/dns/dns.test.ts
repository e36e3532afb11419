import { describe, expect, it } from "vitest";
import { dnsPlanFor, reverseDnsName } from "../../../components/dns/plan";
import { dnsRecords, mtaStsPolicy, mtaStsRecord, txtValue } from "../../../components/dns/records";
import { StackSpecSchema } from "../../../stacks/schema";
import { byName, bundledSpec, governed, ofType, planSpec } from "../../helpers/program";

const RRSET = "hcloud:index/zoneRrset:ZoneRrset";
const ZONE = "hcloud:index/zone:Zone";
const RDNS = "hcloud:index/rdns:Rdns";

describe("Dns in the example stack (Hetzner DNS, under mocks)", async () => {
  const spec = bundledSpec("example");
  const { run, view } = await planSpec(spec, "example");
  const dnsUrn = byName(run.resources, "dns").urn;
  const rrsets = ofType(run.resources, RRSET);

  it("is a coop:dns:Dns component holding the zone, the record sets and reverse DNS", () => {
    expect(byName(run.resources, "dns").type).toBe("coop:dns:Dns");
    for (const r of [...rrsets, ...ofType(run.resources, ZONE), ...ofType(run.resources, RDNS)]) expect(r.parent, r.name).toBe(dnsUrn);
  });

  it("creates the zone as a primary zone, protected at Hetzner and in Pulumi", () => {
    const zone = byName(run.resources, "dns-zone");
    expect(governed(view, "dns-zone").inputs).toMatchObject({ name: "example.coop", mode: "primary", deleteProtection: true, ttl: 3600 });
    expect(zone.options.protect).toBe(true);
  });

  it("declares exactly one record set per record the plan lists, in that zone, with the spec's TTL", () => {
    const expected = dnsRecords(dnsPlanFor(spec), { ipv4: "ip4", ipv6: "ip6", dkim: "dkim" });
    expect(rrsets.map((r) => `${r.inputs.name} ${r.inputs.type}`).sort()).toEqual(expected.map((r) => `${r.name} ${r.type}`).sort());
    for (const r of rrsets) {
      const g = governed(view, r.name).inputs;
      expect(g.zone, r.name).toBe("example.coop");
      expect(g.ttl, r.name).toBe(3600);
      expect(r.options.dependencies, `${r.name} waits for the zone`).toContain(byName(run.resources, "dns-zone").urn);
    }
  });

  it("publishes the fixed mail records verbatim and the computed ones as computed", () => {
    const values = (name: string) => (governed(view, name).inputs.records as Array<{ value: string }>).map((r) => r.value);
    expect(values("dns-mx-apex")).toEqual(["10 mail.example.coop."]);
    expect(values("dns-txt-apex")).toEqual(['"v=spf1 mx include:spf.relay.example ~all"']);
    expect(values("dns-txt-_mta-sts")).toEqual([txtValue(mtaStsRecord(mtaStsPolicy("testing", ["mail.example.coop"])))]);
    expect(values("dns-caa-apex")).toEqual(['0 issue "letsencrypt.org"', '0 issuewild ";"']);
    expect(values("dns-txt-mail._domainkey")).toEqual(["<computed>"]); // the generated key
    for (const a of ["dns-a-mail", "dns-a-social", "dns-a-cloud", "dns-a-mta-sts"]) expect(values(a), a).toEqual(["<computed>"]);
  });

  it("points the host's IPv4 and IPv6 back at the mail host, by primary IP", () => {
    const ptrs = ofType(run.resources, RDNS).map((r) => governed(view, r.name).inputs);
    expect(ptrs).toHaveLength(2);
    for (const p of ptrs) expect(p).toEqual({ dnsPtr: "mail.example.coop", ipAddress: "<computed>", primaryIpId: "<computed>" });
    const ptr4 = byName(run.resources, "dns-ptr-ipv4");
    expect(ptr4.options.dependencies).toContain(byName(run.resources, "host-ipv4").urn);
  });

  it("has no record set that is not the DKIM key or an address derived from other resources", () => {
    const computed = view.resources
      .filter((r) => r.type === RRSET && JSON.stringify(r.inputs.records).includes("<computed>"))
      .map((r) => r.name);
    expect(computed.sort()).toEqual(
      [
        "dns-a-cloud",
        "dns-a-mail",
        "dns-a-mta-sts",
        "dns-a-social",
        "dns-a-status",
        "dns-aaaa-cloud",
        "dns-aaaa-mta-sts",
        "dns-aaaa-social",
        "dns-aaaa-status",
        "dns-txt-mail._domainkey",
      ].sort(),
    );
  });
});

describe("Dns with provider manual", async () => {
  const input = { ...bundledSpec("example"), dns: { ...bundledSpec("example").dns, provider: "manual" as const } };
  const { run, view } = await planSpec(StackSpecSchema.parse(input), "manual");

  it("creates no zone and no record, but still sets reverse DNS at Hetzner", () => {
    expect(ofType(run.resources, ZONE)).toEqual([]);
    expect(ofType(run.resources, RRSET)).toEqual([]);
    expect(ofType(run.resources, RDNS).map((r) => governed(view, r.name).inputs.dnsPtr)).toEqual([
      "mail.example.coop",
      "mail.example.coop",
    ]);
  });
});

describe("reverse DNS name", () => {
  it("is the mail host where mail runs, else the host's first web service", () => {
    expect(reverseDnsName(bundledSpec("example"))).toBe("mail.example.coop");
    expect(reverseDnsName(bundledSpec("split-social"))).toBe("social.example.coop");
    expect(reverseDnsName(bundledSpec("split-cloud"))).toBe("cloud.example.coop");
    expect(reverseDnsName(bundledSpec("split-mail"))).toBe("mail.example.coop");
  });
});
