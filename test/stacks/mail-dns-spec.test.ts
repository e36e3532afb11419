import { describe, expect, it } from "vitest";
import { StackSpecSchema, mailSenders, type StackSpecInput } from "../../stacks/schema";
import { specIssues } from "../helpers/spec-issues";

const HOST = {
  target: "hetzner" as const,
  serverType: "cx33" as const,
  sshSources: ["203.0.113.7/32"],
  admins: [{ name: "ada", sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01 ada@test" }],
};
const ROLES = ["postmaster", "dmarc.report", "tlsrpt"];
const base = (extra: Partial<StackSpecInput> = {}): StackSpecInput => ({
  coop: { name: "Test Co-op" },
  domain: "test.coop",
  host: HOST,
  mailboxes: [{ localPart: "ada", name: "Ada", aliases: ROLES }],
  backups: { enabled: false },
  ...extra,
});

const issues = specIssues;

describe("mail and DNS fields of the spec", () => {
  it("accept the defaults: mail here, senders for the services enabled here, testing policy, zone owned", () => {
    const spec = StackSpecSchema.parse(base());
    expect(spec.services.mail).toMatchObject({ enabled: true, fromStack: null, senders: null, relay: { host: null, spfInclude: null } });
    expect(spec.dns).toMatchObject({ manageZone: true, mailPolicy: "testing" });
    // The stack's own alerts send through its own mail server (alerts@<domain>).
    expect(mailSenders(spec)).toEqual(["alerts", "mastodon", "nextcloud"]);
    expect(mailSenders({ ...spec, alerts: { ...spec.alerts, enabled: false } })).toEqual(["mastodon", "nextcloud"]);
  });

  it("require the relay's SPF include and user name with a relay host", () => {
    const got = issues(base({ services: { mail: { relay: { host: "smtp.relay.example" } } } }));
    expect(got.map((i) => i.path).sort()).toEqual(["services.mail.relay.spfInclude", "services.mail.relay.username"]);
    expect(got.find((i) => i.path.endsWith("spfInclude"))!.hint).toMatch(/include:/);
    expect(
      issues(base({ services: { mail: { relay: { host: "smtp.relay.example", username: "u", spfInclude: "spf.relay.example" } } } })),
    ).toEqual([]);
    expect(
      issues(base({ services: { mail: { relay: { host: "smtp.relay.example", username: "a:b", spfInclude: "spf.relay.example" } } } }))[0]
        .path,
    ).toBe("services.mail.relay.username");
  });

  it("require someone to receive postmaster, DMARC and TLS reports when there are mailboxes", () => {
    const got = issues(base({ mailboxes: [{ localPart: "ada", name: "Ada", aliases: ["postmaster"] }] }));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ path: "mailboxes" });
    expect(got[0].message).toContain("dmarc.report@test.coop, tlsrpt@test.coop");
    expect(got[0].hint).toContain("aliases: [postmaster, dmarc.report, tlsrpt]");
  });

  it("keep the services' SMTP accounts apart from members' addresses", () => {
    const got = issues(base({ mailboxes: [{ localPart: "mastodon", name: "M", aliases: ROLES }] }));
    expect(got.map((i) => i.message)).toEqual([expect.stringContaining("mastodon@test.coop is the SMTP account of mastodon")]);
  });

  it("refuse a mail server without any account (docker-mailserver would not start)", () => {
    const got = issues(
      base({ mailboxes: [], services: { mastodon: { enabled: false }, nextcloud: { enabled: false } }, alerts: { enabled: false } }),
    );
    expect(got.map((i) => i.path)).toEqual(["mailboxes"]);
    expect(got[0].message).toMatch(/does not start without one/);
  });

  it("make a stack either run mail or send through another stack's", () => {
    const both = issues(base({ services: { mail: { fromStack: "org/coop-infra/mail" } } }));
    expect(both.map((i) => i.path)).toEqual(["services.mail.fromStack"]);
    const neither = issues(base({ mailboxes: [], services: { mail: { enabled: false } } }));
    expect(neither.map((i) => i.path)).toEqual(["services.mail"]);
    expect(neither[0].message).toMatch(/mastodon and nextcloud need a mail server/);
    expect(neither[0].hint).toMatch(/fromStack/);
    expect(issues(base({ mailboxes: [], services: { mail: { enabled: false, fromStack: "org/coop-infra/mail" } } }))).toEqual([]);
  });

  it("check the mail stack's name and that something uses it", () => {
    const short = issues(base({ mailboxes: [], services: { mail: { enabled: false, fromStack: "mail" } } }));
    expect(short[0].message).toMatch(/<organization>\/<project>\/<stack>/);
    const unused = issues(
      base({
        mailboxes: [],
        services: { mastodon: { enabled: false }, nextcloud: { enabled: false }, mail: { enabled: false, fromStack: "org/p/mail" } },
      }),
    );
    expect(unused.map((i) => i.path)).toContain("services.mail.fromStack");
  });

  it("use the listed senders on a mail stack that serves other stacks", () => {
    const spec = StackSpecSchema.parse(
      base({
        services: {
          mastodon: { enabled: false },
          nextcloud: { enabled: false },
          mail: { senders: ["nextcloud", "mastodon", "nextcloud"] },
        },
      }),
    );
    // Listed once each, and this stack's own alerts account beside them.
    expect(mailSenders(spec)).toEqual(["alerts", "mastodon", "nextcloud"]);
    expect(
      issues(base({ mailboxes: [], services: { mail: { enabled: false, senders: ["mastodon"], fromStack: "o/p/s" } } })).map((i) => i.path),
    ).toContain("services.mail.senders");
  });

  it("refuse Hetzner DNS for a local stack", () => {
    const got = issues({
      coop: { name: "T" },
      domain: "t.localhost",
      host: { target: "local" },
      dns: { provider: "hetzner" },
      backups: { enabled: false },
      alerts: { enabled: false },
    });
    expect(got.map((i) => i.path)).toEqual(["dns.provider"]);
  });

  it("know only the three mail policies", () => {
    expect(issues(base({ dns: { mailPolicy: "strict" as "reject" } })).map((i) => i.path)).toEqual(["dns.mailPolicy"]);
  });
});
