/**
 * Mail: docker-mailserver (DMS) for the co-op's domain.
 *
 * Members' mailboxes and aliases, an SMTP account per service that sends mail (Mastodon,
 * Nextcloud), passwords generated once (@pulumi/random) and hashed into postfix-accounts.cf
 * with a generated salt, so the files only change when the spec or a password does. A DKIM key
 * (@pulumi/tls, RSA 2048) is installed where Rspamd signs with it; TLS certificates are Caddy's,
 * read from its data volume. Outbound mail can go through a relay on port 587, because Hetzner
 * blocks outbound 25/465 on new accounts.
 *
 * The container's config files are uploaded when it is created: a changed account or alias
 * replaces the container (about a minute without mail; senders retry), while mail and state
 * live in named volumes that survive it.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { dkimRecordValue, txtValue } from "../dns/records";
import type { BackupSource, DockerHostRef, SmtpSender } from "../shared/interfaces";
import { checkedName } from "../shared/naming";
import type { SenderService } from "./contract";
import { CADDY_DATA_MOUNT, type CertificateIssuer, renderMailEnv } from "./env";
import {
  DKIM_KEY_BITS,
  DMS_CONFIG_DIR,
  MAIL_FILES,
  dkimKeyPath,
  renderAccounts,
  renderDkimSigning,
  renderRelayPasswords,
  renderVirtual,
} from "./files";

export type { SenderService };

/** Ports published on the host; the firewall opens the same (components/shared/ports.ts). */
export const MAIL_PORTS = [25, 465, 587, 993] as const;
/** Services submit on 587 with STARTTLS: Hetzner blocks outbound 465 too, which matters across hosts. */
export const SUBMISSION_PORT = 587;

/** The image's own entrypoint and command (docker-mailserver Dockerfile, v15.1.0). */
const DMS_ENTRYPOINT = ["/usr/bin/dumb-init", "--"];
const DMS_COMMAND = ["supervisord", "-c", "/etc/supervisor/supervisord.conf"];

export interface Mailbox {
  readonly localPart: string;
  readonly aliases: readonly string[];
}

export interface MailRelay {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** From the stack's config secret; never logged, never in the container's environment. */
  readonly password: pulumi.Input<string>;
}

export interface MailArgs {
  readonly dockerHost: DockerHostRef;
  /** docker-mailserver release, e.g. 15.1.0. */
  readonly version: string;
  /** The mail domain, e.g. example.coop. */
  readonly domain: string;
  /** Fully qualified name of the mail server, e.g. mail.example.coop. */
  readonly hostname: string;
  readonly mailboxes: readonly Mailbox[];
  /** Services that get an SMTP account <service>@<domain>. */
  readonly senders: readonly SenderService[];
  readonly relay?: MailRelay;
  /** Docker volume holding Caddy's data (/data); mounted read-only for the certificate. */
  readonly certificatesVolume: pulumi.Input<string>;
  /** Which authority Caddy gets the mail host's certificate from. */
  readonly certificateIssuer: CertificateIssuer;
  /** Host address the mail ports are published on: all IPv4 addresses on a server, loopback on a laptop. */
  readonly listenAddress: string;
  /** The mail server's share of the server's memory in MB (stacks/catalog.ts serviceMemoryMb). */
  readonly memoryMb: number;
}

/** docker-mailserver's image; the tag is the spec's pinned release. */
export const MAIL_IMAGE = "ghcr.io/docker-mailserver/docker-mailserver";

export class Mail extends pulumi.ComponentResource {
  readonly hostname: string;
  /** The network services join to reach the mail server under its own name. */
  readonly network: docker.Network;
  readonly container: docker.Container;
  /** Generated passwords of the members' mailboxes, by address (secret). */
  readonly mailboxPasswords: pulumi.Output<Record<string, string>>;
  /** SMTP accounts of the services, ready for their SMTP settings. */
  readonly senders: Partial<Record<SenderService, SmtpSender>>;
  /** The DKIM record text ("v=DKIM1; k=rsa; p=…"). */
  readonly dkimRecord: pulumi.Output<string>;
  /** The same, as a TXT value in zone-file form (quoted, split into 255-byte strings). */
  readonly dkimTxt: pulumi.Output<string>;
  /** What the backup must save. */
  readonly backup: BackupSource;

  constructor(name: string, args: MailArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:mail:Mail", name, {}, opts);
    const prefix = mailContainerName(args.dockerHost);
    const child = { parent: this };
    const onDocker = { parent: this, provider: args.dockerHost.provider };
    this.hostname = args.hostname;

    // --- accounts: a generated password and salt each; only the hash reaches the server ----------
    const account = (id: string, localPart: string) => {
      const password = new random.RandomPassword(`${name}-${id}-password`, { length: 32, special: false }, child);
      const salt = new random.RandomString(`${name}-${id}-salt`, { length: 16, special: false }, child);
      return { address: `${localPart}@${args.domain}`, password: password.result, salt: salt.result };
    };
    const mailboxes = args.mailboxes.map((m) => account(`mailbox-${m.localPart}`, m.localPart));
    const senders = args.senders.map((s) => ({ service: s, ...account(`sender-${s}`, s) }));
    const accounts = [...mailboxes, ...senders];

    const accountsFile = pulumi.secret(
      pulumi
        .all(accounts.map((a) => pulumi.all([a.password, a.salt])))
        .apply((pairs) => renderAccounts(pairs.map(([password, salt], i) => ({ address: accounts[i].address, password, salt })))),
    );
    const virtualFile = renderVirtual(
      args.mailboxes.flatMap((m) => m.aliases.map((a) => ({ from: `${a}@${args.domain}`, to: `${m.localPart}@${args.domain}` }))),
    );
    const relayFile = args.relay
      ? pulumi.secret(pulumi.output(args.relay.password).apply((password) => renderRelayPasswords({ ...args.relay!, password })))
      : renderRelayPasswords(undefined);

    // --- DKIM: Rspamd signs with the private key; DNS publishes the public one ---------------------
    // Protected like the other generated keys: an accidental replacement would sign with a key
    // DNS does not publish yet (docs/runbook/mail-deliverability.md says how to rotate it).
    const dkim = new tls.PrivateKey(`${name}-dkim`, { algorithm: "RSA", rsaBits: DKIM_KEY_BITS }, { parent: this, protect: true });
    this.dkimRecord = dkim.publicKeyPem.apply(dkimRecordValue);
    this.dkimTxt = this.dkimRecord.apply(txtValue);

    // --- Docker: network, volumes, container ------------------------------------------------------
    this.network = new docker.Network(`${name}-network`, { name: prefix, driver: "bridge" }, onDocker);

    // Mailboxes and the server's state (queue, Rspamd, fail2ban) are protected: deleting or
    // replacing them loses mail. Config is rewritten on every deploy; logs are kept for diagnosis.
    const volume = (id: string, containerPath: string, protect: boolean) => ({
      containerPath,
      // Kept on the host even if removed from the program: only an admin deletes mail.
      resource: new docker.Volume(
        `${name}-${id}`,
        { name: checkedName(`${prefix}-${id}`) },
        { ...onDocker, protect, retainOnDelete: protect },
      ),
    });
    const volumes = [
      volume("data", "/var/mail", true),
      volume("state", "/var/mail-state", true),
      volume("logs", "/var/log/mail", false),
      volume("config", DMS_CONFIG_DIR, false),
    ];

    const env = renderMailEnv({
      domain: args.domain,
      hostname: args.hostname,
      issuer: args.certificateIssuer,
      relay: args.relay ? { host: args.relay.host, port: args.relay.port } : undefined,
    });

    this.container = new docker.Container(
      `${name}-server`,
      {
        name: prefix,
        // The pinned image by name, like every other container: the plan shows which release runs.
        image: `${MAIL_IMAGE}:${args.version}`,
        hostname: args.hostname,
        envs: env,
        // Caddy obtains the mail host's certificate only once DNS points here; until then DMS
        // would stop at start (SSL_TYPE=manual needs the files). Wait for them, then run the
        // image's own entrypoint, so the first deploy succeeds before DNS is in place.
        entrypoints: ["/bin/sh", "-c", waitForCertificateScript(), "coop-mail"],
        command: [...DMS_COMMAND],
        ports: MAIL_PORTS.map((port) => ({ internal: port, external: port, ip: args.listenAddress, protocol: "tcp" })),
        volumes: [
          ...volumes.map((v) => ({ volumeName: v.resource.name, containerPath: v.containerPath })),
          { volumeName: args.certificatesVolume, containerPath: CADDY_DATA_MOUNT, readOnly: true },
        ],
        // Named volumes only; nothing anonymous to clean up, and nothing of the data at risk.
        removeVolumes: false,
        networksAdvanced: [{ name: this.network.name, aliases: [args.hostname] }],
        // fail2ban bans with nftables inside the container's network namespace.
        capabilities: { adds: ["NET_ADMIN"] },
        // The host's Docker defaults to no-new-privileges, which stops Postfix's setgid postdrop
        // (Sieve redirects and vacation replies fail); docker-mailserver needs it off.
        securityOpts: ["no-new-privileges=false"],
        restart: "always",
        memory: args.memoryMb,
        stopTimeout: 60,
        healthcheck: {
          tests: ["CMD-SHELL", "ss --listening --ipv4 --tcp | grep --silent ':smtp' || exit 1"],
          interval: "30s",
          timeout: "5s",
          retries: 3,
          startPeriod: "2m",
        },
        uploads: [
          { file: MAIL_FILES.accounts, content: accountsFile, permissions: "0600" },
          { file: MAIL_FILES.virtual, content: virtualFile, permissions: "0644" },
          { file: MAIL_FILES.relayPasswords, content: relayFile, permissions: "0600" },
          { file: MAIL_FILES.dkimSigning, content: renderDkimSigning(args.domain), permissions: "0644" },
          { file: dkimKeyPath(args.domain), content: dkim.privateKeyPem, permissions: "0600" },
        ],
      },
      onDocker,
    );

    this.mailboxPasswords = pulumi.secret(
      pulumi.all(mailboxes.map((m) => m.password)).apply((pws) => Object.fromEntries(pws.map((pw, i) => [mailboxes[i].address, pw]))),
    );
    this.senders = Object.fromEntries(
      senders.map((s) => [
        s.service,
        {
          host: args.hostname,
          port: SUBMISSION_PORT,
          security: "starttls",
          username: s.address,
          password: pulumi.secret(s.password),
          fromAddress: s.address,
          network: this.network.name,
        } satisfies SmtpSender,
      ]),
    );
    this.backup = {
      service: "mail",
      postgres: [],
      volumes: volumes.filter((v) => v.containerPath === "/var/mail" || v.containerPath === "/var/mail-state").map((v) => v.resource.name),
    };

    this.registerOutputs({ hostname: this.hostname, dkimRecord: this.dkimRecord, mailboxPasswords: this.mailboxPasswords });
  }
}

/** The mail server's container (and network) name on the engine; the alerts' queue check execs into it. */
export function mailContainerName(host: Pick<DockerHostRef, "namePrefix">): string {
  return checkedName(`${host.namePrefix}-mail`);
}

/**
 * Shell run as the container's entrypoint: wait (quietly, interruptibly) for the certificate
 * and key SSL_CERT_PATH/SSL_KEY_PATH name, then exec the image's own entrypoint with the command.
 */
export function waitForCertificateScript(): string {
  return [
    "trap 'exit 143' TERM INT",
    'if [ ! -s "$SSL_CERT_PATH" ] || [ ! -s "$SSL_KEY_PATH" ]; then',
    '  echo "coop: waiting for the proxy to obtain the certificate $SSL_CERT_PATH (it does once DNS points the mail host name at this server)" >&2',
    '  while [ ! -s "$SSL_CERT_PATH" ] || [ ! -s "$SSL_KEY_PATH" ]; do sleep 15 & wait $!; done',
    '  echo "coop: certificate found, starting the mail server" >&2',
    "fi",
    `exec ${DMS_ENTRYPOINT.join(" ")} "$@"`,
  ].join("\n");
}
