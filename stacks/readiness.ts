/**
 * Readiness for a real deploy: every value in a stack that passes the schema but cannot work on
 * a real Hetzner deploy — the example's documentation addresses, keys and domain, the relay
 * placeholder, a secret nobody set, a domain that does not resolve — each with the command or
 * edit that fixes it.
 *
 * Pure: the caller reads the files and asks DNS (cli/readiness/), this module decides. `coop
 * doctor` prints the result; `coop init` ends with the same checklist.
 */
import { specialRangeOf } from "../kernel/address-ranges";
import { KeyParseError, parsePublicKeyLine } from "../kernel/ssh-keys";
import type { StackSpec } from "./schema";
import { SECRET_CONFIG_KEYS } from "./secret-keys";

export type FindingLevel = "error" | "warning";

export interface Finding {
  /** Stable identifier of the kind of finding, for scripts (e.g. ssh-source-reserved). */
  readonly id: string;
  /** error: the deploy cannot work as it stands; warning: it can, but something will not work yet. */
  readonly level: FindingLevel;
  /** Repository-relative file the value lives in (or "DNS" for what the internet says). */
  readonly file: string;
  readonly line?: number;
  /** Dotted path of the value in the file, e.g. host.sshSources[0]. */
  readonly field?: string;
  readonly message: string;
  /** What to do: the exact command where one fixes it, else the edit. */
  readonly fix: string;
}

/** What the stack's Pulumi config file holds, by key: encrypted or plain. Values are never read into it. */
export type StackConfig =
  | { readonly file: string; readonly exists: false }
  | { readonly file: string; readonly exists: true; readonly keys: Readonly<Record<string, "secure" | "plain">> };

export interface MemberKeys {
  readonly file: string;
  readonly members: ReadonlyArray<{ readonly name: string; readonly sshKeys: readonly string[]; readonly line?: number }>;
}

/** The domain's name servers as a resolver saw them (`coop doctor --online`). */
export type DnsObservation =
  | { readonly kind: "ns"; readonly servers: readonly string[] }
  /** NXDOMAIN: the name does not exist. */
  | { readonly kind: "missing" }
  /** The name exists but has no NS records of its own. */
  | { readonly kind: "no-ns" }
  | { readonly kind: "unknown"; readonly reason: string };

export interface ReadinessInput {
  readonly stack: string;
  /** Repository-relative path of the spec, e.g. stacks/prod.yaml. */
  readonly specFile: string;
  readonly spec: StackSpec;
  /** Line of a field in the spec file, when known. */
  readonly lineOf?: (path: PropertyKey[]) => number | undefined;
  /** The Pulumi project name: config keys live in its namespace. */
  readonly project: string;
  readonly config: StackConfig;
  readonly members?: MemberKeys;
  /** Absent: DNS was not checked (offline). */
  readonly dns?: DnsObservation;
}

/**
 * The example co-op's SSH keys (stacks/example.yaml, governance/members.yaml). Their private
 * halves are published with the repository (test/fixtures/keys), so anyone could log in or sign
 * with them. SHA256 fingerprints as `ssh-keygen -l` prints them.
 */
export const EXAMPLE_KEY_FINGERPRINTS: Readonly<Record<string, string>> = {
  "SHA256:fX4NDtg3bJ8O1lx5E5t3RjmWso4qLRiQdXEIrIAzvJ0": "ada@example.coop",
  "SHA256:7EwgA4HVNQXyW7DiqbeOMDS4ZruMwANZ6zmYV71ct6g": "grace@example.coop",
};

/** The bundled example's own domain. */
export const EXAMPLE_DOMAIN = "example.coop";

/**
 * Names reserved so they never exist on the internet: the special-use top-level names of RFC 6761
 * (example, test, invalid, localhost) and the example second-level domains of RFC 2606.
 */
const RESERVED_TLDS = ["example", "test", "invalid", "localhost"];
const RESERVED_DOMAINS = ["example.com", "example.net", "example.org"];

/**
 * Hetzner DNS's authoritative name servers, as Hetzner's DNS documentation lists them for a zone
 * (docs.hetzner.cloud, DNS zones: the zone file example's NS records).
 */
export const HETZNER_NAMESERVERS: readonly string[] = ["hydrogen.ns.hetzner.com", "oxygen.ns.hetzner.com", "helium.ns.hetzner.de"];

/** Why `name` cannot be a real domain (or host) on the internet, or undefined when it can. */
export function placeholderDomainReason(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, "");
  const within = (d: string) => n === d || n.endsWith(`.${d}`);
  if (within(EXAMPLE_DOMAIN)) return "the bundled example's domain";
  const tld = n.slice(n.lastIndexOf(".") + 1);
  if (RESERVED_TLDS.includes(tld)) return `a name under .${tld}, reserved so that it never exists on the internet (RFC 6761)`;
  const reserved = RESERVED_DOMAINS.find(within);
  if (reserved) return `a name under ${reserved}, reserved for documentation (RFC 2606)`;
  return undefined;
}

const fmtPath = (path: readonly PropertyKey[]) =>
  path.reduce<string>((out, seg) => (typeof seg === "number" ? `${out}[${seg}]` : out ? `${out}.${String(seg)}` : String(seg)), "");

export function checkReadiness(input: ReadinessInput): Finding[] {
  const { stack, spec, specFile } = input;
  const findings: Finding[] = [];
  const inSpec = (path: PropertyKey[]) => ({ file: specFile, line: input.lineOf?.(path), field: fmtPath(path) });
  const where = (path: PropertyKey[]) => {
    const line = input.lineOf?.(path);
    return line ? `${specFile}:${line}` : specFile;
  };
  const vote = `then \`npx coop plan --stack ${stack}\` and put the change to a vote: \`npx coop propose --stack ${stack} --post\``;

  if (spec.host.target === "hetzner") {
    spec.host.sshSources.forEach((source, i) => {
      const r = specialRangeOf(source);
      if (!r) return;
      const path = ["host", "sshSources", i];
      findings.push({
        id: "ssh-source-reserved",
        level: "error",
        ...inSpec(path),
        message: r.documentation
          ? `${source} is a documentation range (${r.source}): nobody connects from it, so no admin could reach SSH on the server`
          : `${source} is in ${r.purpose} (${r.source}): the server sees your network's public address, never this one, so no admin could reach SSH`,
        fix: `replace it in ${where(path)} with your admins' public network (your address now: \`curl -4 https://api.ipify.org\`, as /32), ${vote}`,
      });
    });

    const domainWhy = placeholderDomainReason(spec.domain);
    if (domainWhy) {
      findings.push({
        id: "example-domain",
        level: "error",
        ...inSpec(["domain"]),
        message: `the domain ${spec.domain} is ${domainWhy}: no certificate, mail or federation can work under it`,
        fix: `set the co-op's own domain in ${where(["domain"])} (a fresh fork: \`npx coop init --name "<name>" --domain <your-domain> --member <you>:admin+tech:~/.ssh/id_ed25519.pub\` sets it in every stack), ${vote}`,
      });
    }

    spec.host.admins.forEach((admin, i) => {
      const path = ["host", "admins", i, "sshPublicKey"];
      let fingerprint: string;
      try {
        fingerprint = parsePublicKeyLine(admin.sshPublicKey).fingerprint;
      } catch (e) {
        findings.push({
          id: "admin-key-invalid",
          level: "error",
          ...inSpec(path),
          message: `admin ${admin.name}'s key is not a usable OpenSSH public key (${e instanceof KeyParseError ? e.message : "it does not decode"}), so cloud-init would not let them in`,
          fix: `paste the whole line of their public key file (\`cat ~/.ssh/id_ed25519.pub\`) into ${where(path)}, ${vote}`,
        });
        return;
      }
      const example = EXAMPLE_KEY_FINGERPRINTS[fingerprint];
      if (example) {
        findings.push({
          id: "example-admin-key",
          level: "error",
          ...inSpec(path),
          message: `admin ${admin.name} has the example key ${example} (${fingerprint}), whose private half is published in test/fixtures/keys: anyone could log in to the server`,
          fix: `put ${admin.name}'s own public key (\`cat ~/.ssh/id_ed25519.pub\`) in ${where(path)}, ${vote}`,
        });
      }
    });
  }

  const relay = spec.services.mail.enabled ? spec.services.mail.relay : undefined;
  if (relay) {
    for (const [key, value, what] of [
      ["host", relay.host, "relay host"],
      ["spfInclude", relay.spfInclude, "SPF include"],
    ] as const) {
      const why = value === null ? undefined : placeholderDomainReason(value);
      if (!why) continue;
      const path = ["services", "mail", "relay", key];
      findings.push({
        id: "relay-placeholder",
        level: "error",
        ...inSpec(path),
        message: `the ${what} ${value} is a placeholder, ${why}: outgoing mail would never leave the server`,
        fix: `set services.mail.relay (host, username, spfInclude) in ${where(path)} to your relay provider's values, ${vote}`,
      });
    }
  }

  for (const k of SECRET_CONFIG_KEYS) {
    if (!k.neededBy(spec)) continue;
    const key = `${input.project}:${k.key}`;
    const set = `pulumi config set --secret ${key} --stack ${stack}`;
    const state = input.config.exists ? input.config.keys[key] : undefined;
    if (state === "secure") continue;
    findings.push(
      state === "plain"
        ? {
            id: "secret-plaintext",
            level: "error",
            file: input.config.file,
            field: key,
            message: `stored in plain text, and so in the repository's history: ${k.description}`,
            fix: `change it where it was issued (the old value is public now), then \`${set}\` (it replaces the plain entry) and commit ${input.config.file}`,
          }
        : {
            id: "secret-missing",
            level: "error",
            file: input.config.file,
            field: key,
            message: `not set${input.config.exists ? "" : ` (${input.config.file} does not exist yet)`}, but this spec needs it: ${k.description}`,
            fix: `${input.config.exists ? "" : `\`pulumi stack init ${stack}\` (once), then `}\`${set}\`, and commit ${input.config.file}`,
          },
    );
  }

  if (input.members) {
    const { file } = input.members;
    for (const m of input.members.members) {
      for (const line of m.sshKeys) {
        let fingerprint: string;
        try {
          fingerprint = parsePublicKeyLine(line).fingerprint;
        } catch {
          continue; // `coop verify` reports keys that do not parse, with their place
        }
        const example = EXAMPLE_KEY_FINGERPRINTS[fingerprint];
        if (!example) continue;
        findings.push({
          id: "example-member-key",
          level: "error",
          file,
          line: m.line,
          field: `members.${m.name}`,
          message: `member ${m.name} signs with the example key ${example} (${fingerprint}), whose private half is published: anyone could sign decisions as ${m.name}`,
          fix: `a fresh fork: \`npx coop init --name "<name>" --domain <your-domain> --member <you>:admin+tech:~/.ssh/id_ed25519.pub\` replaces the example's members; otherwise replace the key in ${file} as your general assembly decided`,
        });
      }
    }
  }

  if (input.dns && spec.host.target === "hetzner" && !placeholderDomainReason(spec.domain)) {
    findings.push(...dnsFindings(stack, spec, input.dns));
  }
  return findings;
}

function dnsFindings(stack: string, spec: StackSpec, dns: DnsObservation): Finding[] {
  const domain = spec.domain;
  const hetzner = spec.dns.provider === "hetzner";
  const delegate = hetzner
    ? `at your registrar, set the name servers of ${domain} to ${HETZNER_NAMESERVERS.join(", ")} (after the first deploy \`pulumi stack output dnsNameservers --stack ${spec.dns.manageZone ? stack : "<the stack that manages the zone>"}\` lists them)`
    : `publish the records \`npx coop dns --stack ${stack}\` prints at your DNS provider`;
  switch (dns.kind) {
    case "missing":
      return [
        {
          id: "dns-domain-missing",
          level: "error",
          file: "DNS",
          field: domain,
          message: `${domain} does not exist in DNS: it is not registered, or its registration lapsed`,
          fix: `register ${domain} at a registrar (or correct the domain in stacks/${stack}.yaml), then ${delegate}`,
        },
      ];
    case "unknown":
      return [
        {
          id: "dns-unchecked",
          level: "warning",
          file: "DNS",
          field: domain,
          message: `could not look up the name servers of ${domain}: ${dns.reason}`,
          fix: `try again (\`npx coop doctor --stack ${stack} --online\`), or ask another resolver with --resolver 9.9.9.9`,
        },
      ];
    case "no-ns":
      return hetzner
        ? [
            {
              id: "dns-not-delegated",
              level: "warning",
              file: "DNS",
              field: domain,
              message: `${domain} has no name servers of its own, so the zone Hetzner DNS serves for it is not used: certificates and mail will not work until it is delegated`,
              fix: delegate,
            },
          ]
        : [];
    case "ns": {
      if (!hetzner) return [];
      const norm = (s: string) => s.toLowerCase().replace(/\.$/, "");
      const servers = dns.servers.map(norm);
      const expected = new Set(HETZNER_NAMESERVERS);
      if (servers.length > 0 && servers.every((s) => expected.has(s))) return [];
      return [
        {
          id: "dns-not-delegated",
          level: "warning",
          file: "DNS",
          field: domain,
          message: `${domain} is served by ${servers.join(", ") || "no name server"}, not by Hetzner DNS: the records this stack publishes there are not seen, so certificates and mail will not work until it is delegated`,
          fix: delegate,
        },
      ];
    }
  }
}

/**
 * Findings whose value would be published in DNS records as it stands (the SPF include of the
 * relay placeholder, the example's domain): whoever copies `coop dns` output to a DNS provider
 * is told before, not after.
 */
export function publishedPlaceholders(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.id === "example-domain" || (f.id === "relay-placeholder" && f.field?.endsWith(".spfInclude")));
}

/**
 * The checklist for people: the verdict, then problems and warnings, each with its fix.
 * `dnsSkipped`: DNS could have been checked but was not (no --online).
 */
export function renderReadiness(stack: string, findings: readonly Finding[], dnsSkipped: boolean): string {
  const errors = findings.filter((f) => f.level === "error");
  const warnings = findings.filter((f) => f.level === "warning");
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const lines: string[] = [];
  lines.push(
    errors.length === 0
      ? `Stack ${stack} is ready for a real deploy${warnings.length ? ` (${plural(warnings.length, "warning")})` : ""}.`
      : `Stack ${stack} is NOT ready for a real deploy: ${plural(errors.length, "problem")}${warnings.length ? `, ${plural(warnings.length, "warning")}` : ""}.`,
  );
  for (const f of [...errors, ...warnings]) {
    const place = f.file === "DNS" ? "DNS" : `${f.file}${f.line ? `:${f.line}` : ""}`;
    lines.push("", `${f.level}: ${place}${f.field ? ` ${f.field}` : ""}: ${f.message}`, `  fix: ${f.fix}`);
  }
  if (dnsSkipped)
    lines.push("", `DNS was not checked; \`npx coop doctor --stack ${stack} --online\` also asks whether the domain is delegated.`);
  return lines.join("\n");
}
