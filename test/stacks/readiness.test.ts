/**
 * The readiness check's decisions (stacks/readiness.ts): what cannot work on a real deploy,
 * found from the values themselves, each with its fix — and nothing flagged in a real fork.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePublicKeyLine } from "../../kernel/ssh-keys";
import type { YamlEdit } from "../../kernel/yaml-file";
import { loadStackSpec } from "../../stacks/load";
import {
  checkReadiness,
  type DnsObservation,
  EXAMPLE_KEY_FINGERPRINTS,
  HETZNER_NAMESERVERS,
  placeholderDomainReason,
  type ReadinessInput,
  renderReadiness,
} from "../../stacks/readiness";
import { fixturePublicKey, nodeKey } from "../helpers/governance";
import { REPO_ROOT } from "../helpers/repo";

const ada = nodeKey("ada@river.coop").line;
const grace = nodeKey("grace@river.coop").line;

/** The example made real: what a fork that ran `coop init` and filled in its relay has. */
const REAL: YamlEdit[] = [
  { path: ["domain"], value: "river.coop" },
  { path: ["host", "sshSources"], value: ["20.1.2.0/24", "2a01:4f8:1234::/48"] },
  {
    path: ["host", "admins"],
    value: [
      { name: "ada", sshPublicKey: ada },
      { name: "grace", sshPublicKey: grace },
    ],
  },
  { path: ["services", "mail", "relay", "host"], value: "smtp.relay-provider.eu" },
  { path: ["services", "mail", "relay", "spfInclude"], value: "spf.relay-provider.eu" },
];

const input = (edits: YamlEdit[], over: Partial<ReadinessInput> = {}): ReadinessInput => ({
  stack: "prod",
  specFile: "stacks/prod.yaml",
  spec: loadStackSpec(REPO_ROOT, "example", edits).spec,
  project: "coop-infra",
  config: { file: "Pulumi.prod.yaml", exists: true, keys: { "coop-infra:mailRelayPassword": "secure" } },
  ...over,
});
const ids = (i: ReadinessInput) => checkReadiness(i).map((f) => `${f.id} ${f.field ?? ""}`.trim());

describe("readiness", () => {
  it("finds nothing in a real fork's stack", () => {
    expect(checkReadiness(input(REAL))).toEqual([]);
  });

  it("finds every example value in the bundled example, each an error with its place and fix", () => {
    const lines: Record<string, number> = { domain: 15, "host.sshSources[0]": 26 };
    const findings = checkReadiness(
      input([], {
        config: { file: "Pulumi.prod.yaml", exists: false },
        lineOf: (p) =>
          lines[
            p
              .map((s) => (typeof s === "number" ? `[${s}]` : `.${String(s)}`))
              .join("")
              .replace(/^\./, "")
          ],
      }),
    );
    expect(findings.map((f) => `${f.level} ${f.id} ${f.field}`)).toEqual([
      "error ssh-source-reserved host.sshSources[0]",
      "error ssh-source-reserved host.sshSources[1]",
      "error example-domain domain",
      "error example-admin-key host.admins[0].sshPublicKey",
      "error example-admin-key host.admins[1].sshPublicKey",
      "error relay-placeholder services.mail.relay.host",
      "error relay-placeholder services.mail.relay.spfInclude",
      "error secret-missing coop-infra:mailRelayPassword",
    ]);
    const [source] = findings;
    expect(source).toMatchObject({ file: "stacks/prod.yaml", line: 26 });
    expect(source.message).toBe(
      "198.51.100.0/24 is a documentation range (RFC 5737): nobody connects from it, so no admin could reach SSH on the server",
    );
    expect(source.fix).toContain("replace it in stacks/prod.yaml:26 with your admins' public network");
    expect(source.fix).toContain("`npx coop propose --stack prod --post`");
    expect(findings[1].message).toMatch(/^2001:db8:1234::\/48 is a documentation range \(RFC 3849\)/);
    expect(findings[3].message).toContain("SHA256:fX4NDtg3bJ8O1lx5E5t3RjmWso4qLRiQdXEIrIAzvJ0");
    expect(findings[7].fix).toBe(
      "`pulumi stack init prod` (once), then `pulumi config set --secret coop-infra:mailRelayPassword --stack prod`, and commit Pulumi.prod.yaml",
    );
  });

  it("knows every key whose private half the repository publishes", () => {
    const dir = join(REPO_ROOT, "test", "fixtures", "keys");
    const pubs = readdirSync(dir).filter((f) => f.endsWith(".pub"));
    expect(pubs.length).toBeGreaterThan(0);
    for (const f of pubs) {
      const key = parsePublicKeyLine(readFileSync(join(dir, f), "utf8"));
      expect(EXAMPLE_KEY_FINGERPRINTS[key.fingerprint], f).toBeDefined();
    }
  });

  it("flags SSH sources no one connects from, and not the networks that merely contain them", () => {
    const sources = (list: string[]) => ids(input([...REAL, { path: ["host", "sshSources"], value: list }]));
    expect(
      sources(["192.0.2.7/32", "203.0.113.0/24", "3fff:12::/32", "10.0.0.0/8", "192.168.1.0/24", "fd00::/8", "100.64.0.1/32"]),
    ).toEqual(Array.from({ length: 7 }, (_, i) => `ssh-source-reserved host.sshSources[${i}]`));
    expect(sources(["192.0.0.0/16", "20.1.2.3/32", "2a01:4f8::/32"])).toEqual([]);
    const [priv] = checkReadiness(input([...REAL, { path: ["host", "sshSources"], value: ["172.16.4.0/24"] }]));
    expect(priv.message).toBe(
      "172.16.4.0/24 is in private networks (RFC 1918): the server sees your network's public address, never this one, so no admin could reach SSH",
    );
  });

  it("names reserved and example domains, and lets real ones be", () => {
    expect(placeholderDomainReason("example.coop")).toBe("the bundled example's domain");
    expect(placeholderDomainReason("social.example.coop")).toBe("the bundled example's domain");
    expect(placeholderDomainReason("smtp.relay.example")).toMatch(/under \.example, reserved .* \(RFC 6761\)/);
    expect(placeholderDomainReason("coop.test")).toMatch(/under \.test/);
    expect(placeholderDomainReason("mail.example.org")).toMatch(/under example\.org, reserved for documentation \(RFC 2606\)/);
    for (const real of ["river.coop", "example-coop.de", "examples.org", "coop.example.coop.de"])
      expect(placeholderDomainReason(real), real).toBeUndefined();
    expect(ids(input([...REAL, { path: ["domain"], value: "river.test" }]))).toEqual(["example-domain domain"]);
  });

  it("an admin key that does not decode stops at the spec already; the example keys are found however they are commented", () => {
    const broken = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom ada@laptop";
    const admins = (a: string, g: string) => ({
      path: ["host", "admins"],
      value: [
        { name: "ada", sshPublicKey: a },
        { name: "grace", sshPublicKey: g },
      ],
    });
    // One key reader for the spec, members.yaml and authorized_keys: the spec refuses it before any check runs.
    expect(() => input([...REAL, admins(broken, grace)])).toThrow(
      /host\.admins\[0\]\.sshPublicKey: the key cannot be used: the base64 part of the key is cut short/,
    );
    const renamed = fixturePublicKey("grace").replace("grace@example.coop", "grace@river.coop");
    expect(ids(input([...REAL, admins(ada, renamed)]))).toEqual(["example-admin-key host.admins[1].sshPublicKey"]);
  });

  it("asks for the relay password only when the spec relays mail, and never accepts it in plain text", () => {
    const noRelay = [
      ...REAL,
      { path: ["services", "mail", "relay", "host"], value: null },
      { path: ["services", "mail", "relay", "spfInclude"], value: null },
    ];
    expect(ids(input(noRelay, { config: { file: "Pulumi.prod.yaml", exists: true, keys: {} } }))).toEqual([]);
    expect(ids(input(REAL, { config: { file: "Pulumi.prod.yaml", exists: true, keys: {} } }))).toEqual([
      "secret-missing coop-infra:mailRelayPassword",
    ]);
    const [plain] = checkReadiness(
      input(REAL, { config: { file: "Pulumi.prod.yaml", exists: true, keys: { "coop-infra:mailRelayPassword": "plain" } } }),
    );
    expect(plain.id).toBe("secret-plaintext");
    expect(plain.fix).toMatch(/^change it where it was issued .*`pulumi config set --secret coop-infra:mailRelayPassword --stack prod`/);
    // The key lives in the project's namespace: a fork that renamed the project needs its own.
    expect(ids(input(REAL, { project: "river-infra" }))).toEqual(["secret-missing river-infra:mailRelayPassword"]);
  });

  it("finds members who still sign with the example keys", () => {
    const members = {
      file: "governance/members.yaml",
      members: [
        { name: "ada", sshKeys: [ada], line: 13 },
        { name: "grace", sshKeys: [grace, fixturePublicKey("grace")], line: 19 },
      ],
    };
    const findings = checkReadiness(input(REAL, { members }));
    expect(findings.map((f) => `${f.id} ${f.file}:${f.line} ${f.field}`)).toEqual([
      "example-member-key governance/members.yaml:19 members.grace",
    ]);
    expect(findings[0].message).toMatch(/anyone could sign decisions as grace/);
  });

  describe("DNS", () => {
    const dns = (observed: DnsObservation, edits: YamlEdit[] = []) => checkReadiness(input([...REAL, ...edits], { dns: observed }));

    it("is fine when Hetzner DNS serves the domain", () => {
      expect(dns({ kind: "ns", servers: HETZNER_NAMESERVERS.map((s) => `${s.toUpperCase()}.`) })).toEqual([]);
    });

    it("warns while the domain is delegated elsewhere, or not at all, with the name servers to set", () => {
      const [elsewhere] = dns({ kind: "ns", servers: ["ns1.registrar.eu", "ns2.registrar.eu"] });
      expect(elsewhere).toMatchObject({ id: "dns-not-delegated", level: "warning", file: "DNS", field: "river.coop" });
      expect(elsewhere.message).toMatch(/^river\.coop is served by ns1\.registrar\.eu, ns2\.registrar\.eu, not by Hetzner DNS/);
      expect(elsewhere.fix).toBe(
        "at your registrar, set the name servers of river.coop to hydrogen.ns.hetzner.com, oxygen.ns.hetzner.com, helium.ns.hetzner.de (after the first deploy `pulumi stack output dnsNameservers --stack prod` lists them)",
      );
      expect(dns({ kind: "no-ns" }).map((f) => `${f.level} ${f.id}`)).toEqual(["warning dns-not-delegated"]);
    });

    it("stops a domain that does not exist; only warns when DNS could not be asked", () => {
      expect(dns({ kind: "missing" }).map((f) => `${f.level} ${f.id}`)).toEqual(["error dns-domain-missing"]);
      const [unknown] = dns({ kind: "unknown", reason: "no answer within 5 s" });
      expect(unknown).toMatchObject({ level: "warning", id: "dns-unchecked" });
      expect(unknown.message).toBe("could not look up the name servers of river.coop: no answer within 5 s");
    });

    it("with manual DNS, any name servers will do", () => {
      expect(dns({ kind: "ns", servers: ["ns1.registrar.eu"] }, [{ path: ["dns", "provider"], value: "manual" }])).toEqual([]);
    });
  });

  it("renders the verdict, then each finding with its fix", () => {
    const findings = checkReadiness(input([...REAL, { path: ["domain"], value: "example.coop" }], { dns: { kind: "no-ns" } }));
    expect(renderReadiness("prod", findings, false).split("\n")[0]).toBe("Stack prod is NOT ready for a real deploy: 1 problem.");
    const warned = checkReadiness(input(REAL, { dns: { kind: "no-ns" } }));
    const text = renderReadiness("prod", warned, false);
    expect(text.split("\n")[0]).toBe("Stack prod is ready for a real deploy (1 warning).");
    expect(text).toContain("\nwarning: DNS river.coop: river.coop has no name servers of its own");
    expect(text).toContain("\n  fix: at your registrar, set the name servers of river.coop to");
    expect(renderReadiness("prod", [], true)).toBe(
      "Stack prod is ready for a real deploy.\n\nDNS was not checked; `npx coop doctor --stack prod --online` also asks whether the domain is delegated.",
    );
  });
});
