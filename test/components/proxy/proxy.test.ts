import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { runProgramOffline } from "../../../cli/offline/run-program";
import { type CoopStack, declareCoop } from "../../../components/coop";
import { BlockList } from "node:net";
import {
  CADDYFILE_PATH,
  PROXY_ADDRESS,
  PROXY_ADDRESS_V6,
  PROXY_DYNAMIC_RANGE,
  PROXY_DYNAMIC_RANGE_V6,
  PROXY_SUBNET,
  PROXY_SUBNET_V6,
  retryCertificatesCommand,
} from "../../../components/proxy/proxy";
import { CADDY_IMAGE } from "../../../components/shared/images";
import { PROJECT, byName, bundledSpec, planSpec } from "../../helpers/program";
import { withTool } from "../../helpers/tools";
import { publishedPorts as publishedPortsOracle } from "../../helpers/web-oracles";

const itCaddy = withTool("caddy", "caddy");
const dir = mkdtempSync(join(tmpdir(), "coop-proxy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function caddyValidate(name: string, text: string): string {
  const file = join(dir, `${name}.Caddyfile`);
  writeFileSync(file, text);
  const env = { ...process.env, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config"), HOME: dir };
  return execFileSync("caddy", ["validate", "--adapter", "caddyfile", "--config", file], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function caddyfileOf(inputs: Record<string, unknown>): string {
  const uploads = inputs.uploads as Array<{ file: string; content: string }>;
  expect(uploads.map((u) => u.file)).toEqual([CADDYFILE_PATH]);
  return uploads[0].content;
}

describe("the proxy on a Hetzner host (example spec)", async () => {
  const { run } = await planSpec(bundledSpec("example"), "example");
  const caddy = byName(run.resources, "proxy-caddy");
  const P = "example-co-op-example";

  it("is a component with a network, two named volumes and the Caddy container", () => {
    const urn = byName(run.resources, "proxy").urn;
    expect(byName(run.resources, "proxy").type).toBe("coop:proxy:Proxy");
    expect(
      run.resources
        .filter((r) => r.parent === urn)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["proxy-caddy", "proxy-config", "proxy-data", "proxy-network"]);
  });

  it("publishes the oracle's TCP proxy ports on IPv4 and IPv6, and no HTTP/3", () => {
    const oracle = publishedPortsOracle()
      .filter((p) => p.container === "caddy")
      .map((p) => p.port)
      .sort();
    expect(oracle).toEqual(["443/tcp", "443/udp", "80/tcp"]);
    const ports = (caddy.inputs.ports as Array<{ internal: number; external: number; protocol: string; ip?: string }>).map((p) => {
      expect(p.internal).toBe(p.external);
      return `${p.ip} ${p.external}/${p.protocol}`;
    });
    // The Docker provider's default address is 0.0.0.0 (IPv4 only): :: must be asked for, or the
    // web names' AAAA records would point at a closed port. 443/udp (HTTP/3, optional in the
    // oracle) would make the provider replace the proxy on every run (ports.test.ts).
    expect(ports).toEqual(["0.0.0.0 80/tcp", ":: 80/tcp", "0.0.0.0 443/tcp", ":: 443/tcp"]);
    expect(caddyfileOf(caddy.inputs)).toContain("\tservers {\n\t\tprotocols h1 h2\n\t}\n");
    // Caddy is the edge: it takes the client's address from the connection (real on both
    // families now) and sets X-Forwarded-For itself, trusting no forwarded header it receives.
    expect(caddyfileOf(caddy.inputs)).not.toContain("trusted_proxies");
  });

  it("pins Caddy 2.11 and keeps /data and /config on named, protected volumes", () => {
    expect(caddy.inputs.image).toBe(CADDY_IMAGE);
    expect(CADDY_IMAGE).toMatch(/^caddy:2\.11(\.\d+)?(-alpine)?$/);
    expect(caddy.inputs.volumes).toEqual([
      { volumeName: `${P}-proxy-data`, containerPath: "/data" },
      { volumeName: `${P}-proxy-config`, containerPath: "/config" },
    ]);
    for (const v of ["proxy-data", "proxy-config"]) {
      expect(byName(run.resources, v).options.protect, v).toBe(true);
      expect(byName(run.resources, v).options.retainOnDelete, v).toBe(true);
    }
  });

  it("sits at a fixed address outside the range Docker hands out on the proxy network", () => {
    const net = byName(run.resources, "proxy-network");
    // IPv6 on the network: Docker then forwards IPv6 clients to Caddy's IPv6 address with their
    // own source address, instead of through its userland proxy to the IPv4 one (every IPv6
    // visitor would arrive as the gateway, sharing one rate limit).
    expect(net.inputs).toMatchObject({
      name: `${P}-proxy-network`,
      ipv6: true,
      ipamConfigs: [
        { subnet: PROXY_SUBNET, ipRange: PROXY_DYNAMIC_RANGE },
        { subnet: PROXY_SUBNET_V6, ipRange: PROXY_DYNAMIC_RANGE_V6 },
      ],
    });
    expect(net.inputs.internal).toBeUndefined(); // the services reach the internet through it
    expect(caddy.inputs.networksAdvanced).toEqual([
      { name: `${P}-proxy-network`, ipv4Address: PROXY_ADDRESS, ipv6Address: PROXY_ADDRESS_V6 },
    ]);
    const within = (address: string, cidr: string) => {
      const [base, bits] = cidr.split("/");
      const list = new BlockList();
      list.addSubnet(base, Number(bits), "ipv6");
      return list.check(address, "ipv6");
    };
    expect(within(PROXY_ADDRESS_V6, PROXY_SUBNET_V6)).toBe(true);
    expect(within(PROXY_ADDRESS_V6, PROXY_DYNAMIC_RANGE_V6)).toBe(false);
    expect(within(PROXY_DYNAMIC_RANGE_V6.split("/")[0], PROXY_SUBNET_V6)).toBe(true);
    const [base, bits] = PROXY_DYNAMIC_RANGE.split("/");
    const last = (a: string) => Number(a.split(".")[3]);
    const first = last(base);
    const size = 2 ** (32 - Number(bits));
    expect(last(PROXY_ADDRESS) < first || last(PROXY_ADDRESS) >= first + size).toBe(true);
    expect(PROXY_ADDRESS.startsWith(PROXY_SUBNET.split(".").slice(0, 3).join("."))).toBe(true);
  });

  it("has a restart policy and a health check on the admin API (never published)", () => {
    expect(caddy.inputs.restart).toBe("unless-stopped");
    const tests = (caddy.inputs.healthcheck as Record<string, unknown>).tests as string[];
    expect(tests.join(" ")).toContain("http://127.0.0.1:2019/");
    expect((caddy.inputs.ports as Array<{ internal: number }>).some((p) => p.internal === 2019)).toBe(false);
    expect(caddy.options.deleteBeforeReplace).toBe(true);
  });

  it("serves Let's Encrypt certificates for the web names (no internal CA on a server)", () => {
    const text = caddyfileOf(caddy.inputs);
    expect(text).not.toContain("local_certs");
    expect(text).toContain("social.example.coop {");
    expect(text).toContain("cloud.example.coop {");
  });

  itCaddy("uploads a Caddyfile that `caddy validate` accepts", () => {
    expect(caddyValidate("example", caddyfileOf(caddy.inputs))).toContain("Valid configuration");
  });
});

describe("the proxy on the local target (local spec)", async () => {
  const spec = bundledSpec("local");
  const { run } = await planSpec(spec, "local");
  const caddy = byName(run.resources, "proxy-caddy");

  it("uses Caddy's internal authority and the configured host ports", () => {
    const text = caddyfileOf(caddy.inputs);
    expect(text).toContain("\tlocal_certs\n");
    expect(text).toContain("social.example.localhost {");
    const host = spec.host.target === "local" ? spec.host : undefined;
    const ports = (caddy.inputs.ports as Array<{ external: number; protocol: string; ip?: string }>)
      .map((p) => `${p.ip}:${p.external}/${p.protocol}`)
      .sort();
    // Only this machine may connect.
    expect(ports).toEqual([`127.0.0.1:${host?.httpPort}/tcp`, `127.0.0.1:${host?.httpsPort}/tcp`].sort());
    // No IPv6 on a laptop's engine, which may not have it: the proxy answers on 127.0.0.1 only.
    expect(byName(run.resources, "proxy-network").inputs.ipv6).toBeUndefined();
  });

  it("follows other host ports when the admin picks them", async () => {
    const other = await planSpec(
      { ...spec, host: { ...spec.host, target: "local", httpPort: 8080, httpsPort: 8443 } } as typeof spec,
      "local",
    );
    const c = byName(other.run.resources, "proxy-caddy");
    const text = caddyfileOf(c.inputs);
    expect(text).toContain("\thttps_port 8443\n");
    expect((c.inputs.ports as Array<{ internal: number; external: number }>).map((p) => `${p.internal}:${p.external}`).sort()).toEqual([
      "8080:8080",
      "8443:8443",
    ]);
  });

  itCaddy("uploads a Caddyfile that `caddy validate` accepts", () => {
    expect(caddyValidate("local", caddyfileOf(caddy.inputs))).toContain("Valid configuration");
  });
});

describe("certificates promptly once DNS points here", async () => {
  const outputs = await (async () => {
    let out: CoopStack["outputs"] = {};
    await runProgramOffline({
      project: PROJECT,
      stack: "example",
      spec: bundledSpec("example"),
      declare: (a) => (out = declareCoop(a).outputs),
    });
    return out;
  })();

  it("gives the command that makes Caddy try now, as a stack output on a server", async () => {
    const command = retryCertificatesCommand({ namePrefix: "example-co-op-example" });
    expect(command).toBe(
      `docker exec example-co-op-example-proxy-caddy caddy reload --config ${CADDYFILE_PATH} --adapter caddyfile --force`,
    );
    const output = outputs.retryCertificates as pulumi.Output<string>;
    expect(pulumi.Output.isInstance(output)).toBe(true);
  });

  itCaddy("is a reload Caddy performs even with the config unchanged (--force), which starts certificate management afresh", async () => {
    const port = 20000 + (process.pid % 20000);
    const admin = `127.0.0.1:${port}`;
    const file = join(dir, "reload.Caddyfile");
    writeFileSync(file, `{\n\tadmin ${admin}\n\tauto_https off\n}\n\nhttp://127.0.0.1:${port + 1} {\n\trespond "ok"\n}\n`);
    const env = { ...process.env, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config"), HOME: dir };
    const caddy = spawn("caddy", ["run", "--config", file, "--adapter", "caddyfile"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    caddy.stderr.on("data", (d) => (log += d));
    // Each time Caddy (re)starts its certificate management: at start, and at every real reload.
    const loads = () => (log.match(/"started background certificate maintenance"/g) ?? []).length;
    const settle = async (want: number) => {
      for (let i = 0; i < 50 && loads() < want; i++) await new Promise((r) => setTimeout(r, 100));
    };
    try {
      await settle(1);
      expect(loads()).toBe(1);
      // The stack output's command, run against this Caddy's admin address.
      const args = retryCertificatesCommand({ namePrefix: "p" })
        .split(" ")
        .slice(4) // after "docker exec <container> caddy"
        .map((a) => (a === CADDYFILE_PATH ? file : a));
      const run = (a: string[]) => spawnSync("caddy", [...a, "--address", admin], { env, encoding: "utf8" });
      // Without --force, Caddy skips a config identical to the running one: nothing is retried.
      expect(run(args.filter((a) => a !== "--force")).status).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(log).toContain("config is unchanged");
      expect(loads()).toBe(1);
      expect(run(args).status).toBe(0);
      await settle(2);
      expect(loads()).toBe(2);
    } finally {
      caddy.kill();
    }
  });
});
