import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  FILE_HEADER,
  MAIL_FILES,
  accountLine,
  dkimKeyPath,
  renderAccounts,
  renderDkimSigning,
  renderRelayPasswords,
  renderVirtual,
} from "../../../components/mail/files";
import { sha512Crypt } from "../../../components/mail/sha512-crypt";
import { withTool } from "../../helpers/tools";

/** Lines DMS reads (it skips blank lines and comments). */
const dataLines = (text: string) => text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));

describe("sha512Crypt", () => {
  // Test vectors from the specification "Unix crypt using SHA-256 and SHA-512" (U. Drepper).
  it.each([
    [
      "Hello world!",
      "saltstring",
      5000,
      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ],
    [
      "Hello world!",
      "saltstringsaltstring",
      10000,
      "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
    ],
    [
      "This is just a test",
      "toolongsaltstring",
      5000,
      "$6$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
    ],
    [
      "a very much longer text to encrypt.  This one even stretches over morethan one line.",
      "anotherlongsaltstring",
      1400,
      "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
    ],
    [
      "we have a short salt string but not a short password",
      "short",
      77777,
      "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0",
    ],
  ])("matches the specification's vector for %j", (password, salt, rounds, expected) => {
    expect(sha512Crypt(password, salt, rounds)).toBe(expected);
  });

  it("clamps rounds as glibc does and rejects salts outside the crypt alphabet", () => {
    expect(sha512Crypt("the minimum number is still observed", "roundstoolow", 10)).toBe(
      "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
    );
    expect(() => sha512Crypt("pw", "has$dollar")).toThrow(/salt/);
    expect(() => sha512Crypt("pw", "")).toThrow(/salt/);
  });

  it("hashes non-ASCII passwords as their UTF-8 bytes", () => {
    expect(sha512Crypt("pässwörd", "abc")).not.toBe(sha512Crypt("passwoerd", "abc"));
    expect(sha512Crypt("pässwörd", "abc")).toMatch(/^\$6\$abc\$[./0-9A-Za-z]{86}$/);
  });
});

describe("postfix-accounts.cf", () => {
  const accounts = [
    { address: "grace@example.coop", password: "Zr4xWq9LmN2pT7vY1bC5dE8fG3hJ6kQ0", salt: "AbCdEfGh12345678" },
    { address: "ada@example.coop", password: "correct horse battery staple", salt: "s4lt" },
    { address: "mastodon@example.coop", password: "pässwörd|with:odd$chars", salt: "./09AZaz" },
  ];

  it("writes one DMS account line per account, sorted, after a header DMS skips", () => {
    const text = renderAccounts(accounts);
    expect(text.startsWith(FILE_HEADER)).toBe(true);
    expect(FILE_HEADER).not.toMatch(/.+@.+\|/); // DMS counts such lines as accounts
    const lines = dataLines(text);
    expect(lines.map((l) => l.split("|")[0])).toEqual(["ada@example.coop", "grace@example.coop", "mastodon@example.coop"]);
    for (const l of lines) expect(l).toMatch(/^[^|]+@example\.coop\|\{SHA512-CRYPT\}\$6\$[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$/);
  });

  it("is deterministic: the same password and salt give the same line", () => {
    expect(renderAccounts(accounts)).toBe(renderAccounts([...accounts].reverse()));
    expect(accountLine(accounts[1])).toBe(`ada@example.coop|{SHA512-CRYPT}${sha512Crypt("correct horse battery staple", "s4lt")}`);
  });

  it("refuses what would corrupt the file", () => {
    expect(() => renderAccounts([accounts[0], accounts[0]])).toThrow(/twice/);
    expect(() => accountLine({ ...accounts[0], address: "a|b@example.coop" })).toThrow(/not a mail address/);
    expect(() => accountLine({ ...accounts[0], salt: "bad salt" })).toThrow(/salt/);
    expect(() => accountLine({ ...accounts[0], password: "" })).toThrow(/empty/);
  });

  const withDoveadm = withTool("doveadm", "dovecot-core");
  withDoveadm("every line verifies with `doveadm pw -t` against its password, and not against another", () => {
    for (const line of dataLines(renderAccounts(accounts))) {
      const [address, hash] = line.split("|");
      const account = accounts.find((a) => a.address === address)!;
      const ok = execFileSync("doveadm", ["pw", "-t", hash, "-p", account.password], { encoding: "utf8" });
      expect(ok).toMatch(/verified/);
      expect(() => execFileSync("doveadm", ["pw", "-t", hash, "-p", `${account.password}x`], { stdio: "pipe" })).toThrow();
    }
  });
});

describe("postfix-virtual.cf and relay credentials", () => {
  it("maps each alias to its mailbox, sorted", () => {
    const text = renderVirtual([
      { from: "postmaster@example.coop", to: "ada@example.coop" },
      { from: "hello@example.coop", to: "grace@example.coop" },
    ]);
    expect(dataLines(text)).toEqual(["hello@example.coop grace@example.coop", "postmaster@example.coop ada@example.coop"]);
    expect(dataLines(renderVirtual([]))).toEqual([]);
    expect(renderVirtual([])).toBe(FILE_HEADER); // never empty: the Docker provider rejects empty uploads
  });

  it("keys the relay password by the relay host, as Postfix's smtp_sasl_password_maps looks it up", () => {
    const text = renderRelayPasswords({ host: "smtp.relay.example", port: 587, username: "example-coop", password: "s3cret with space" });
    expect(dataLines(text)).toEqual(["[smtp.relay.example]:587 example-coop:s3cret with space"]);
    expect(renderRelayPasswords(undefined)).toBe(FILE_HEADER);
  });

  it("rejects relay credentials Postfix would misread, without echoing the password", () => {
    const relay = { host: "smtp.relay.example", port: 587, username: "u", password: "line1\nline2" };
    expect(() => renderRelayPasswords(relay)).toThrow(/one line/);
    try {
      renderRelayPasswords(relay);
    } catch (e) {
      expect((e as Error).message).not.toContain("line1");
    }
    expect(() => renderRelayPasswords({ ...relay, password: "ok", username: "a:b" })).toThrow(/colons/);
  });
});

describe("Rspamd DKIM signing", () => {
  it("puts the key where DMS's own `setup config dkim` puts it for Rspamd, selector 'mail'", () => {
    expect(dkimKeyPath("example.coop")).toBe("/tmp/docker-mailserver/rspamd/dkim/rsa-2048-mail-example.coop.private.txt");
    expect(MAIL_FILES.dkimSigning).toBe("/tmp/docker-mailserver/rspamd/override.d/dkim_signing.conf");
  });

  it("signs authenticated mail for the domain with that key and selector", () => {
    const conf = renderDkimSigning("example.coop");
    expect(conf).toContain("sign_authenticated = true;");
    expect(conf).toContain('use_domain = "header";');
    expect(conf).toMatch(
      /domain \{\n {2}example\.coop \{\n {4}path = "\/tmp\/docker-mailserver\/rspamd\/dkim\/rsa-2048-mail-example\.coop\.private\.txt";\n {4}selector = "mail";\n {2}\}\n\}/,
    );
    // Balanced braces: a syntax error would disable signing silently.
    expect((conf.match(/\{/g) ?? []).length).toBe((conf.match(/\}/g) ?? []).length);
  });
});
