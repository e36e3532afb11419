/**
 * The three-stack example (stacks/split-*.yaml): mail, Mastodon and Nextcloud on three hosts,
 * the services sending through the mail stack via a pulumi.StackReference.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { describe, expect, it } from "vitest";
import { declareCoop, type CoopArgs } from "../../components/coop";
import { dnsPlanFor } from "../../components/dns/plan";
import { dnsRecords } from "../../components/dns/records";
import { MAIL_OUTPUTS } from "../../components/mail/contract";
import { runProgramOffline } from "../../cli/offline/run-program";
import { buildView, type DesiredStateView } from "../../plan/view";
import { SERVER_TYPES, memoryNeededMb, usableMemoryMb } from "../../stacks/catalog";
import { enabledServices, type StackSpec } from "../../stacks/schema";
import { PROJECT, bundledSpec, governed, ofType } from "../helpers/program";

const STACKS = ["split-mail", "split-social", "split-cloud"] as const;
const MAIL_STACK = "organization/coop-infra/split-mail";
const REFERENCE = "pulumi:pulumi:StackReference";

interface Read {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

/**
 * A declaration that records the stack references the program reads and, when `outputs` is
 * given, answers them as the referenced stack would after its `pulumi up`.
 */
function withReferences(reads: Read[], outputs?: (stack: string) => { values: Record<string, unknown>; secret: string[] } | undefined) {
  return (args: CoopArgs) => {
    const monitor = settings.getMonitor() as unknown as {
      mocks: { newResource(a: Read & { custom: boolean; id?: string }): unknown; call(a: unknown): unknown };
    };
    const mocks = monitor.mocks;
    monitor.mocks = {
      call: (a) => mocks.call(a),
      newResource: (a) => {
        if (a.type !== REFERENCE) return mocks.newResource(a);
        reads.push({ type: a.type, name: a.name, inputs: a.inputs });
        const o = outputs?.(String(a.inputs.name));
        return {
          id: String(a.inputs.name),
          state: o ? { name: a.inputs.name, outputs: o.values, secretOutputNames: o.secret } : { name: a.inputs.name },
        };
      },
    };
    return declareCoop(args);
  };
}

async function plan(
  stack: string,
  declare?: (args: CoopArgs) => unknown,
): Promise<{ spec: StackSpec; view: DesiredStateView; resources: Awaited<ReturnType<typeof runProgramOffline>>["resources"] }> {
  const spec = bundledSpec(stack);
  const run = await runProgramOffline({ project: PROJECT, stack, spec, declare });
  return { spec, view: buildView(PROJECT, stack, run.resources, run.secretPlaceholders), resources: run.resources };
}

const envOf = (view: DesiredStateView, name: string) => governed(view, name).inputs.envs as string[];
const smtpContainers = (view: DesiredStateView) =>
  view.resources.filter((r) =>
    (r.inputs.envs as string[] | undefined)?.some((e) => e === "SMTP_SERVER=mail.example.coop" || e === "SMTP_HOST=mail.example.coop"),
  );

describe("the three-stack example", async () => {
  // What the mail stack exports, from its own program.
  let mailOutputs: Record<string, pulumi.Input<unknown>> = {};
  const mail = await plan("split-mail", (args) => (mailOutputs = declareCoop(args).outputs));

  it("fits each stack on its server type", () => {
    for (const stack of STACKS) {
      const spec = bundledSpec(stack);
      expect(spec.host.target, stack).toBe("hetzner");
      if (spec.host.target !== "hetzner") continue;
      const needed = memoryNeededMb(enabledServices(spec));
      expect(needed, `${stack} on ${spec.host.serverType} (${SERVER_TYPES[spec.host.serverType].memoryGb} GB)`).toBeLessThanOrEqual(
        usableMemoryMb(spec.host.serverType),
      );
    }
    expect(STACKS.map((s) => enabledServices(bundledSpec(s)))).toEqual([["mail"], ["mastodon"], ["nextcloud"]]);
  });

  it("gives the mail stack SMTP accounts for the other stacks' services and exports them", async () => {
    expect(mail.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(["mail-sender-mastodon-password", "mail-sender-nextcloud-password"]),
    );
    for (const s of ["mastodon", "nextcloud"] as const) {
      expect(mailOutputs[MAIL_OUTPUTS.username(s)]).toBe(`${s}@example.coop`);
      expect(await pulumi.isSecret(mailOutputs[MAIL_OUTPUTS.password(s)] as pulumi.Output<string>), s).toBe(true);
    }
    expect(mailOutputs[MAIL_OUTPUTS.host]).toBe("mail.example.coop");
    expect(mailOutputs[MAIL_OUTPUTS.port]).toBe(587);
  });

  it("lets only the mail stack own the zone; the others add their own names to it", async () => {
    const social = await plan("split-social");
    const cloud = await plan("split-cloud");
    expect(ofType(mail.resources, "hcloud:index/zone:Zone")).toHaveLength(1);
    expect(ofType(social.resources, "hcloud:index/zone:Zone")).toHaveLength(0);
    expect(ofType(cloud.resources, "hcloud:index/zone:Zone")).toHaveLength(0);
    const rrsets = (p: { view: DesiredStateView }) =>
      p.view.resources.filter((r) => r.type === "hcloud:index/zoneRrset:ZoneRrset").map((r) => `${r.inputs.name} ${r.inputs.type}`);
    expect(rrsets(social)).toEqual(["social A", "social AAAA"]);
    expect(rrsets(cloud)).toEqual(["cloud A", "cloud AAAA"]);
    for (const p of [social, cloud]) {
      for (const r of p.view.resources.filter((x) => x.type === "hcloud:index/zoneRrset:ZoneRrset"))
        expect(r.inputs.zone).toBe("example.coop");
    }
    // No record set is declared by two stacks, and together they publish what the one-stack example does.
    const all = [...rrsets(mail), ...rrsets(social), ...rrsets(cloud)];
    expect(new Set(all).size).toBe(all.length);
    const oneStack = dnsRecords(dnsPlanFor(bundledSpec("example")), { ipv4: "", ipv6: "", dkim: "" }).map((r) => `${r.name} ${r.type}`);
    expect(all.sort()).toEqual(oneStack.sort());
  });

  it("points each host's reverse DNS at its own name", async () => {
    for (const [stack, ptr] of [
      ["split-mail", "mail.example.coop"],
      ["split-social", "social.example.coop"],
      ["split-cloud", "cloud.example.coop"],
    ] as const) {
      const p = stack === "split-mail" ? mail : await plan(stack);
      const ptrs = p.view.resources.filter((r) => r.type === "hcloud:index/rdns:Rdns").map((r) => r.inputs.dnsPtr);
      expect(ptrs, stack).toEqual([ptr, ptr]);
    }
  });

  it("runs no mail server in the service stacks, which read the mail stack through a StackReference", async () => {
    for (const stack of ["split-social", "split-cloud"]) {
      const reads: Read[] = [];
      const p = await plan(stack, withReferences(reads));
      expect(
        p.resources.some((r) => r.type === "coop:mail:Mail"),
        stack,
      ).toBe(false);
      expect(reads, stack).toEqual([{ type: REFERENCE, name: "mail-stack", inputs: { name: MAIL_STACK } }]);
      // Unknown at preview: the password is computed; host, port and account come from the spec.
      const [container] = smtpContainers(p.view);
      expect(container, `${stack}: a container with SMTP settings`).toBeDefined();
      expect(container.inputs.envs).toContain("<computed>");
    }
  });

  it("wires the mail stack's exported names into Mastodon's and Nextcloud's SMTP settings", async () => {
    // Answer the reference with exactly the outputs the mail stack exports (fake secret values).
    const values: Record<string, unknown> = {};
    const secret: string[] = [];
    for (const [name, v] of Object.entries(mailOutputs)) {
      if (pulumi.Output.isInstance(v)) {
        values[name] = `fake-${name}`;
        secret.push(name);
      } else values[name] = v;
    }
    const answer = (stack: string) => (stack === MAIL_STACK ? { values, secret } : undefined);

    const social = await plan("split-social", withReferences([], answer));
    expect(envOf(social.view, "mastodon-web")).toEqual(
      expect.arrayContaining([
        "SMTP_SERVER=mail.example.coop",
        "SMTP_PORT=587",
        "SMTP_LOGIN=mastodon@example.coop",
        `SMTP_PASSWORD=fake-${MAIL_OUTPUTS.password("mastodon")}`,
        "SMTP_FROM_ADDRESS=mastodon@example.coop",
      ]),
    );
    const cloud = await plan("split-cloud", withReferences([], answer));
    const [nextcloud] = smtpContainers(cloud.view);
    expect(nextcloud.inputs.envs).toEqual(
      expect.arrayContaining(["SMTP_HOST=mail.example.coop", "SMTP_PORT=587", `SMTP_PASSWORD=fake-${MAIL_OUTPUTS.password("nextcloud")}`]),
    );
  });

  it("fails the deployment with what to change when the mail stack does not match", async () => {
    const base = {
      [MAIL_OUTPUTS.host]: "mail.example.coop",
      [MAIL_OUTPUTS.port]: 587,
      [MAIL_OUTPUTS.username("mastodon")]: "mastodon@example.coop",
      [MAIL_OUTPUTS.password("mastodon")]: "pw",
    };
    const wrongHost = () => ({ values: { ...base, [MAIL_OUTPUTS.host]: "mx.example.coop" }, secret: [] });
    await expect(plan("split-social", withReferences([], wrongHost))).rejects.toThrow(
      /serves mail at mx\.example\.coop.*services\.mail\.hostname/,
    );
    const noSender = () => ({ values: { [MAIL_OUTPUTS.host]: "mail.example.coop", [MAIL_OUTPUTS.port]: 587 }, secret: [] });
    await expect(plan("split-social", withReferences([], noSender))).rejects.toThrow(
      /no SMTP account mastodon@example\.coop.*services\.mail\.senders/,
    );
  });
});
