/**
 * Declares one stack of a co-op from its spec: the host and the services on it. The Pulumi
 * entry (index.ts) and the offline plan (cli) both call this, so what is planned and approved
 * offline is exactly what `pulumi up` deploys.
 *
 * Order matters only where one component needs another's outputs:
 *   host → proxy (routes are plain data from the spec) → mail (uses the proxy's certificates)
 *   → mastodon, nextcloud (send through mail) → dns (needs the host's IPs and the DKIM key)
 *   → backup (saves what the services declare) → alerts (watch all of it, mail through mail).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackSecrets } from "../stacks/config";
import { serviceMemoryMb } from "../stacks/catalog";
import { defaultStorageBoxLocation } from "../stacks/storage-boxes";
import { enabledServices, serviceFqdn, type StackSpec } from "../stacks/schema";
import { Backup, type BackupArgs } from "./backup/backup";

export type BackupSettings = Omit<BackupArgs, "sources" | "host" | "namePrefix">;
import { Host, type HostArgs } from "./host/host";
import type { BackupSource, DockerHostRef, SmtpSender, WebRoute } from "./shared/interfaces";
import { labelValue, resourcePrefix } from "./shared/naming";
import { publicPorts } from "./shared/ports";
import { onHost } from "./host/admin-commands";
import { Mastodon, mastodonOwnerCommand, mastodonRoute } from "./mastodon/mastodon";
import { Nextcloud, nextcloudRoute } from "./nextcloud/nextcloud";
// biome-ignore lint/suspicious/noShadowRestrictedNames: the co-op's reverse proxy; the global Proxy is not used here
import { Proxy, retryCertificatesCommand } from "./proxy/proxy";
import { declareMail, mailRoutes, mailStackOutputs } from "./mail/mail-stack";
import { declareDns } from "./dns/dns";
import { declareAlerts, statusPageRoute } from "./alerts/alerts-stack";
import { ON_FAILURE } from "./alerts/units";
import { declareGrowth, mediaRoute } from "./growth";

export interface CoopArgs {
  readonly stack: string;
  readonly spec: StackSpec;
  readonly secrets: StackSecrets;
}

export interface CoopStack {
  readonly host: Host;
  /** Stack outputs, exported by index.ts. */
  readonly outputs: Record<string, pulumi.Input<unknown>>;
}

export function declareCoop({ stack, spec, secrets }: CoopArgs): CoopStack {
  const services = enabledServices(spec);
  const namePrefix = resourcePrefix(spec.coop.name, stack);
  // Each service's share of the server's memory: its containers' hard limits add up to it.
  const memoryMb = serviceMemoryMb(spec.host.target === "hetzner" ? spec.host.serverType : undefined, services);

  // --- host ---------------------------------------------------------------------------------
  const hostArgs: HostArgs =
    spec.host.target === "local"
      ? { target: "local", dockerHost: spec.host.dockerHost }
      : {
          target: "hetzner",
          serverType: spec.host.serverType,
          location: spec.host.location,
          image: spec.host.image,
          volumeSizeGb: spec.host.volumeSizeGb,
          sshSources: spec.host.sshSources,
          admins: spec.host.admins,
          publicPorts: publicPorts(services),
          namePrefix,
          labels: { "coop-infra/coop": labelValue(spec.coop.name), "coop-infra/stack": labelValue(stack) },
        };
  // The private network and the hosts beside the main one (stacks/growth.ts placement); the
  // main host joins the network when there is one.
  const growth = declareGrowth({ stack, spec, secrets, namePrefix, hostArgs });
  const host = new Host("host", growth.mainHostArgs);
  const dockerHost: DockerHostRef = { provider: host.dockerProvider, namePrefix, target: host.target };
  const outputs: Record<string, pulumi.Input<unknown>> = {
    target: host.target,
    ...(host.ipv4 ? { ipv4: host.ipv4, ipv6: host.ipv6 } : {}),
  };

  // What the backup must save; each service section pushes its part (used in the backup section).
  const backupSources: BackupSource[] = [];

  // --- web routes: plain data from the spec, pushed by each service's section -------------------
  const routes: WebRoute[] = [];
  if (spec.services.mastodon.enabled) routes.push(mastodonRoute(dockerHost, serviceFqdn(spec, "mastodon")));
  if (spec.services.nextcloud.enabled) routes.push(nextcloudRoute(dockerHost, serviceFqdn(spec, "nextcloud")));
  // The mail host's certificate (Caddy obtains it, DMS reads it) and the MTA-STS policy.
  routes.push(...mailRoutes(spec));
  // The members' status page (Gatus, declared in the alerts section), when the spec asks for it.
  const statusRoute = statusPageRoute(spec, dockerHost);
  if (statusRoute) routes.push(statusRoute);
  // Mastodon's media from its bucket, under the alias host.
  if (growth.mastodonMedia) routes.push(mediaRoute(spec, growth.mastodonMedia));

  // --- proxy --------------------------------------------------------------------------------
  const local = spec.host.target === "local" ? spec.host : undefined;
  const proxy =
    routes.length > 0
      ? new Proxy("proxy", { host: dockerHost, routes, httpPort: local?.httpPort, httpsPort: local?.httpsPort })
      : undefined;
  // The Docker volume holding Caddy's certificates: the mail server reads its own from it.
  const certificatesVolume = proxy?.certificatesVolume;
  // Once DNS points here (docs/runbook/first-deploy.md): certificates now, not after Caddy's back-off.
  if (proxy && spec.host.target === "hetzner") outputs.retryCertificates = onHost(host, retryCertificatesCommand(dockerHost));

  // --- mail ---------------------------------------------------------------------------------
  // Set here: the SMTP accounts Mastodon and Nextcloud send through (this stack's mail server,
  // or the mail stack's through a StackReference).
  const mailSection = declareMail(spec, dockerHost, certificatesVolume, secrets, memoryMb.mail);
  const smtpSenders: Partial<Record<"mastodon" | "nextcloud" | "alerts", SmtpSender>> = mailSection.smtpSenders;
  if (mailSection.mail) {
    // Read by the stacks that send through this one (components/mail/mail-stack.ts MAIL_OUTPUTS).
    Object.assign(outputs, mailStackOutputs(mailSection.mail));
    backupSources.push(mailSection.mail.backup);
  }

  // --- mastodon, nextcloud ------------------------------------------------------------------
  // The spec refuses either without a mail server here or a mail stack to send through; the
  // components still deploy without one (warning at preview) if that rule is ever relaxed.
  if (spec.services.mastodon.enabled && proxy) {
    const s = spec.services.mastodon;
    const mastodon = new Mastodon("mastodon", {
      host: dockerHost,
      version: s.version,
      hostname: serviceFqdn(spec, "mastodon"),
      postgresMajor: s.postgresMajor,
      proxyNetwork: proxy.networkName,
      proxyAddresses: proxy.addresses,
      smtp: smtpSenders.mastodon,
      memoryMb: memoryMb.mastodon,
      ...(secrets.mastodonAdminToken ? { federation: { ...s.federation, token: secrets.mastodonAdminToken } } : {}),
      ...growth.mastodonArgs(host),
    });
    backupSources.push(mastodon.backup);
    growth.declareMediaRetention(host, mastodon);
    outputs.mastodonUrl = `https://${serviceFqdn(spec, "mastodon")}`;
    outputs.mastodonCreateOwner = onHost(host, mastodonOwnerCommand(dockerHost));
    outputs.mastodonMigrations = mastodon.migrated;
    outputs.mastodonSendsMail = mastodon.sendsMail;
  }
  if (spec.services.nextcloud.enabled && proxy) {
    const s = spec.services.nextcloud;
    const nextcloud = new Nextcloud("nextcloud", {
      host: dockerHost,
      version: s.version,
      hostname: serviceFqdn(spec, "nextcloud"),
      adminUser: s.adminUser,
      postgresMajor: s.postgresMajor,
      proxyNetwork: proxy.networkName,
      proxyAddresses: proxy.addresses,
      httpsPort: local?.httpsPort,
      smtp: smtpSenders.nextcloud,
      memoryMb: memoryMb.nextcloud,
      ...(growth.nextcloudFiles ? { objectStorage: growth.nextcloudFiles } : {}),
    });
    backupSources.push(nextcloud.backup);
    outputs.nextcloudUrl = `https://${serviceFqdn(spec, "nextcloud")}`;
    outputs.nextcloudAdminUser = s.adminUser;
    outputs.nextcloudAdminPassword = nextcloud.adminPassword;
    outputs.nextcloudSendsMail = nextcloud.sendsMail;
  }

  // --- dns ----------------------------------------------------------------------------------
  const dns = declareDns(spec, host, mailSection.mail?.dkimTxt, {
    "coop-infra/coop": labelValue(spec.coop.name),
    "coop-infra/stack": labelValue(stack),
  });
  if (dns?.nameservers) outputs.dnsNameservers = dns.nameservers;

  // --- backup -------------------------------------------------------------------------------
  // backupSources (declared above the services, which push to it) lists what must be saved.
  // Hetzner only: the spec refuses backups on a local stack (stacks/schema.ts says why).
  if (spec.backups.enabled && spec.host.target === "hetzner" && host.ssh && host.serverId) {
    const backup = new Backup("backup", {
      ...backupSettings(spec, stack),
      sources: backupSources,
      host: { ssh: host.ssh, serverId: host.serverId },
      namePrefix,
      onFailure: spec.alerts.enabled ? ON_FAILURE : undefined,
    });
    outputs.backupRepository = backup.repository;
    // Without this password the backups cannot be read: `pulumi stack output --show-secrets`.
    outputs.backupResticPassword = backup.resticPassword;
    outputs.backupStorageBoxPassword = backup.storageBoxPassword;
    // The database host's dumps go to a Storage Box of its own (the dump runs where Postgres does).
    Object.assign(outputs, growth.declareBackups(backupSettings(spec, stack)));
  }

  // --- alerts -------------------------------------------------------------------------------
  // Hetzner only, like the backup (stacks/schema.ts says why); mailed through the alerts account.
  if (spec.alerts.enabled && spec.host.target === "hetzner" && host.ssh && host.serverId && proxy) {
    declareAlerts(spec, {
      host: dockerHost,
      ssh: host.ssh,
      serverId: host.serverId,
      proxyNetwork: proxy.networkName,
      smtp: smtpSenders.alerts,
      secrets,
    });
    const status = statusRoute?.hostname;
    if (status) outputs.statusPageUrl = `https://${status}`;
  }

  return { host, outputs };
}

/** The backup settings of the spec, shared by every host's backup. */
export function backupSettings(spec: StackSpec, stack: string): BackupSettings {
  const b = spec.backups;
  const location = spec.host.target === "hetzner" ? spec.host.location : "fsn1";
  return {
    storageBoxType: b.storageBoxType,
    storageBoxLocation: b.storageBoxLocation ?? defaultStorageBoxLocation(location),
    storageBoxSnapshots: b.storageBoxSnapshots,
    time: b.time,
    keep: { daily: b.keepDaily, weekly: b.keepWeekly, monthly: b.keepMonthly },
    labels: { "coop-infra/coop": labelValue(spec.coop.name), "coop-infra/stack": labelValue(stack) },
  };
}
