/**
 * Commands an admin runs by hand (first Mastodon owner, occ), as stack outputs: on a Hetzner
 * host they go through SSH as the admin user; on the local target they run as they are.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ADMIN_USER } from "./cloud-init";
import type { Host } from "./host";

export function onHost(host: Pick<Host, "ipv4">, command: string): pulumi.Input<string> {
  // -t: the commands are interactive (docker exec -it).
  return host.ipv4 ? host.ipv4.apply((ip) => `ssh -t ${ADMIN_USER}@${ip} ${command}`) : command;
}
