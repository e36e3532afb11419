/**
 * Host: where the co-op's containers run, and the Docker provider that reaches it.
 *
 * On Hetzner: a firewall opening exactly the ports the enabled services
 * publish (SSH only from the listed networks), fixed IPv4/IPv6 addresses that outlive the
 * server (mail reputation and reverse DNS stay with them), a server made into a hardened
 * Docker host by cloud-init, and a data volume for every service's data. Everything stateful
 * is protected twice: by Hetzner's delete/rebuild protection and by Pulumi's `protect`. The
 * admins' SSH keys are kept on the host by a command over SSH (components/host/admin-keys.ts).
 *
 * Locally: a Docker provider on the machine's own engine and nothing else.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { ImageName, Location, ServerTypeName } from "../../stacks/catalog";
import { renderAuthorizedKeysCommand, type HostAdmin } from "./admin-keys";

export type { HostAdmin };
import { ADMIN_USER, DATA_DIR, renderCloudInit } from "./cloud-init";
import type { PublicPort } from "../shared/ports";
import { checkedName } from "../shared/naming";

export interface HetznerHostArgs {
  readonly target: "hetzner";
  readonly serverType: ServerTypeName;
  readonly location: Location;
  readonly image: ImageName;
  readonly volumeSizeGb: number;
  /** Networks (CIDR) that may reach SSH. */
  readonly sshSources: readonly string[];
  readonly admins: readonly HostAdmin[];
  /** Ports the services publish to the internet. */
  readonly publicPorts: readonly PublicPort[];
  /** Prefix of every name at Hetzner, unique to the co-op and stack. */
  readonly namePrefix: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** The stack's private network (stacks/growth.ts placement): the subnet and this host's fixed address on it. */
  readonly privateNetwork?: { readonly subnetId: pulumi.Input<string>; readonly ip: string };
}

export interface LocalHostArgs {
  readonly target: "local";
  readonly dockerHost: string;
}

export type HostArgs = HetznerHostArgs | LocalHostArgs;

const WORLD = ["0.0.0.0/0", "::/0"];

/**
 * Lets Docker bind published ports to the private-network address before the interface has it.
 * Hetzner configures the private interface by DHCP after boot, and Docker starts the containers
 * with a restart policy when its daemon starts — possibly first: a port bound to an address the
 * host does not have yet fails, and Docker does not retry a container that failed to start. With
 * this sysctl the bind succeeds and the port answers once the address arrives.
 */
export const PRIVATE_BIND_COMMAND = `# coop-infra: allow binding the private-network address before it is up (components/host/host.ts)
set -euo pipefail
echo 'net.ipv4.ip_nonlocal_bind = 1' | sudo tee /etc/sysctl.d/60-coop-private-bind.conf >/dev/null
sudo sysctl --quiet --load /etc/sysctl.d/60-coop-private-bind.conf
`;

/** Grows the data volume's ext4 file system to the volume's size (idempotent). */
export const GROW_DATA_COMMAND = `# coop-infra: grow the data file system to the volume's size (host.volumeSizeGb)
set -euo pipefail
device=$(findmnt --noheadings --output SOURCE --target ${DATA_DIR})
sudo resize2fs "$device"
`;

export class Host extends pulumi.ComponentResource {
  /** Reaches the host's Docker engine; every container of the stack uses it. */
  readonly dockerProvider: docker.Provider;
  /** Where the data volume is mounted on a Hetzner host (Docker's data root lives under it). */
  readonly dataDir: string;
  readonly target: "hetzner" | "local";
  /** Public addresses and the Hetzner IDs reverse DNS needs; absent on the local target. */
  readonly ipv4?: pulumi.Output<string>;
  readonly ipv6?: pulumi.Output<string>;
  readonly ipv4Id?: pulumi.Output<number>;
  readonly ipv6Id?: pulumi.Output<number>;
  readonly serverId?: pulumi.Output<number>;
  /** How to reach the host's shell (for files and timers Docker cannot manage); Hetzner only. */
  readonly ssh?: { readonly host: pulumi.Output<string>; readonly user: string; readonly ready: pulumi.Resource };
  /** The attachment to the private network: what publishes on the private address waits for it. */
  readonly privateNetwork?: { readonly ip: string; readonly ready: readonly pulumi.Resource[] };

  constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:host:Host", name, {}, opts);
    this.target = args.target;
    this.dataDir = DATA_DIR;

    if (args.target === "local") {
      this.dockerProvider = new docker.Provider(`${name}-docker`, { host: args.dockerHost }, { parent: this });
      this.registerOutputs({ target: this.target });
      return;
    }

    const prefix = checkedName(args.namePrefix);
    const labels = { ...(args.labels ?? {}) };
    const stateful = { parent: this, protect: true };

    // No Hetzner SSH keys: Hetzner refuses a second key with the same fingerprint in a project,
    // so stacks sharing a project (the split example) or a key already uploaded by hand would
    // fail. cloud-init authorizes the admins at the first boot and the admin-keys command below
    // afterwards. (Without a key, Hetzner e-mails a root password; root and password logins are
    // disabled by cloud-init, and the firewall admits SSH only from sshSources from the start.)

    const firewall = new hcloud.Firewall(
      `${name}-firewall`,
      { name: checkedName(`${prefix}-firewall`), labels, rules: firewallRules(args.sshSources, args.publicPorts) },
      { parent: this },
    );

    const ip = (family: "ipv4" | "ipv6") =>
      new hcloud.PrimaryIp(
        `${name}-${family}`,
        {
          name: checkedName(`${prefix}-${family}`),
          type: family,
          location: args.location,
          assigneeType: "server",
          autoDelete: false,
          deleteProtection: true,
          labels,
        },
        stateful,
      );
    const ipv4 = ip("ipv4");
    const ipv6 = ip("ipv6");

    const server = new hcloud.Server(
      `${name}-server`,
      {
        name: prefix,
        serverType: args.serverType,
        image: args.image,
        location: args.location,
        userData: renderCloudInit({ hostname: prefix, image: args.image, adminKeys: args.admins.map((a) => a.sshPublicKey) }),
        firewallIds: [firewall.id.apply(Number)],
        publicNets: [{ ipv4Enabled: true, ipv4: ipv4.id.apply(Number), ipv6Enabled: true, ipv6: ipv6.id.apply(Number) }],
        // Keeping the disk size lets a co-op scale the server back down after scaling it up.
        keepDisk: true,
        backups: false,
        deleteProtection: true,
        rebuildProtection: true,
        shutdownBeforeDeletion: true,
        labels,
      },
      // The name is fixed and unique per project, so a replacement must delete the old server first;
      // the data (volume) and addresses (primary IPs) outlive it.
      // userData and sshKeys are read only when a server is created, and Hetzner replaces the
      // server when they change, which its protection refuses. So they bootstrap the server
      // (cloud-init with the admins of that day) and are then ignored: later admin changes reach
      // the host through the admin-keys command, an ordinary update. (ignoreChanges keeps the
      // recorded value also when the server is replaced on purpose; admin-keys then runs again.)
      { ...stateful, deleteBeforeReplace: true, ignoreChanges: ["userData", "sshKeys"] },
    );

    const volume = new hcloud.Volume(
      `${name}-volume`,
      {
        name: checkedName(`${prefix}-data`),
        size: args.volumeSizeGb,
        location: args.location,
        format: "ext4",
        automount: false,
        deleteProtection: true,
        labels,
      },
      stateful,
    );
    const attachment = new hcloud.VolumeAttachment(
      `${name}-volume-attachment`,
      { serverId: server.id.apply(Number), volumeId: volume.id.apply(Number), automount: false },
      { parent: this },
    );

    // The first `pulumi up` must not talk to Docker before cloud-init has installed it.
    const ready = new command.remote.Command(
      `${name}-ready`,
      {
        connection: { host: ipv4.ipAddress, user: ADMIN_USER, dialErrorLimit: 60, perDialTimeout: 20 },
        create: `cloud-init status --wait >/dev/null || true; mountpoint -q ${DATA_DIR} && docker info --format '{{.ServerVersion}}'`,
        // A rebuilt server runs cloud-init again: wait for it again.
        triggers: [server.id],
        // Some sshd configurations refuse the extra environment variable (pulumi-command#430).
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: [server, attachment] },
    );

    const connection = { host: ipv4.ipAddress, user: ADMIN_USER, dialErrorLimit: 60, perDialTimeout: 20 };
    // Who may log in, from host.admins: runs again when the list changes or the server is new.
    // Add a new key in one deploy and remove the old one in the next: the deploy logs in with one of them.
    new command.remote.Command(
      `${name}-admin-keys`,
      { connection, create: renderAuthorizedKeysCommand(args.admins), triggers: [server.id], addPreviousOutputInEnv: false },
      { parent: this, dependsOn: [ready] },
    );

    // Hetzner grows a volume but not its file system: growing host.volumeSizeGb runs resize2fs on
    // the mounted volume (ext4 grows online; with nothing to grow it changes nothing).
    new command.remote.Command(
      `${name}-grow-data`,
      { connection, create: GROW_DATA_COMMAND, triggers: [volume.size, server.id], addPreviousOutputInEnv: false },
      { parent: this, dependsOn: [ready] },
    );

    // The private network (stacks/growth.ts placement): the address is fixed, so the database
    // host's published ports and the workers' settings can name it in the plan.
    if (args.privateNetwork) {
      const attachment = new hcloud.ServerNetwork(
        `${name}-private-network`,
        { serverId: server.id.apply(Number), subnetId: args.privateNetwork.subnetId, ip: args.privateNetwork.ip },
        { parent: this },
      );
      const bind = new command.remote.Command(
        `${name}-private-bind`,
        { connection, create: PRIVATE_BIND_COMMAND, triggers: [server.id], addPreviousOutputInEnv: false },
        { parent: this, dependsOn: [ready] },
      );
      this.privateNetwork = { ip: args.privateNetwork.ip, ready: [attachment, bind] };
    }

    this.dockerProvider = new docker.Provider(
      `${name}-docker`,
      {
        host: pulumi.interpolate`ssh://${ADMIN_USER}@${ipv4.ipAddress}`,
        sshOpts: ["-o", "StrictHostKeyChecking=accept-new", "-o", "ServerAliveInterval=30"],
      },
      { parent: this, dependsOn: [ready] },
    );

    this.ipv4 = ipv4.ipAddress;
    this.ipv6 = ipv6.ipAddress;
    this.ipv4Id = ipv4.id.apply(Number);
    this.ipv6Id = ipv6.id.apply(Number);
    this.serverId = server.id.apply(Number);
    this.ssh = { host: ipv4.ipAddress, user: ADMIN_USER, ready };
    this.registerOutputs({ target: this.target, ipv4: this.ipv4, ipv6: this.ipv6, serverId: this.serverId });
  }
}

/** Inbound rules: ICMP, SSH from the admins' networks, and each published port from anywhere. */
export function firewallRules(sshSources: readonly string[], ports: readonly PublicPort[]): hcloud.types.input.FirewallRule[] {
  return [
    { direction: "in", protocol: "icmp", sourceIps: WORLD, description: "ping and path MTU discovery" },
    { direction: "in", protocol: "tcp", port: "22", sourceIps: [...sshSources], description: "SSH from the admins' networks" },
    ...ports.map((p) => ({ direction: "in", protocol: p.protocol, port: String(p.port), sourceIps: WORLD, description: p.purpose })),
  ];
}
