#!/usr/bin/env bash
# Re-reads the stack's Hetzner servers (and the domain blocks it applies to Mastodon) into the Pulumi state while no deploy-job firewall exists.
#
# Why: the hcloud provider records a server's firewall_ids from every firewall Hetzner lists on
# it (public_net.firewalls, including ones applied by label selector), and it reads them right
# after it creates or updates a server. A server created or changed during a deploy therefore
# records the job's own firewall. The next plan would show that as a change of the server's
# firewalls, and applying it would try to take the next job's firewall off the server (refused:
# firewall_managed_by_label_selector). Refreshing only the servers, after the job firewall is
# gone, writes down what Hetzner holds without it; it changes nothing in the cloud.
#
# The program's own dynamic resources (Mastodon's domain blocks) are read again too: a block
# changed or lifted by hand in Mastodon's admin screens is then in the state, so the deploy's
# preview shows putting it back as the members decided (the gate compares it with the lock).
#
# Usage: scripts/ci/refresh-server-state.sh STACK   (needs the Pulumi backend and HCLOUD_TOKEN)
set -euo pipefail

stack="${1:?usage: refresh-server-state.sh STACK}"

# Only URNs leave this pipe: the exported state itself (with its encrypted secrets) is never printed.
urns="$(pulumi stack export --stack "$stack" | node -e '
  let text = "";
  process.stdin.on("data", (c) => (text += c));
  process.stdin.on("end", () => {
    const resources = JSON.parse(text).deployment?.resources ?? [];
    const refreshed = new Set(["hcloud:index/server:Server", "pulumi-nodejs:dynamic:Resource"]);
    for (const r of resources) if (refreshed.has(r.type) && !r.delete) console.log(r.urn);
  });
')"

if [ -z "$urns" ]; then
  echo "No Hetzner server or domain block in the state of stack $stack yet: nothing to refresh."
  exit 0
fi

targets=()
while IFS= read -r urn; do
  targets+=(--target "$urn")
done <<<"$urns"

pulumi refresh --yes --stack "$stack" "${targets[@]}"
