/**
 * What members read about a change: a mailbox, an alias, an upgrade and its step, in their words,
 * never the names of the resources that implement them.
 */
import { describe, expect, it } from "vitest";
import type { Change } from "../../../plan/diff";
import { describeChanges } from "../../../rulebook/summary/plain-words";

const urn = (name: string, type: string, comp = "coop:mail:Mail") => `urn:pulumi:prod::coop-infra::${comp}$${type}::${name}`;
const accounts = (lines: string[]) =>
  `# Written by coop-infra\n${lines.map((l) => `${l}|{SHA512-CRYPT}$6$<generated-secret>$<generated-secret>`).join("\n")}\n`;

describe("plain words", () => {
  it("a new mailbox and its alias, without the generated password's resources", () => {
    const changes: Change[] = [
      {
        urn: urn("mail-server", "docker:index/container:Container"),
        type: "docker:index/container:Container",
        name: "mail-server",
        op: "update",
        paths: ["uploads[0].content", "uploads[1].content"],
        details: [
          { path: "uploads[0].content", old: accounts(["ada@river.coop"]), new: accounts(["ada@river.coop", "linus@river.coop"]) },
          { path: "uploads[1].content", old: "# aliases\n", new: "# aliases\nsupport@river.coop linus@river.coop\n" },
        ],
      },
      {
        urn: urn("mail-mailbox-linus-password", "random:index/randomPassword:RandomPassword"),
        type: "random:index/randomPassword:RandomPassword",
        name: "mail-mailbox-linus-password",
        op: "create",
      },
      {
        urn: urn("mail-mailbox-linus-salt", "random:index/randomString:RandomString"),
        type: "random:index/randomString:RandomString",
        name: "mail-mailbox-linus-salt",
        op: "create",
      },
    ];
    const sentences = describeChanges(changes).flatMap((s) => s.sentences);
    expect(sentences).toEqual(["Mailbox linus@river.coop is added.", "Alias support@river.coop now reaches linus@river.coop."]);
    expect(sentences.join(" ")).not.toMatch(/mail-mailbox/);
  });

  it("a removed mailbox says its mail goes", () => {
    const changes: Change[] = [
      {
        urn: urn("mail-server", "docker:index/container:Container"),
        type: "docker:index/container:Container",
        name: "mail-server",
        op: "update",
        details: [{ path: "uploads[0].content", old: accounts(["ada@river.coop", "linus@river.coop"]), new: accounts(["ada@river.coop"]) }],
      },
      {
        urn: urn("mail-mailbox-linus-password", "random:index/randomPassword:RandomPassword"),
        type: "random:index/randomPassword:RandomPassword",
        name: "mail-mailbox-linus-password",
        op: "delete",
      },
    ];
    expect(describeChanges(changes).flatMap((s) => s.sentences)).toEqual([
      "Mailbox linus@river.coop is removed (the mail in it is deleted).",
    ]);
  });

  it("an upgrade names its step", () => {
    const c: Change = {
      urn: urn("mastodon-web", "docker:index/container:Container", "coop:mastodon:Mastodon"),
      type: "docker:index/container:Container",
      name: "mastodon-web",
      op: "update",
      details: [{ path: "image", old: "ghcr.io/mastodon/mastodon:v4.6.3", new: "ghcr.io/mastodon/mastodon:v4.6.4" }],
    };
    expect(describeChanges([c]).flatMap((s) => s.sentences)).toEqual(["Mastodon upgrades from v4.6.3 to v4.6.4 (patch)."]);
  });
});

describe("a stack reference in plain words", () => {
  it("says which stack the mail passwords now come from", () => {
    const urn = "urn:pulumi:split-social::coop-infra::pulumi:pulumi:StackReference::mail-stack";
    const [s] = describeChanges([
      {
        urn,
        type: "pulumi:pulumi:StackReference",
        name: "mail-stack",
        op: "update",
        paths: ["name"],
        details: [{ path: "name", old: "organization/coop-infra/split-mail", new: "organization/coop-infra/evil-mail" }],
      },
    ]);
    expect(s.sentences).toEqual([
      "⚠ This stack reads mail-stack from stack organization/coop-infra/evil-mail instead of organization/coop-infra/split-mail (the mail passwords its services use come from there).",
    ]);
  });
});
