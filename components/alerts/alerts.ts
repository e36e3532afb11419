/**
 * Alerts: the admins hear when something is wrong, by mail through the co-op's own mail server
 * (the alerts account, alerts@<domain>, whose password the mail server generates as a Pulumi
 * secret), and optionally in a Matrix room or through a webhook.
 *
 * Two well-kept tools, no daemon of our own:
 * - Gatus (a container) checks every minute what members reach from outside: each web name's
 *   status and certificate, the mail server's STARTTLS, and the addresses of other stacks or a
 *   peer co-op (alerts.watch). It serves the status page through the proxy when asked.
 * - systemd on the host: OnFailure= of the backup and of the host check starts coop-alert@,
 *   and coop-check.timer looks every 10 minutes for what fails quietly (disks, a backup that
 *   stopped running, crashing containers, the mail queue, Nextcloud left in maintenance).
 *
 * The host's files are installed over SSH like the backup's (not cloud-init, which would replace
 * the server): one command carries the scripts and units verbatim (a reviewer sees every line
 * that runs as root), a second one a fixed text that writes the SMTP login from stdin.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { type HostFile, renderInstallFilesCommand } from "../backup/install";
import { renderScript, shq } from "../shared/assets";
import { type ChildOptions, containerOptions, dockerName } from "../shared/datastores";
import { dockerEnvs, type EnvEntry } from "../shared/env";
import { GATUS_IMAGE } from "../shared/images";
import type { DockerHostRef, SmtpSender } from "../shared/interfaces";
import { GATUS_CONFIG_PATH, GATUS_ENV, GATUS_PORT } from "./gatus-config";
import { ALERT_LAYOUT } from "./units";

/** Gatus is one small Go binary keeping its results in memory; its share is in the base (stacks/catalog.ts). */
export const GATUS_MEMORY_MB = 96;

export interface AlertsArgs {
  readonly host: DockerHostRef;
  /** The host's shell and server: a new server gets the files again. */
  readonly ssh: { readonly host: pulumi.Input<string>; readonly user: string; readonly ready: pulumi.Resource };
  readonly serverId: pulumi.Input<number>;
  /** Gatus's config.yaml (gatus-config.ts), governed as it is. */
  readonly gatusConfig: string;
  /** The scripts and units for the host (hostFiles in alerts-from-spec.ts). */
  readonly hostFiles: readonly HostFile[];
  /** The alerts account on the co-op's mail server. */
  readonly smtp: SmtpSender;
  /** The proxy's network: the status page is served through it, and Gatus reaches the internet through it. */
  readonly proxyNetwork: pulumi.Input<string>;
  readonly matrixToken?: pulumi.Input<string>;
  readonly webhookUrl?: pulumi.Input<string>;
}

export class Alerts extends pulumi.ComponentResource {
  /** Where the proxy sends the status page: "<container>:<port>". */
  readonly upstream: string;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:alerts:Alerts", name, {}, opts);
    const child: ChildOptions = { parent: this, provider: args.host.provider };

    const env: EnvEntry<pulumi.Input<string>>[] = [
      { name: "GATUS_CONFIG_PATH", value: GATUS_CONFIG_PATH },
      { name: GATUS_ENV.smtpPassword, value: args.smtp.password, secret: true },
      ...(args.matrixToken ? [{ name: GATUS_ENV.matrixToken, value: args.matrixToken, secret: true }] : []),
      ...(args.webhookUrl ? [{ name: GATUS_ENV.webhookUrl, value: args.webhookUrl, secret: true }] : []),
    ];
    const gatusName = gatusContainerName(args.host);
    new docker.Container(
      `${name}-gatus`,
      {
        name: gatusName,
        image: GATUS_IMAGE,
        restart: "unless-stopped",
        envs: dockerEnvs(env),
        // Same stack as the mail server: reach it under its own name on its network (its
        // certificate matches) rather than through the host's public address.
        networksAdvanced: [{ name: args.proxyNetwork }, ...(args.smtp.network ? [{ name: args.smtp.network }] : [])],
        uploads: [{ file: GATUS_CONFIG_PATH, content: args.gatusConfig }],
        memory: GATUS_MEMORY_MB,
      },
      containerOptions(child),
    );

    const connection = { host: args.ssh.host, user: args.ssh.user, dialErrorLimit: 60, perDialTimeout: 20 };
    const onHost = { parent: this, dependsOn: [args.ssh.ready] };
    const login = new command.remote.Command(
      `${name}-smtp-login`,
      {
        connection,
        create: renderLoginCommand(),
        stdin: pulumi.all([args.smtp.username, args.smtp.password]).apply(([user, password]) => curlLogin(user, password)),
        triggers: [args.serverId],
        addPreviousOutputInEnv: false,
      },
      onHost,
    );
    new command.remote.Command(
      `${name}-files`,
      {
        connection,
        create: renderInstallFilesCommand(
          args.hostFiles,
          { timer: "coop-check.timer" },
          { heading: "install the alerts (scripts, systemd units)" },
        ),
        triggers: [args.serverId],
        addPreviousOutputInEnv: false,
      },
      { ...onHost, dependsOn: [args.ssh.ready, login] },
    );

    this.upstream = gatusUpstream(args.host);
    this.registerOutputs({ upstream: this.upstream });
  }
}

export function gatusContainerName(host: Pick<DockerHostRef, "namePrefix">): string {
  return dockerName(host, "alerts", "gatus");
}

/** Where the proxy sends the status page: Gatus's web server on the proxy network. */
export function gatusUpstream(host: Pick<DockerHostRef, "namePrefix">): string {
  return `${gatusContainerName(host)}:${GATUS_PORT}`;
}

/** The fixed command that writes the SMTP login (components/alerts/login.sh); only paths are rendered. */
export function renderLoginCommand(root = ""): string {
  return renderScript("alerts/login.sh", [
    `readonly CONFIG_DIR=${shq(root + ALERT_LAYOUT.configDir)}`,
    `readonly CREDENTIALS_FILE=${shq(root + ALERT_LAYOUT.credentialsFile)}`,
  ]);
}

/** The login as a curl config line (`user = "name:password"`), for the login command's stdin. */
export function curlLogin(user: string, password: string): string {
  for (const [k, v] of Object.entries({ user, password })) {
    // curl's config files end a quoted value at `"` and read `\` as an escape.
    if (v === "" || /["\\\r\n]/.test(v)) throw new Error(`the alerts account's ${k} must be one line without " or \\`);
  }
  return `user = "${user}:${password}"\n`;
}
