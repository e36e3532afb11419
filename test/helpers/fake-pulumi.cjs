#!/usr/bin/env node
/**
 * A stand-in for the Pulumi CLI in the deploy workflow's tests, modelling what the hcloud
 * provider does with the server's firewalls (terraform-provider-hcloud, internal/server/
 * resource.go): after creating or updating a server, and on refresh, it records firewall_ids
 * from every firewall Hetzner lists on the server, label-selected ones included; a plan whose
 * recorded firewall_ids differ from the program's shows a change, and applying it removes the
 * extra firewalls from the server — which Hetzner refuses for label-selected ones
 * (firewall_managed_by_label_selector). `up` also needs SSH: a firewall applied to the server
 * must admit tcp/22 from the runner's address.
 *
 * Environment: FAKE_DIR (state and call log), FAKE_API (the stand-in's base, .../v1),
 * FAKE_SERVER ({name, labels} from the lock), FAKE_GOVERNED_ID, FAKE_RUNNER_ADDRESS,
 * FAKE_UP=fail to make `up` fail after creating the server, FAKE_UPDATE_SERVER=1 to make `up`
 * update the server (a read after the update).
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.FAKE_DIR;
const api = process.env.FAKE_API.replace(/\/v1$/, "");
const statePath = path.join(dir, "state.json");
const args = process.argv.slice(2);
fs.appendFileSync(path.join(dir, "calls.log"), `${args.join(" ")}\n`);

const readState = () => (fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, "utf8")) : {});
const writeState = (s) => fs.writeFileSync(statePath, JSON.stringify(s));
const governed = Number(process.env.FAKE_GOVERNED_ID);
const wanted = JSON.parse(process.env.FAKE_SERVER);
const urn = `urn:pulumi:example::coop-infra::coop:host:Host$hcloud:index/server:Server::host-server`;

async function hetzner() {
  const res = await fetch(`${api}/__test/state`);
  return res.json();
}
async function serverFirewalls() {
  const s = (await hetzner()).servers.find((x) => x.name === wanted.name);
  return s ? s.public_net.firewalls : [];
}
const same = (a, b) => a.length === b.length && a.every((x) => b.includes(x));
const note = (line) => fs.appendFileSync(path.join(dir, "calls.log"), `  ${line}\n`);

async function main() {
  const [cmd, sub] = args;
  const state = readState();
  if (cmd === "stack" && sub === "select") return 0;
  if (cmd === "stack" && sub === "export") {
    const resources = state.server ? [{ urn, type: "hcloud:index/server:Server", id: String(state.server.id) }] : [];
    process.stdout.write(JSON.stringify({ version: 3, deployment: { manifest: {}, resources } }));
    return 0;
  }
  if (cmd === "refresh") {
    const targets = args.filter((_, i) => args[i - 1] === "--target");
    if (state.server && targets.includes(urn)) {
      state.server.firewallIds = (await serverFirewalls()).map((f) => f.id);
      writeState(state);
      note(`refreshed: firewallIds=${JSON.stringify(state.server.firewallIds)}`);
    }
    return 0;
  }
  if (cmd === "preview") {
    if (state.server && !same(state.server.firewallIds, [governed])) {
      note(`preview-diff: ~ firewallIds ${JSON.stringify(state.server.firewallIds)} => [${governed}]`);
      process.stdout.write(`~ hcloud:index/server:Server host-server update [diff: ~firewallIds]\n`);
    }
    return 0;
  }
  if (cmd === "up") {
    if (state.server && !same(state.server.firewallIds, [governed])) {
      // The provider's update: every firewall on the server that the program does not list is removed.
      const extra = (await serverFirewalls()).filter((f) => f.id !== governed);
      const labelled = (await hetzner()).firewalls.filter(
        (fw) => extra.some((e) => e.id === fw.id) && fw.applied_to.some((a) => a.type === "label_selector"),
      );
      if (labelled.length > 0) {
        process.stderr.write(
          `error: updating urn host-server: firewall_managed_by_label_selector: Firewall is applied via a Label Selector and cannot be removed manually\n`,
        );
        return 1;
      }
    }
    if (!state.server) {
      const res = await fetch(`${api}/__test/servers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: wanted.name, labels: wanted.labels, firewallIds: [governed] }),
      });
      const { server } = await res.json();
      // Create ends with a read: whatever Hetzner lists now is recorded.
      state.server = { id: server.id, firewallIds: server.public_net.firewalls.map((f) => f.id) };
      writeState(state);
      note(`created server: firewallIds=${JSON.stringify(state.server.firewallIds)}`);
    } else if (process.env.FAKE_UPDATE_SERVER === "1") {
      state.server.firewallIds = (await serverFirewalls()).map((f) => f.id);
      writeState(state);
      note(`updated server: firewallIds=${JSON.stringify(state.server.firewallIds)}`);
    }
    if (process.env.FAKE_UP === "fail") {
      process.stderr.write("error: update failed (scripted)\n");
      return 1;
    }
    // SSH to the server, as the remote commands and the Docker provider do.
    const source = `${process.env.FAKE_RUNNER_ADDRESS}/32`;
    for (let i = 0; i < 20; i++) {
      const { firewalls, servers } = await hetzner();
      const s = servers.find((x) => x.name === wanted.name);
      const open = s.public_net.firewalls.some((f) => {
        const fw = firewalls.find((x) => x.id === f.id);
        return fw?.rules.some((r) => r.direction === "in" && r.protocol === "tcp" && r.port === "22" && r.source_ips.includes(source));
      });
      if (open) {
        note("ssh: connected");
        return 0;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    process.stderr.write(`error: ssh: dial tcp 20.0.0.10:22: i/o timeout (no firewall admits ${source})\n`);
    note("ssh: timed out");
    return 1;
  }
  process.stderr.write(`fake pulumi: unexpected command: ${args.join(" ")}\n`);
  return 2;
}
main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`fake pulumi: ${e.stack}\n`);
    process.exit(3);
  },
);
