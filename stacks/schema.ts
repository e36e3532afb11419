/**
 * The one schema of a stack spec (stacks/<stack>.yaml). Every field carries a description and
 * a default so editors can explain and complete it (the JSON Schema in spec.schema.json is
 * generated from this file: `npm run schema`). The few fields that name the co-op itself
 * (its domain, its admins) have no default on purpose: a default there would deploy someone
 * else's identity.
 */
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import {
  IMAGES,
  LOCATION_NAMES,
  SERVER_TYPE_NAMES,
  SERVER_TYPES,
  type ServiceName,
  memoryNeededMb,
  typesThatFit,
  usableMemoryMb,
  SERVICE_MEMORY_MB,
} from "./catalog";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
export const DOMAIN_RE = new RegExp(`^(?:${LABEL}\\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$`);
const LABEL_RE = new RegExp(`^${LABEL}$`);

const domain = z
  .string()
  .regex(DOMAIN_RE, {
    message: "expected a lower-case domain name such as example.coop (letters, digits, hyphens, dots; no scheme, no path)",
  });

const hostLabel = (def: string, what: string) =>
  z
    .string()
    .regex(LABEL_RE, { message: "expected a single DNS label such as 'social' (letters, digits, hyphens)" })
    .default(def)
    .describe(`Host name of ${what} under the co-op's domain: '${def}' serves it at ${def}.<domain>.`);

/** IPv4 or IPv6 network in CIDR notation. Validated with node's own parser in the refinement below. */
const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, { message: "expected a network in CIDR notation, e.g. 203.0.113.7/32 or 2001:db8::/48" });

const sshPublicKey = z
  .string()
  .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/, {
    message: "expected an OpenSSH public key line, e.g. 'ssh-ed25519 AAAAC3Nz… ada@laptop' (the contents of ~/.ssh/id_ed25519.pub)",
  });

const admin = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, { message: "expected a short lower-case name such as 'ada'" })
      .describe("Short name of the admin (or of the CI deploy key), used to name the key at Hetzner."),
    sshPublicKey: sshPublicKey.describe("The admin's OpenSSH public key; the matching private key can log in to the host as user 'coop'."),
  })
  .strict()
  .describe("A person or CI job that may log in to the host over SSH.");

export const HetznerHost = z
  .object({
    target: z.literal("hetzner").describe("Run on a Hetzner Cloud server created by this stack."),
    serverType: z.enum(SERVER_TYPE_NAMES).default("cx33").describe("Hetzner server type, e.g. cx33 (4 vCPU, 8 GB). It must have enough memory for the services you enable."),
    location: z.enum(LOCATION_NAMES).default("fsn1").describe("Hetzner location: fsn1 (Falkenstein), nbg1 (Nuremberg), hel1 (Helsinki), ash, hil, sin."),
    image: z.enum(IMAGES).default("debian-12").describe("Operating system image the host is installed from."),
    volumeSizeGb: z.number().int().min(10).max(10240).default(50).describe("Size of the data volume (mounted at /srv/coop) that holds every service's data, in GB."),
    sshSources: z.array(cidr).default([]).describe("Networks allowed to reach SSH (port 22): the admins' and the CI runner's addresses. Required on Hetzner."),
    sshOpenToWorld: z.boolean().default(false).describe("Set to true to allow 0.0.0.0/0 or ::/0 in sshSources (e.g. CI runners without fixed addresses). Key-only login and fail2ban still apply."),
    admins: z.array(admin).default([]).describe("Who may log in to the host. At least one is required on Hetzner."),
  })
  .strict()
  .describe("A Hetzner Cloud server with a data volume, firewall and fixed IPs.");

export const LocalHost = z
  .object({
    target: z.literal("local").describe("Run on this machine's own Docker engine; no cloud account needed."),
    dockerHost: z.string().min(1).default("unix:///var/run/docker.sock").describe("Address of the local Docker engine."),
    httpPort: z.number().int().min(1).max(65535).default(80).describe("Host port the proxy publishes for HTTP."),
    httpsPort: z.number().int().min(1).max(65535).default(443).describe("Host port the proxy publishes for HTTPS."),
  })
  .strict()
  .describe("The machine's own Docker engine, for trying the stack without an account.");

const mastodon = z
  .object({
    enabled: z.boolean().default(true).describe("Run Mastodon."),
    version: z.string().regex(/^v\d+\.\d+\.\d+$/, { message: "expected a pinned Mastodon release tag such as v4.6.3" }).default("v4.6.3").describe("Mastodon release (image tag) used by every Mastodon container."),
    hostname: hostLabel("social", "Mastodon"),
  })
  .strict()
  .describe("Mastodon, the co-op's social network server.");

const nextcloud = z
  .object({
    enabled: z.boolean().default(true).describe("Run Nextcloud."),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, { message: "expected a pinned Nextcloud release such as 34.0.2" }).default("34.0.2").describe("Nextcloud release (image tag <version>-apache). Upgrade one major version at a time."),
    hostname: hostLabel("cloud", "Nextcloud"),
    adminUser: z.string().regex(/^[a-z][a-z0-9._-]{1,63}$/).default("admin").describe("Name of the first Nextcloud admin account; its password is generated and kept as a Pulumi secret."),
  })
  .strict()
  .describe("Nextcloud, the co-op's files, calendars and contacts.");

const relay = z
  .object({
    host: z.string().regex(/^[a-z0-9.-]+$/).nullable().default(null).describe("Outbound relay (smarthost) for mail, e.g. your relay provider's submission host. Hetzner blocks outbound ports 25 and 465 on new accounts, so most co-ops need one at first."),
    port: z.number().int().min(1).max(65535).default(587).describe("Submission port of the relay (587, STARTTLS)."),
    username: z.string().default("").describe("User name at the relay. The password is set with `pulumi config set --secret coop:mailRelayPassword`."),
  })
  .strict()
  .describe("Where outgoing mail is handed over while direct delivery on port 25 is blocked.");

const mail = z
  .object({
    enabled: z.boolean().default(true).describe("Run the co-op's mail server (docker-mailserver)."),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, { message: "expected a pinned docker-mailserver release such as 15.1.0" }).default("15.1.0").describe("docker-mailserver release (image tag)."),
    hostname: hostLabel("mail", "the mail server"),
    relay: relay.prefault({}),
  })
  .strict()
  .describe("Mail for the co-op's domain: mailboxes, aliases, DKIM, and outgoing mail for Mastodon and Nextcloud.");

const mailbox = z
  .object({
    localPart: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, { message: "expected the part before the @, e.g. 'ada'" }).describe("The part of the address before the @."),
    name: z.string().min(1).describe("Who the mailbox belongs to."),
    aliases: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)).default([]).describe("Other local parts delivered to this mailbox, e.g. postmaster."),
  })
  .strict()
  .describe("A member's mailbox; its password is generated and kept as a Pulumi secret.");

const dns = z
  .object({
    provider: z.enum(["hetzner", "manual"]).default("manual").describe("'hetzner': this stack manages the zone at Hetzner DNS. 'manual': `coop dns` prints the records to paste into your DNS provider."),
    ttl: z.number().int().min(60).max(86400).default(3600).describe("Time to live of the records, in seconds."),
  })
  .strict()
  .describe("Where the domain's DNS records live.");

const backups = z
  .object({
    enabled: z.boolean().default(true).describe("Back up every service's data with restic to a Hetzner Storage Box."),
    storageBoxType: z.string().regex(/^bx\d{2}$/).default("bx11").describe("Hetzner Storage Box product (bx11 = 1 TB)."),
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "expected a time of day such as 03:30" }).default("03:30").describe("Daily backup time (host time zone, UTC)."),
    keepDaily: z.number().int().min(1).default(7).describe("Daily snapshots to keep."),
    keepWeekly: z.number().int().min(0).default(4).describe("Weekly snapshots to keep."),
    keepMonthly: z.number().int().min(0).default(6).describe("Monthly snapshots to keep."),
  })
  .strict()
  .describe("Off-site backups.");

export const StackSpecSchema = z
  .object({
    coop: z
      .object({
        name: z.string().min(1).describe("The co-op's name as members know it."),
      })
      .strict()
      .describe("Who this stack belongs to."),
    domain: domain.describe("The co-op's domain. Services live under it (social.<domain>, cloud.<domain>, mail.<domain>)."),
    host: z.discriminatedUnion("target", [HetznerHost, LocalHost]).prefault({ target: "hetzner" }).describe("Where the services run."),
    services: z
      .object({
        mastodon: mastodon.prefault({}),
        nextcloud: nextcloud.prefault({}),
        mail: mail.prefault({}),
      })
      .strict()
      .prefault({})
      .describe("Which services run, at which pinned versions."),
    mailboxes: z.array(mailbox).default([]).describe("Members' mailboxes (needs the mail service)."),
    dns: dns.prefault({}),
    backups: backups.prefault({}),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const enabled = enabledServices(spec);
    const host = spec.host;
    if (host.target === "hetzner") {
      const needed = memoryNeededMb(enabled);
      const usable = usableMemoryMb(host.serverType);
      if (needed > usable) {
        const each = enabled.map((s) => `${s} ${fmtGb(SERVICE_MEMORY_MB[s])}`).join(", ");
        const fit = typesThatFit(needed, host.location, SERVER_TYPES[host.serverType].arch).slice(0, 2);
        ctx.addIssue({
          code: "custom",
          path: ["host", "serverType"],
          message:
            `the enabled services need ${fmtGb(needed)} of memory (${each}, system and proxy ${fmtGb(SERVICE_MEMORY_MB.base)}), ` +
            `but ${host.serverType} has ${SERVER_TYPES[host.serverType].memoryGb} GB (${fmtGb(usable)} usable)`,
          params: { hint: fit.length ? `choose ${fit.join(" or ")}, or disable a service` : "disable a service or split them over several stacks" },
        });
      }
      if (!(SERVER_TYPES[host.serverType].locations as readonly string[]).includes(host.location)) {
        ctx.addIssue({
          code: "custom",
          path: ["host", "location"],
          message: `Hetzner does not sell ${host.serverType} in ${host.location}`,
          params: { hint: `use one of ${SERVER_TYPES[host.serverType].locations.join(", ")}, or a ccx type` },
        });
      }
      if (host.admins.length === 0) {
        ctx.addIssue({ code: "custom", path: ["host", "admins"], message: "a Hetzner host needs at least one admin SSH key", params: { hint: "add `- name: <you>` and `sshPublicKey: <contents of ~/.ssh/id_ed25519.pub>`" } });
      }
      if (host.sshSources.length === 0) {
        ctx.addIssue({ code: "custom", path: ["host", "sshSources"], message: "no network may reach SSH, so nobody (not even Pulumi) could manage the host", params: { hint: "list the admins' and CI's addresses, e.g. [203.0.113.7/32]" } });
      }
      host.sshSources.forEach((c, i) => {
        const problem = cidrProblem(c);
        if (problem) ctx.addIssue({ code: "custom", path: ["host", "sshSources", i], message: problem });
        else if (isWorld(c) && !host.sshOpenToWorld) {
          ctx.addIssue({ code: "custom", path: ["host", "sshSources", i], message: `${c} opens SSH to the whole internet`, params: { hint: "narrow it to your addresses, or set sshOpenToWorld: true to say you mean it" } });
        }
      });
      const names = new Set<string>();
      host.admins.forEach((a, i) => {
        if (names.has(a.name)) ctx.addIssue({ code: "custom", path: ["host", "admins", i, "name"], message: `admin '${a.name}' is listed twice` });
        names.add(a.name);
      });
      if (spec.domain.endsWith(".localhost")) {
        ctx.addIssue({ code: "custom", path: ["domain"], message: "a .localhost domain cannot be reached on a Hetzner host", params: { hint: "use the co-op's real domain, or host.target: local" } });
      }
    }
    if (enabled.length === 0) {
      ctx.addIssue({ code: "custom", path: ["services"], message: "no service is enabled", params: { hint: "set enabled: true on mastodon, nextcloud or mail" } });
    }
    const hostnames = new Map<string, string>();
    for (const s of enabled) {
      const h = spec.services[s].hostname;
      const other = hostnames.get(h);
      if (other) ctx.addIssue({ code: "custom", path: ["services", s, "hostname"], message: `${s} and ${other} both use the host name '${h}'` });
      hostnames.set(h, s);
    }
    if (spec.mailboxes.length > 0 && !spec.services.mail.enabled) {
      ctx.addIssue({ code: "custom", path: ["mailboxes"], message: "mailboxes need the mail service", params: { hint: "set services.mail.enabled: true, or remove the mailboxes" } });
    }
    const addresses = new Map<string, number>();
    spec.mailboxes.forEach((m, i) => {
      for (const [j, lp] of [m.localPart, ...m.aliases].entries()) {
        const seen = addresses.get(lp);
        if (seen !== undefined) {
          ctx.addIssue({ code: "custom", path: j === 0 ? ["mailboxes", i, "localPart"] : ["mailboxes", i, "aliases", j - 1], message: `${lp}@${spec.domain} is already used by mailbox ${seen + 1}` });
        }
        addresses.set(lp, i);
      }
    });
  });

export type StackSpec = z.output<typeof StackSpecSchema>;
export type StackSpecInput = z.input<typeof StackSpecSchema>;
export type HetznerHostSpec = z.output<typeof HetznerHost>;
export type LocalHostSpec = z.output<typeof LocalHost>;

export function enabledServices(spec: Pick<StackSpec, "services">): ServiceName[] {
  return (["mastodon", "nextcloud", "mail"] as const).filter((s) => spec.services[s].enabled);
}

/** Fully qualified host name of a service, e.g. social.example.coop. */
export function serviceFqdn(spec: Pick<StackSpec, "services" | "domain">, service: ServiceName): string {
  return `${spec.services[service].hostname}.${spec.domain}`;
}

function fmtGb(mb: number): string {
  return `${(mb / 1024).toFixed(mb % 1024 === 0 ? 0 : 1)} GB`;
}

function isWorld(c: string): boolean {
  return c === "0.0.0.0/0" || c === "::/0";
}

function cidrProblem(c: string): string | undefined {
  const [addr, bitsText] = c.split("/");
  const bits = Number(bitsText);
  if (isIPv4(addr) && bits <= 32) return undefined;
  if (isIPv6(addr) && bits <= 128) return undefined;
  return `'${c}' is not a valid IPv4 or IPv6 network`;
}
