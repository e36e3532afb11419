/**
 * How mail fits into a stack: the Mail component's arguments from the spec, the web routes the
 * proxy needs for it (the mail host's certificate and the MTA-STS policy), and the contract
 * between a mail stack and the stacks that send through it (stack outputs read back through a
 * pulumi.StackReference).
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackSecrets } from "../../stacks/config";
import { mailSenders, serviceFqdn, type StackSpec } from "../../stacks/schema";
import { MTA_STS_LABEL, MTA_STS_PATH, mtaStsPolicy } from "../dns/records";
import type { DockerHostRef, SmtpSender, WebRoute } from "../shared/interfaces";
import { Mail, type MailArgs, SUBMISSION_PORT } from "./mail";
import { MAIL_OUTPUTS, type SenderService } from "./contract";

export { MAIL_OUTPUTS };

export function mailArgsFromSpec(
  spec: StackSpec,
  dockerHost: DockerHostRef,
  certificatesVolume: pulumi.Input<string>,
  secrets: StackSecrets,
  memoryMb: number,
): MailArgs {
  const m = spec.services.mail;
  let relay: MailArgs["relay"];
  if (m.relay.host !== null) {
    // readStackSecrets already failed with a config hint if the key is missing.
    if (!secrets.mailRelayPassword) throw new Error("internal: the relay password was not read from the stack's config");
    relay = { host: m.relay.host, port: m.relay.port, username: m.relay.username, password: secrets.mailRelayPassword };
  }
  return {
    dockerHost,
    version: m.version,
    domain: spec.domain,
    hostname: serviceFqdn(spec, "mail"),
    mailboxes: spec.mailboxes.map((b) => ({ localPart: b.localPart, aliases: b.aliases })),
    senders: mailSenders(spec),
    relay,
    certificatesVolume,
    certificateIssuer: spec.host.target === "local" ? "internal" : "acme",
    listenAddress: spec.host.target === "local" ? "127.0.0.1" : "0.0.0.0",
    memoryMb,
  };
}

/** What the proxy serves for mail: a certificate for the mail host and the MTA-STS policy. */
export function mailRoutes(spec: StackSpec): WebRoute[] {
  if (!spec.services.mail.enabled) return [];
  const mailHost = serviceFqdn(spec, "mail");
  return [
    { kind: "certificate", hostname: mailHost },
    {
      kind: "static",
      hostname: `${MTA_STS_LABEL}.${spec.domain}`,
      path: MTA_STS_PATH,
      body: mtaStsPolicy(spec.dns.mailPolicy, [mailHost]),
      contentType: "text/plain; charset=utf-8",
    },
  ];
}

/** The outputs a mail stack exports; passwords stay secret in the other stacks too. */
export function mailStackOutputs(mail: Mail): Record<string, pulumi.Input<unknown>> {
  const out: Record<string, pulumi.Input<unknown>> = {
    [MAIL_OUTPUTS.host]: mail.hostname,
    [MAIL_OUTPUTS.port]: SUBMISSION_PORT,
    [MAIL_OUTPUTS.mailboxPasswords]: mail.mailboxPasswords,
    [MAIL_OUTPUTS.dkimRecord]: mail.dkimRecord,
  };
  for (const [service, sender] of Object.entries(mail.senders) as Array<[SenderService, SmtpSender]>) {
    out[MAIL_OUTPUTS.username(service)] = sender.username;
    out[MAIL_OUTPUTS.password(service)] = pulumi.secret(sender.password);
  }
  return out;
}

/** The part of pulumi.StackReference used here (tests pass a stand-in). */
export interface StackOutputs {
  getOutput(name: pulumi.Input<string>): pulumi.Output<unknown>;
}

/**
 * SMTP settings for this stack's services from the mail stack's outputs. Host, port and address
 * come from this stack's own spec, so they stay visible (and governed) in the plan; only the
 * password is read from the other stack. At deploy time the other stack's outputs are checked,
 * and a mismatch fails with what to change instead of a service that cannot send.
 */
export function smtpSendersFromStack(ref: StackOutputs, spec: StackSpec): Partial<Record<SenderService, SmtpSender>> {
  const stackName = spec.services.mail.fromStack;
  if (!stackName) return {};
  const host = serviceFqdn(spec, "mail");
  const services: SenderService[] = (["mastodon", "nextcloud"] as const).filter((s) => spec.services[s].enabled);
  if (spec.alerts.enabled) services.push("alerts");
  const remoteHost = ref.getOutput(MAIL_OUTPUTS.host);
  const out: Partial<Record<SenderService, SmtpSender>> = {};
  for (const service of services) {
    const address = `${service}@${spec.domain}`;
    const name = MAIL_OUTPUTS.password(service);
    const password = pulumi.all([ref.getOutput(name), remoteHost, ref.getOutput(MAIL_OUTPUTS.username(service))]).apply(([pw, h, user]) => {
      if (h !== host) {
        throw new Error(
          `the mail stack ${stackName} serves mail at ${String(h)}, but this stack's spec expects ${host}: make services.mail.hostname and domain match the mail stack's`,
        );
      }
      if (typeof pw !== "string" || user !== address) {
        throw new Error(
          `the mail stack ${stackName} has no SMTP account ${address} (output ${name}): add ${service} to services.mail.senders in its spec and run \`pulumi up\` there first`,
        );
      }
      return pw;
    });
    out[service] = {
      host,
      port: SUBMISSION_PORT,
      security: "starttls",
      username: address,
      password: pulumi.secret(password),
      fromAddress: address,
    };
  }
  return out;
}

/** The mail section of a stack: its own mail server, or the mail stack's accounts. */
export function declareMail(
  spec: StackSpec,
  dockerHost: DockerHostRef,
  certificatesVolume: pulumi.Input<string> | undefined,
  secrets: StackSecrets,
  memoryMb: number,
): { mail?: Mail; smtpSenders: Partial<Record<SenderService, SmtpSender>> } {
  const m = spec.services.mail;
  if (m.enabled) {
    if (certificatesVolume === undefined)
      throw new Error("internal: the proxy section must set certificatesVolume before the mail section runs");
    const mail = new Mail("mail", mailArgsFromSpec(spec, dockerHost, certificatesVolume, secrets, memoryMb));
    return { mail, smtpSenders: mail.senders };
  }
  if (m.fromStack) {
    const ref = new pulumi.StackReference("mail-stack", { name: m.fromStack });
    return { smtpSenders: smtpSendersFromStack(ref, spec) };
  }
  return { smtpSenders: {} };
}
