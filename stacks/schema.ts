/**
 * The one schema of a stack spec (stacks/<stack>.yaml). Every field carries a description and
 * a default so editors can explain and complete it (the JSON Schema in spec.schema.json is
 * generated from this file: `npm run schema`). The few fields that name the co-op itself
 * (its domain, its admins) have no default on purpose: a default there would deploy someone
 * else's identity.
 */
import { z } from "zod";
import { parseIpNetwork } from "../kernel/networks";
import { sshPublicKeyLine } from "../kernel/ssh-keys";
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
import { STORAGE_BOX_LOCATIONS, STORAGE_BOX_TYPE_NAMES, STORAGE_BOX_TYPES } from "./storage-boxes";
import { SHORT_NAME_RE } from "../kernel/names";
import { FederationSchema } from "./federation";
import { growthIssues, ObjectStorageSchema, PlacementSchema } from "./growth";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
/** The longest co-op name: what members call it, never a paragraph. */
export const COOP_NAME_MAX = 100;
/** RFC 8461: receivers fetch the MTA-STS policy from this host under the domain. */
export const MTA_STS_LABEL = "mta-sts";
const SERVICE_HOSTNAME_DEFAULTS = { mastodon: "social", nextcloud: "cloud", mail: "mail" } as const;
export const DOMAIN_RE = new RegExp(`^(?:${LABEL}\\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$`);
const LABEL_RE = new RegExp(`^${LABEL}$`);

const domain = z.string().regex(DOMAIN_RE, {
  message: "expected a lower-case domain name such as example.coop (letters, digits, hyphens, dots; no scheme, no path)",
});

const hostLabel = (def: string, what: string) =>
  z
    .string()
    .regex(LABEL_RE, { message: "expected a single DNS label such as 'social' (letters, digits, hyphens)" })
    .default(def)
    .describe(`Host name of ${what} under the co-op's domain: '${def}' serves it at ${def}.<domain>.`);

/** IPv4 or IPv6 network in CIDR notation. Validated with the kernel's network reader in the refinement below. */
const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, { message: "expected a network in CIDR notation, e.g. 203.0.113.7/32 or 2001:db8::/48" });

const admin = z
  .object({
    name: z
      .string()
      .regex(SHORT_NAME_RE, { message: "expected a short lower-case name such as 'ada'" })
      .describe("Short name of the admin (or of the CI deploy key), used to name the key at Hetzner."),
    sshPublicKey: sshPublicKeyLine.describe(
      "The admin's OpenSSH public key; the matching private key can log in to the host as user 'coop'.",
    ),
  })
  .strict()
  .describe("A person or CI job that may log in to the host over SSH.");

export const HetznerHost = z
  .object({
    target: z.literal("hetzner").describe("Run on a Hetzner Cloud server created by this stack."),
    serverType: z
      .enum(SERVER_TYPE_NAMES)
      .default("cx33")
      .describe("Hetzner server type, e.g. cx33 (4 vCPU, 8 GB). It must have enough memory for the services you enable."),
    location: z
      .enum(LOCATION_NAMES)
      .default("fsn1")
      .describe("Hetzner location: fsn1 (Falkenstein), nbg1 (Nuremberg), hel1 (Helsinki), ash, hil, sin."),
    image: z.enum(IMAGES).default("debian-12").describe("Operating system image the host is installed from."),
    volumeSizeGb: z
      .number()
      .int()
      .min(10)
      .max(10240)
      .default(50)
      .describe("Size of the data volume (mounted at /srv/coop) that holds every service's data, in GB."),
    sshSources: z
      .array(cidr)
      .default([])
      .describe("Networks allowed to reach SSH (port 22): the admins' and the CI runner's addresses. Required on Hetzner."),
    sshOpenToWorld: z
      .boolean()
      .default(false)
      .describe(
        "Set to true to allow 0.0.0.0/0 or ::/0 in sshSources (e.g. CI runners without fixed addresses). Key-only login and fail2ban still apply.",
      ),
    admins: z
      .array(admin)
      .default([])
      .describe(
        "Who may log in to the host (as user 'coop'). At least one is required on Hetzner. The keys are not uploaded to Hetzner (a project refuses the same key twice, so stacks sharing a project could not list the same admins): cloud-init authorizes them on a new server, and every `pulumi up` rewrites the host's authorized_keys from this list, so adding, removing or rotating a key is an ordinary update, never a server rebuild. Add a new key in one deploy and remove the old one in the next. Hetzner e-mails a root password for a server created without a Hetzner key; root and password logins are disabled on the host.",
      ),
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

/** Postgres major of a service's own database. A major upgrade is a dump and restore, never an edit alone. */
const postgresMajor = (service: string) =>
  z
    .literal([17, 18], { message: "expected the Postgres major version 17 or 18" })
    .default(18)
    .describe(
      `Postgres major version of ${service}'s database. Set once; changing it starts an empty database on a new volume (the old one is kept): follow the upgrade runbook to move the data.`,
    );

const mastodon = z
  .object({
    enabled: z.boolean().default(true).describe("Run Mastodon."),
    version: z
      .string()
      .regex(/^v\d{1,3}\.\d{1,3}\.\d{1,3}$/, { message: "expected a pinned Mastodon release tag such as v4.6.3" })
      .default("v4.6.3")
      .describe("Mastodon release (image tag) used by every Mastodon container."),
    hostname: hostLabel("social", "Mastodon"),
    postgresMajor: postgresMajor("Mastodon"),
    federation: FederationSchema.prefault({}),
  })
  .strict()
  .describe("Mastodon, the co-op's social network server.");

const nextcloud = z
  .object({
    enabled: z.boolean().default(true).describe("Run Nextcloud."),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, { message: "expected a pinned Nextcloud release such as 34.0.2" })
      .default("34.0.2")
      .describe("Nextcloud release (image tag <version>-apache). Upgrade one major version at a time."),
    hostname: hostLabel("cloud", "Nextcloud"),
    adminUser: z
      .string()
      .regex(/^[a-z][a-z0-9._-]{1,63}$/)
      .default("admin")
      .describe("Name of the first Nextcloud admin account; its password is generated and kept as a Pulumi secret."),
    postgresMajor: postgresMajor("Nextcloud"),
  })
  .strict()
  .describe("Nextcloud, the co-op's files, calendars and contacts.");

const relay = z
  .object({
    host: z
      .string()
      .regex(/^[a-z0-9.-]+$/)
      .nullable()
      .default(null)
      .describe(
        "Outbound relay (smarthost) for mail, e.g. your relay provider's submission host. Hetzner blocks outbound ports 25 and 465 on new accounts, so most co-ops need one at first.",
      ),
    port: z.number().int().min(1).max(65535).default(587).describe("Submission port of the relay (587, STARTTLS)."),
    username: z
      .string()
      .regex(/^[^\s:]*$/, { message: "expected the relay user name without spaces or colons" })
      .default("")
      .describe("User name at the relay. The password is set with `pulumi config set --secret coop-infra:mailRelayPassword`."),
    spfInclude: z
      .string()
      .regex(DOMAIN_RE, { message: "expected the domain your relay provider gives for SPF, e.g. spf.relay.example" })
      .nullable()
      .default(null)
      .describe(
        "The domain your relay provider documents for SPF ('include:<this>'). Mail relayed through it leaves from the provider's servers, so the domain's SPF record must name them. Required with a relay host.",
      ),
  })
  .strict()
  .describe("Where outgoing mail is handed over while direct delivery on port 25 is blocked.");

const mail = z
  .object({
    enabled: z.boolean().default(true).describe("Run the co-op's mail server (docker-mailserver)."),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, { message: "expected a pinned docker-mailserver release such as 15.1.0" })
      .default("15.1.0")
      .describe("docker-mailserver release (image tag)."),
    hostname: hostLabel("mail", "the mail server"),
    relay: relay.prefault({}),
    senders: z
      .array(z.enum(["mastodon", "nextcloud", "alerts"]))
      .nullable()
      .default(null)
      .describe(
        "Services that get an SMTP account (mastodon@<domain>, nextcloud@<domain>, alerts@<domain>) on this mail server. null = the services enabled in this stack (and alerts, when this stack's alerts are on); a mail stack that serves other stacks lists theirs, with alerts when their alerts are on.",
      ),
    fromStack: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
        message: "expected the mail stack's full name <organization>/<project>/<stack>, e.g. organization/coop-infra/split-mail",
      })
      .nullable()
      .default(null)
      .describe(
        "Instead of running a mail server here (enabled: false), send Mastodon's and Nextcloud's mail through the one of another stack, named <organization>/<project>/<stack>. That stack must list these services in services.mail.senders and be deployed first.",
      ),
  })
  .strict()
  .describe("Mail for the co-op's domain: mailboxes, aliases, DKIM, and outgoing mail for Mastodon and Nextcloud.");

const mailbox = z
  .object({
    localPart: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, { message: "expected the part before the @, e.g. 'ada'" })
      .describe("The part of the address before the @."),
    name: z.string().min(1).describe("Who the mailbox belongs to."),
    aliases: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/))
      .default([])
      .describe("Other local parts delivered to this mailbox, e.g. postmaster."),
  })
  .strict()
  .describe("A member's mailbox; its password is generated and kept as a Pulumi secret.");

const dns = z
  .object({
    provider: z
      .enum(["hetzner", "manual"])
      .default("manual")
      .describe(
        "'hetzner': this stack manages the zone at Hetzner DNS. 'manual': `coop dns` prints the records to paste into your DNS provider.",
      ),
    ttl: z.number().int().min(60).max(86400).default(3600).describe("Time to live of the records, in seconds."),
    manageZone: z
      .boolean()
      .default(true)
      .describe(
        "With provider 'hetzner': whether this stack creates the zone itself. When a co-op splits its services over several stacks, exactly one stack (usually the mail stack) creates the zone and the others set false and only add their own records to it.",
      ),
    mailPolicy: z
      .enum(["testing", "enforce", "reject"])
      .default("testing")
      .describe(
        "How strictly receivers treat mail that fails SPF/DKIM/MTA-STS. 'testing': SPF ~all, DMARC p=none, MTA-STS testing (start here and read the reports). 'enforce': SPF -all, DMARC p=quarantine, MTA-STS enforce. 'reject': as enforce, with DMARC p=reject.",
      ),
  })
  .strict()
  .describe("Where the domain's DNS records live, and the mail authentication policy they publish.");

const backups = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("Back up every service's data with restic to a Hetzner Storage Box. Needs a Hetzner host; a local stack must set false."),
    storageBoxType: z
      .enum(STORAGE_BOX_TYPE_NAMES)
      .default("bx11")
      .describe("Hetzner Storage Box product: bx11 (1 TB), bx21 (5 TB), bx31 (10 TB), bx41 (20 TB)."),
    storageBoxLocation: z
      .enum(STORAGE_BOX_LOCATIONS)
      .nullable()
      .default(null)
      .describe(
        "Where the Storage Box is: fsn1 (Falkenstein) or hel1 (Helsinki). Leave null to use a different site than the server's, so one site's disaster cannot take both.",
      ),
    storageBoxSnapshots: z
      .number()
      .int()
      .min(0)
      .default(7)
      .describe(
        "Daily snapshots Hetzner takes of the whole Storage Box, kept beyond the host's reach: they survive even if an attacker on the host deletes the backups. 0 turns them off; at most what the product includes (bx11: 10).",
      ),
    time: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "expected a time of day such as 03:30" })
      .default("03:30")
      .describe("Daily backup time (host time zone, UTC). Keep it well before 05:00, when security updates may reboot the host."),
    keepDaily: z.number().int().min(1).default(7).describe("Daily snapshots to keep."),
    keepWeekly: z.number().int().min(0).default(4).describe("Weekly snapshots to keep."),
    keepMonthly: z.number().int().min(0).default(6).describe("Monthly snapshots to keep."),
  })
  .strict()
  .superRefine((b, ctx) => {
    const limit = STORAGE_BOX_TYPES[b.storageBoxType].maxSnapshots;
    if (b.storageBoxSnapshots > limit) {
      ctx.addIssue({
        code: "custom",
        path: ["storageBoxSnapshots"],
        message: `a ${b.storageBoxType} Storage Box includes at most ${limit} snapshots`,
        params: { hint: `use at most ${limit}, or a bigger storageBoxType` },
      });
    }
  })
  .describe("Off-site backups: restic to a Hetzner Storage Box, every night, with a restore script on the host.");

/** Upper bounds keep a typo (850 instead of 85) from switching a check off. */
const percent = (what: string, def: number) =>
  z.number().int().min(50).max(99).default(def).describe(`Alert when ${what} is fuller than this, in percent.`);

const httpsUrl = z.string().regex(/^https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~!&'()*+,;=:@%/?-]*)?$/, {
  message: "expected an https:// address such as https://social.example.coop/health (no spaces, quotes or $)",
});

const alerts = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Tell the admins when something is wrong: a failed or missing backup, a disk filling up, a certificate near expiry, an unhealthy container, a growing mail queue, Nextcloud stuck in maintenance, a service not answering. Needs a Hetzner host; a local stack sets false.",
      ),
    recipients: z
      .array(
        z.string().regex(/^[A-Za-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,63}$/, { message: "expected a mail address such as ada@example.coop" }),
      )
      .min(1, { message: "list at least one address, or write null for the admins' own mailboxes" })
      .nullable()
      .default(null)
      .describe(
        "Who receives the alert mails. null: the admins' own mailboxes (each host admin whose name is a mailbox here, e.g. ada@<domain>), or postmaster@<domain> when none is. An address at another provider still receives alerts when the co-op's own mail is what broke.",
      ),
    matrix: z
      .object({
        homeserverUrl: httpsUrl.describe("The Matrix homeserver the alert bot's account is on, e.g. https://matrix.example.coop."),
        roomId: z
          .string()
          .regex(/^![A-Za-z0-9._=+/-]+:[A-Za-z0-9.-]+(?::\d{1,5})?$/, {
            message: "expected an internal room id such as !abcdef:example.coop",
          })
          .describe("The room's internal id (Room settings → Advanced), which the bot has joined."),
      })
      .strict()
      .nullable()
      .default(null)
      .describe(
        "Also post the service checks' alerts to a Matrix room. The bot's access token is a secret: `pulumi config set --secret coop-infra:alertsMatrixToken`.",
      ),
    webhook: z
      .boolean()
      .default(false)
      .describe(
        "Also POST the service checks' alerts to a webhook (chat, pager). Its address holds the credential, so it is a secret: `pulumi config set --secret coop-infra:alertsWebhookUrl`.",
      ),
    thresholds: z
      .object({
        dataVolumePercent: percent("the data volume (/srv/coop)", 85),
        rootDiskPercent: percent("the server's root disk", 85),
        certificateDays: z
          .number()
          .int()
          .min(7)
          .max(60)
          .default(14)
          .describe(
            "Alert when a certificate expires within this many days (Caddy renews 30 days ahead, so this means renewal is failing).",
          ),
        backupMaxAgeHours: z
          .number()
          .int()
          .min(25)
          .max(168)
          .default(26)
          .describe("Alert when no backup succeeded for this many hours (a nightly backup plus its delay and run time)."),
        mailQueueSize: z
          .number()
          .int()
          .min(1)
          .max(100000)
          .default(50)
          .describe("Alert when more messages than this wait in the mail server's queue (undeliverable or held mail)."),
        nextcloudMaintenanceMinutes: z
          .number()
          .int()
          .min(10)
          .max(1440)
          .default(60)
          .describe("Alert when Nextcloud stays in maintenance mode this long outside the nightly backup."),
      })
      .strict()
      .prefault({})
      .describe("When a check alerts. The defaults suit most co-ops."),
    statusPage: z
      .object({
        enabled: z.boolean().default(false).describe("Publish a status page for members (which service answers, since when)."),
        hostname: hostLabel("status", "the status page"),
      })
      .strict()
      .prefault({})
      .describe("An optional public status page served by the proxy."),
    watch: z
      .array(httpsUrl)
      .default([])
      .describe(
        "Addresses of other stacks or of a peer co-op to check from here, e.g. https://social.peer.coop/health: a host cannot report its own death, so someone else must watch it.",
      ),
  })
  .strict()
  .describe("Alerts to the admins by mail (and optionally Matrix or a webhook), the checks behind them, and an optional status page.");

export const StackSpecSchema = z
  .object({
    coop: z
      .object({
        name: z
          .string()
          .min(1)
          .max(COOP_NAME_MAX)
          .describe(
            `The co-op's name as members know it (at most ${COOP_NAME_MAX} characters). Names at Hetzner and on the Docker engine start with a short form of it.`,
          ),
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
    alerts: alerts.prefault({}),
    // Growing beyond one server (stacks/growth.ts).
    objectStorage: ObjectStorageSchema.prefault({}),
    placement: PlacementSchema.prefault({}),
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
          params: {
            hint: fit.length ? `choose ${fit.join(" or ")}, or disable a service` : "disable a service or split them over several stacks",
          },
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
        ctx.addIssue({
          code: "custom",
          path: ["host", "admins"],
          message: "a Hetzner host needs at least one admin SSH key",
          params: { hint: "add `- name: <you>` and `sshPublicKey: <contents of ~/.ssh/id_ed25519.pub>`" },
        });
      }
      if (host.sshSources.length === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["host", "sshSources"],
          message: "no network may reach SSH, so nobody (not even Pulumi) could manage the host",
          params: { hint: "list the admins' and CI's addresses, e.g. [203.0.113.7/32]" },
        });
      }
      host.sshSources.forEach((c, i) => {
        const network = parseIpNetwork(c);
        if (!network)
          ctx.addIssue({
            code: "custom",
            path: ["host", "sshSources", i],
            message: `'${c}' is not a valid IPv4 or IPv6 network`,
            params: {
              hint: "write an address and prefix length, e.g. 203.0.113.7/32 (one IPv4 address) or 2001:db8:1234::/48 (an IPv6 network)",
            },
          });
        // A /0 is every address of its family, however its address is spelled.
        else if (network.prefix === 0 && !host.sshOpenToWorld) {
          ctx.addIssue({
            code: "custom",
            path: ["host", "sshSources", i],
            message: `${c} opens SSH to the whole internet`,
            params: { hint: "narrow it to your addresses, or set sshOpenToWorld: true to say you mean it" },
          });
        }
      });
      const names = new Set<string>();
      host.admins.forEach((a, i) => {
        if (names.has(a.name))
          ctx.addIssue({
            code: "custom",
            path: ["host", "admins", i, "name"],
            message: `admin '${a.name}' is listed twice`,
            params: { hint: "give each admin one entry with one key; a second device gets its own name, e.g. ada-laptop" },
          });
        names.add(a.name);
      });
      if (spec.domain.endsWith(".localhost")) {
        ctx.addIssue({
          code: "custom",
          path: ["domain"],
          message: "a .localhost domain cannot be reached on a Hetzner host",
          params: { hint: "use the co-op's real domain, or host.target: local" },
        });
      }
    }
    if (spec.backups.enabled && host.target === "local") {
      ctx.addIssue({
        code: "custom",
        path: ["backups", "enabled"],
        message:
          "backups need a Hetzner host: they go to a Hetzner Storage Box and run from a systemd timer the program installs over SSH, which a local Docker engine does not offer",
        params: {
          hint: "set `backups: {enabled: false}` on a local stack (its data is for trying things out), or use host.target: hetzner",
        },
      });
    }
    if (enabled.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["services"],
        message: "no service is enabled",
        params: { hint: "set enabled: true on mastodon, nextcloud or mail" },
      });
    }
    const hostnames = new Map<string, string>();
    // Mail first, so a web service that takes the mail server's name is the one reported.
    for (const s of [...enabled].sort((a, b) => Number(b === "mail") - Number(a === "mail"))) {
      const h = spec.services[s].hostname;
      const other = hostnames.get(h);
      if (other)
        ctx.addIssue({
          code: "custom",
          path: ["services", s, "hostname"],
          message: `${s} and ${other} both use the host name '${h}'`,
          params: { hint: `give ${s} a name of its own, e.g. hostname: ${SERVICE_HOSTNAME_DEFAULTS[s]}` },
        });
      hostnames.set(h, s);
    }
    // Names the mail server publishes for itself: a web service there would take its certificate and policy.
    if (spec.services.mail.enabled) {
      for (const s of ["mastodon", "nextcloud", "mail"] as const) {
        const h = spec.services[s].hostname;
        if (spec.services[s].enabled && h === MTA_STS_LABEL) {
          ctx.addIssue({
            code: "custom",
            path: ["services", s, "hostname"],
            message: `'${h}.${spec.domain}' is reserved for the mail server's MTA-STS policy (RFC 8461) while mail is enabled`,
            params: { hint: `choose another name, e.g. hostname: ${SERVICE_HOSTNAME_DEFAULTS[s]}` },
          });
        }
      }
    }
    if (spec.mailboxes.length > 0 && !spec.services.mail.enabled) {
      ctx.addIssue({
        code: "custom",
        path: ["mailboxes"],
        message: "mailboxes need the mail service",
        params: { hint: "set services.mail.enabled: true, or remove the mailboxes" },
      });
    }
    const addresses = new Map<string, number>();
    spec.mailboxes.forEach((m, i) => {
      for (const [j, lp] of [m.localPart, ...m.aliases].entries()) {
        const seen = addresses.get(lp);
        if (seen !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: j === 0 ? ["mailboxes", i, "localPart"] : ["mailboxes", i, "aliases", j - 1],
            message: `${lp}@${spec.domain} is already used by mailbox ${seen + 1}`,
            params: { hint: "each address belongs to one mailbox: remove it here or there" },
          });
        }
        addresses.set(lp, i);
      }
    });
    mailAndDnsIssues(spec, ctx);
    alertIssues(spec, ctx);
    // A block of the co-op's own domain (or one above it) would cut its Mastodon off from itself.
    spec.services.mastodon.federation.domainBlocks.forEach((b, i) => {
      if (spec.domain === b.domain || spec.domain.endsWith(`.${b.domain}`) || b.domain.endsWith(`.${spec.domain}`))
        ctx.addIssue({
          code: "custom",
          path: ["services", "mastodon", "federation", "domainBlocks", i, "domain"],
          message: `${b.domain} is the co-op's own domain ${spec.domain}, or under or above it`,
          params: { hint: "remove this block: a co-op never blocks its own servers" },
        });
    });
    growthIssues(spec, ctx);
  });

export type StackSpec = z.output<typeof StackSpecSchema>;
export type StackSpecInput = z.input<typeof StackSpecSchema>;
export type HetznerHostSpec = z.output<typeof HetznerHost>;
export type LocalHostSpec = z.output<typeof LocalHost>;

export function enabledServices(spec: Pick<StackSpec, "services">): ServiceName[] {
  return (["mastodon", "nextcloud", "mail"] as const).filter((s) => spec.services[s].enabled);
}

/** Services that get an SMTP account on this stack's mail server (services.mail.senders, or the ones enabled here). */
export function mailSenders(spec: Pick<StackSpec, "services" | "alerts">): Array<"mastodon" | "nextcloud" | "alerts"> {
  const m = spec.services.mail;
  if (!m.enabled) return [];
  const listed = m.senders ?? (["mastodon", "nextcloud"] as const).filter((s) => spec.services[s].enabled);
  // This stack's own alerts send through its own mail server.
  return [...new Set([...listed, ...(spec.alerts.enabled ? (["alerts"] as const) : [])])].sort();
}

/** Addresses the published DNS records and RFC 5321 send mail to; someone must receive them. */
export const ROLE_LOCAL_PARTS = ["postmaster", "dmarc.report", "tlsrpt"] as const;

/** Cross-field rules of the mail and DNS sections. */
function mailAndDnsIssues(spec: StackSpec, ctx: z.RefinementCtx): void {
  const m = spec.services.mail;
  const issue = (path: PropertyKey[], message: string, hint?: string) =>
    ctx.addIssue({ code: "custom", path, message, ...(hint ? { params: { hint } } : {}) });
  const webSenders = (["mastodon", "nextcloud"] as const).filter((s) => spec.services[s].enabled);

  if (m.fromStack !== null) {
    if (m.enabled)
      issue(
        ["services", "mail", "fromStack"],
        "a stack either runs the mail server (enabled: true) or sends through another stack's (fromStack), not both",
        "set services.mail.enabled: false to use the other stack's mail server, or remove fromStack",
      );
    else if (webSenders.length === 0)
      issue(
        ["services", "mail", "fromStack"],
        "nothing in this stack sends mail, so it needs no mail stack",
        "remove fromStack, or enable mastodon or nextcloud here",
      );
  } else if (!m.enabled && webSenders.length > 0) {
    issue(
      ["services", "mail"],
      `${webSenders.join(" and ")} need${webSenders.length === 1 ? "s" : ""} a mail server to send sign-up, password-reset and notification mail, and this stack has none`,
      "enable services.mail here, or set services.mail.fromStack to the stack that runs it (<organization>/<project>/<stack>)",
    );
  }
  if (m.senders !== null && !m.enabled)
    issue(
      ["services", "mail", "senders"],
      "senders are accounts on this stack's mail server, which is not enabled",
      "remove senders, or set services.mail.enabled: true",
    );

  if (m.enabled && m.relay.host !== null) {
    if (m.relay.username === "")
      issue(
        ["services", "mail", "relay", "username"],
        "a relay host needs the user name to log in with",
        "set the user name your relay provider gave you; the password goes in `pulumi config set --secret coop-infra:mailRelayPassword`",
      );
    if (m.relay.spfInclude === null) {
      issue(
        ["services", "mail", "relay", "spfInclude"],
        "mail relayed through another provider leaves from its servers, so the domain's SPF record must include them or receivers will reject it",
        "set spfInclude to the domain your relay provider's documentation gives for SPF (the part after 'include:')",
      );
    }
  }

  if (m.enabled) {
    const used = new Set(spec.mailboxes.flatMap((b) => [b.localPart, ...b.aliases]));
    if (spec.mailboxes.length === 0 && mailSenders(spec).length === 0) {
      issue(
        ["mailboxes"],
        "the mail server has no account at all (no mailbox, no service sending through it), and docker-mailserver does not start without one",
        "add a mailbox, or list the services that send through it in services.mail.senders",
      );
    }
    for (const s of mailSenders(spec)) {
      if (used.has(s))
        issue(
          ["mailboxes"],
          `${s}@${spec.domain} is the SMTP account of ${s}, so no mailbox or alias may use it`,
          `rename that mailbox or alias`,
        );
    }
    if (spec.mailboxes.length > 0) {
      const missing = ROLE_LOCAL_PARTS.filter((lp) => !used.has(lp));
      if (missing.length > 0) {
        issue(
          ["mailboxes"],
          `nobody receives ${missing.map((lp) => `${lp}@${spec.domain}`).join(", ")}: mail servers send problems to postmaster (RFC 5321), and the DNS records send DMARC and TLS reports to dmarc.report and tlsrpt`,
          `add them to an admin's aliases, e.g. aliases: [${ROLE_LOCAL_PARTS.join(", ")}]`,
        );
      }
    }
  }

  if (spec.dns.provider === "hetzner" && spec.host.target === "local") {
    issue(
      ["dns", "provider"],
      "a local stack has no public address to publish at Hetzner DNS",
      "use dns.provider: manual on a local stack",
    );
  }
}

/** Cross-field rules of the alerts section. */
function alertIssues(spec: StackSpec, ctx: z.RefinementCtx): void {
  const a = spec.alerts;
  if (!a.enabled) return;
  if (spec.host.target === "local") {
    ctx.addIssue({
      code: "custom",
      path: ["alerts", "enabled"],
      message:
        "alerts need a Hetzner host: their checks run from systemd timers the program installs over SSH, which a local Docker engine does not offer",
      params: { hint: "set `alerts: {enabled: false}` on a local stack, or use host.target: hetzner" },
    });
  }
  // Without a mail server here or a mail stack, the mail rules already refuse the spec.
  if (a.statusPage.enabled) {
    const taken = (["mastodon", "nextcloud", "mail"] as const).find(
      (s) => spec.services[s].enabled && spec.services[s].hostname === a.statusPage.hostname,
    );
    if (taken || a.statusPage.hostname === MTA_STS_LABEL)
      ctx.addIssue({
        code: "custom",
        path: ["alerts", "statusPage", "hostname"],
        message: `the status page cannot use '${a.statusPage.hostname}.${spec.domain}': ${taken ? `${taken} serves it` : "it is the MTA-STS policy's name"}`,
        params: { hint: "keep the default hostname: status" },
      });
  }
  const seen = new Set<string>();
  a.watch.forEach((u, i) => {
    if (seen.has(u))
      ctx.addIssue({
        code: "custom",
        path: ["alerts", "watch", i],
        message: `${u} is listed twice`,
        params: { hint: "list each address once" },
      });
    seen.add(u);
  });
}

/** Where alert mail goes: alerts.recipients, or the admins' own mailboxes, or postmaster. */
export function alertRecipients(spec: Pick<StackSpec, "alerts" | "host" | "mailboxes" | "domain">): string[] {
  if (spec.alerts.recipients !== null && spec.alerts.recipients.length > 0) return [...new Set(spec.alerts.recipients)];
  const admins = spec.host.target === "hetzner" ? spec.host.admins.map((a) => a.name) : [];
  const boxes = new Set(spec.mailboxes.map((m) => m.localPart));
  const own = admins.filter((n) => boxes.has(n)).map((n) => `${n}@${spec.domain}`);
  return own.length > 0 ? own : [`postmaster@${spec.domain}`];
}

/** Fully qualified host name of a service, e.g. social.example.coop. */
export function serviceFqdn(spec: Pick<StackSpec, "services" | "domain">, service: ServiceName): string {
  return `${spec.services[service].hostname}.${spec.domain}`;
}

function fmtGb(mb: number): string {
  return `${(mb / 1024).toFixed(mb % 1024 === 0 ? 0 : 1)} GB`;
}
