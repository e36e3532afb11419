import { describe, expect, it } from "vitest";
import { firewallRules } from "../../../components/host/host";
import { publicPorts } from "../../../components/shared/ports";
import { byName, bundledSpec, governed, ofType, planSpec } from "../../helpers/program";

const HCLOUD = {
  key: "hcloud:index/sshKey:SshKey",
  firewall: "hcloud:index/firewall:Firewall",
  ip: "hcloud:index/primaryIp:PrimaryIp",
  server: "hcloud:index/server:Server",
  volume: "hcloud:index/volume:Volume",
  attachment: "hcloud:index/volumeAttachment:VolumeAttachment",
};

describe("Host on Hetzner (example spec, under mocks)", async () => {
  const { run, view } = await planSpec(bundledSpec("example"), "example");
  const hostUrn = byName(run.resources, "host").urn;
  const hostChildren = run.resources.filter((r) => r.parent === hostUrn);

  it("declares exactly the host's resources", () => {
    const hostTypes = hostChildren.map((r) => `${r.type} ${r.name}`).sort();
    expect(hostTypes).toEqual(
      [
        `${HCLOUD.firewall} host-firewall`,
        `${HCLOUD.ip} host-ipv4`,
        `${HCLOUD.ip} host-ipv6`,
        `${HCLOUD.server} host-server`,
        `${HCLOUD.volume} host-volume`,
        `${HCLOUD.attachment} host-volume-attachment`,
        "command:remote:Command host-ready",
        "command:remote:Command host-admin-keys",
        "command:remote:Command host-grow-data",
        "pulumi:providers:docker host-docker",
      ].sort(),
    );
  });

  it("makes the Host a component under the stack, with every child parented to it", () => {
    const host = byName(run.resources, "host");
    expect(host.type).toBe("coop:host:Host");
    expect(host.custom).toBe(false);
    expect(host.parent).toBe(run.stackUrn);
    for (const r of hostChildren) expect(r.urn).toContain("::coop:host:Host$");
  });

  it("opens SSH only to the listed sources and the services' ports to the world", () => {
    const rules = governed(view, "host-firewall").inputs.rules as Array<Record<string, unknown>>;
    const ssh = rules.filter((r) => r.port === "22");
    expect(ssh).toEqual([expect.objectContaining({ protocol: "tcp", sourceIps: ["198.51.100.0/24", "2001:db8:1234::/48"] })]);
    const opened = rules.filter((r) => r.port !== "22" && r.protocol !== "icmp").map((r) => `${r.port}/${r.protocol}`);
    // No 443/udp: HTTP/3 is off (components/proxy/proxy.ts publishedPorts).
    expect(opened.sort()).toEqual(["25/tcp", "443/tcp", "465/tcp", "587/tcp", "80/tcp", "993/tcp"].sort());
    for (const r of rules.filter((x) => x.port !== "22")) expect(r.sourceIps).toEqual(["0.0.0.0/0", "::/0"]);
    expect(rules.every((r) => r.direction === "in")).toBe(true);
  });

  it("opens no mail ports when mail is off", () => {
    const ports = firewallRules(["203.0.113.7/32"], publicPorts(["mastodon"])).map((r) => `${r.port ?? "-"}/${r.protocol}`);
    expect(ports).toEqual(["-/icmp", "22/tcp", "80/tcp", "443/tcp"]);
  });

  it("protects everything stateful at Hetzner and in Pulumi", () => {
    for (const name of ["host-server", "host-volume", "host-ipv4", "host-ipv6"]) {
      const r = byName(run.resources, name);
      expect(r.options.protect, name).toBe(true);
      expect(governed(view, name).inputs.deleteProtection, name).toBe(true);
    }
    const server = governed(view, "host-server").inputs;
    expect(server.rebuildProtection).toBe(true);
    for (const ip of ["host-ipv4", "host-ipv6"]) expect(governed(view, ip).inputs.autoDelete).toBe(false);
  });

  it("builds the server from the spec, with the firewall and fixed IPs attached at creation", () => {
    const server = governed(view, "host-server").inputs;
    expect(server).toMatchObject({ name: "example-co-op-example", serverType: "cx33", location: "fsn1", image: "debian-12" });
    expect(server.firewallIds).toEqual(["<computed>"]);
    expect(server.publicNets).toEqual([{ ipv4: "<computed>", ipv4Enabled: true, ipv6: "<computed>", ipv6Enabled: true }]);
    expect(String(server.userData)).toMatch(/^#cloud-config\n/);
    expect(governed(view, "host-volume").inputs).toMatchObject({ size: 50, format: "ext4", automount: false });
  });

  it("uploads no Hetzner SSH key: a project refuses a second key with the same fingerprint (other stacks, keys added by hand)", () => {
    expect(ofType(run.resources, HCLOUD.key)).toEqual([]);
    expect(governed(view, "host-server").inputs.sshKeys).toBeUndefined();
  });

  it("keeps the server's create-only inputs out of later changes: an admin change is no rebuild", () => {
    expect(byName(run.resources, "host-server").options.ignoreChanges.sort()).toEqual(["sshKeys", "userData"]);
  });

  it("manages the admins' authorized_keys over SSH from host.admins, after cloud-init, again on a new server", () => {
    const keys = byName(run.resources, "host-admin-keys");
    const create = String(governed(view, "host-admin-keys").inputs.create);
    expect(create).toContain("# ada\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01");
    expect(create).toContain("# grace\nssh-ed25519 ");
    expect(create).toContain('mv -f "$tmp" "$dir/authorized_keys"');
    expect(governed(view, "host-admin-keys").inputs.triggers).toEqual(["<computed>"]);
    expect(keys.options.dependencies).toContain(byName(run.resources, "host-ready").urn);
  });

  it("grows the data file system when the volume grows", () => {
    const grow = byName(run.resources, "host-grow-data");
    expect(String(governed(view, "host-grow-data").inputs.create)).toContain('sudo resize2fs "$device"');
    expect(grow.inputs.triggers).toEqual([50, expect.anything()]);
    expect(grow.options.dependencies).toContain(byName(run.resources, "host-ready").urn);
  });

  it("names every resource explicitly (no provider autonaming)", () => {
    const named = ofType(run.resources, HCLOUD.server).concat(
      ofType(run.resources, HCLOUD.key),
      ofType(run.resources, HCLOUD.firewall),
      ofType(run.resources, HCLOUD.ip),
      ofType(run.resources, HCLOUD.volume),
    );
    for (const r of named) expect(typeof r.inputs.name, r.name).toBe("string");
  });

  it("reaches Docker over SSH as the admin user, only after cloud-init finished", () => {
    const provider = byName(run.resources, "host-docker");
    expect(provider.inputs.host).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9"); // the IP is computed
    // Provider config travels JSON-encoded on the wire, as the engine sees it.
    expect(JSON.parse(String(governed(view, "host-docker").inputs.sshOpts))).toEqual([
      "-o",
      "StrictHostKeyChecking=accept-new",
      "-o",
      "ServerAliveInterval=30",
    ]);
    expect(provider.options.dependencies).toContain(byName(run.resources, "host-ready").urn);
  });
});

describe("Host on the local Docker engine", async () => {
  const { run } = await planSpec(bundledSpec("local"), "local");

  it("declares only a Docker provider on the local socket and nothing at Hetzner", () => {
    expect(run.resources.filter((r) => r.type.startsWith("hcloud:"))).toEqual([]);
    const provider = byName(run.resources, "host-docker");
    expect(provider.inputs.host).toBe("unix:///var/run/docker.sock");
  });
});
