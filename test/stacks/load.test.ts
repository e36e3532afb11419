import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileProblems, InputError, type Problem } from "../../kernel/errors";
import { loadStackSpec, parseSetFlag, resolveStackName } from "../../stacks/load";
import { REPO_ROOT } from "../helpers/repo";
import { tempRepo } from "../helpers/repo";
import { ecdsaBlob, keyLine, rsaBlob } from "../helpers/ssh-keys";

const repo = tempRepo();
afterAll(repo.cleanup);

const VALID = `coop:
  name: Test Co-op
domain: test.coop
host:
  target: hetzner
  serverType: cx33
  location: fsn1
  sshSources: [203.0.113.7/32]
  admins:
    - name: ada
      sshPublicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01 ada@test
services:
  mastodon:
    enabled: true
`;

function write(stack: string, text: string): void {
  mkdirSync(join(repo.root, "stacks"), { recursive: true });
  writeFileSync(join(repo.root, "stacks", `${stack}.yaml`), text);
}

function problemsOf(stack: string, text: string): Problem[] {
  write(stack, text);
  try {
    loadStackSpec(repo.root, stack);
  } catch (e) {
    expect(e).toBeInstanceOf(FileProblems);
    expect((e as FileProblems).exitCode).toBe(2);
    return [...(e as FileProblems).problems];
  }
  throw new Error("expected the spec to be rejected");
}

describe("a valid spec", () => {
  it("loads with every default filled in", () => {
    write("ok", VALID);
    const { spec, file } = loadStackSpec(repo.root, "ok");
    expect(file).toBe("stacks/ok.yaml");
    expect(spec.host).toMatchObject({ target: "hetzner", serverType: "cx33", image: "debian-12", volumeSizeGb: 50, sshOpenToWorld: false });
    expect(spec.services.nextcloud.enabled).toBe(true);
    expect(spec.dns.provider).toBe("manual");
  });
  it("takes a hardware security key as an admin key, as members.yaml does", () => {
    const line = keyLine(ecdsaBlob("nistp256", { sk: true }), "ada@yubikey");
    write("sk", VALID.replace(/ssh-ed25519 \S+ ada@test/, line));
    expect(loadStackSpec(repo.root, "sk").spec.host).toMatchObject({ admins: [{ name: "ada", sshPublicKey: line }] });
  });
});

// Each row: a broken spec, and what the admin must be told (field, line, and a hint).
const BAD: Array<{ case: string; text: string; field: string; line: number; message: RegExp; hint: RegExp }> = [
  {
    case: "unknown field, with a did-you-mean",
    text: VALID.replace("  location: fsn1", "  locaton: fsn1"),
    field: "host.locaton",
    line: 7,
    message: /unknown field 'locaton'/,
    hint: /did you mean 'location'\?/,
  },
  {
    case: "wrong type",
    text: VALID.replace("target: hetzner\n", "target: hetzner\n  volumeSizeGb: lots\n"),
    field: "host.volumeSizeGb",
    line: 6,
    message: /expected number, got 'lots'/,
    hint: /write a number, without quotes; for example volumeSizeGb: 50/,
  },
  {
    case: "a domain that is not a domain",
    text: VALID.replace("domain: test.coop", "domain: https://test.coop/"),
    field: "domain",
    line: 3,
    message: /expected a lower-case domain name/,
    hint: /The co-op's domain/,
  },
  {
    case: "an unknown server type",
    text: VALID.replace("serverType: cx33", "serverType: cx31"),
    field: "host.serverType",
    line: 6,
    message: /expected one of cx23, cx33/,
    hint: /(did you mean 'cx33'\?|did you mean 'cx23'\?) use one of .*; for example serverType: cx33/,
  },
  {
    case: "an unknown location",
    text: VALID.replace("location: fsn1", "location: fra1"),
    field: "host.location",
    line: 7,
    message: /expected one of fsn1, nbg1, hel1/,
    hint: /did you mean 'fsn1'\? use one of fsn1, nbg1, hel1.*; for example location: fsn1/,
  },
  {
    case: "a server type too small for the services",
    text: VALID.replace("serverType: cx33", "serverType: cx23"),
    field: "host.serverType",
    line: 6,
    message:
      /need 6\.3 GB of memory \(mastodon 2\.5 GB, nextcloud 2 GB, mail 1 GB, system and proxy 0\.8 GB\), but cx23 has 4 GB \(3\.6 GB usable\)/,
    hint: /choose cx33 or ccx13, or disable a service/,
  },
  {
    case: "SSH opened to the world without saying so",
    text: VALID.replace("sshSources: [203.0.113.7/32]", "sshSources: [0.0.0.0/0]"),
    field: "host.sshSources[0]",
    line: 8,
    message: /opens SSH to the whole internet/,
    hint: /sshOpenToWorld: true/,
  },
  {
    case: "a type sold elsewhere",
    text: VALID.replace("location: fsn1", "location: ash").replace(
      "mastodon:\n    enabled: true",
      "mastodon:\n    enabled: true\n  nextcloud:\n    enabled: false\n  mail:\n    enabled: false",
    ),
    field: "host.location",
    line: 7,
    message: /does not sell cx33 in ash/,
    hint: /use one of/,
  },
  {
    case: "an invalid network",
    text: VALID.replace("203.0.113.7/32", "203.0.113.700/32"),
    field: "host.sshSources[0]",
    line: 8,
    message: /not a valid IPv4 or IPv6 network/,
    hint: /e\.g\. 203\.0\.113\.7\/32/,
  },
  {
    case: "an admin key whose base64 is not a key",
    text: VALID.replace(/ssh-ed25519 \S+ ada@test/, "ssh-ed25519 AAAAnotakeyA ada@test"),
    field: "host.admins[0].sshPublicKey",
    line: 11,
    message: /the key cannot be used: the key data is damaged/,
    hint: /whole line of your \.pub file/,
  },
  {
    case: "a weak admin key",
    text: VALID.replace(/ssh-ed25519 \S+ ada@test/, keyLine(rsaBlob(1024))),
    field: "host.admins[0].sshPublicKey",
    line: 11,
    message: /RSA keys shorter than 2048 bits are refused \(this one has 1024\)/,
    hint: /ssh-keygen -t ed25519/,
  },
  {
    case: "a yes/no written as text",
    text: VALID.replace("mastodon:\n    enabled: true", 'mastodon:\n    enabled: "yes"'),
    field: "services.mastodon.enabled",
    line: 14,
    message: /expected boolean, got 'yes'/,
    hint: /write true or false, without quotes; for example enabled: true/,
  },
  {
    case: "a location that does not exist",
    text: VALID.replace("location: fsn1", "location: mars1"),
    field: "host.location",
    line: 7,
    message: /expected one of fsn1/,
    hint: /use one of fsn1, nbg1, hel1, .*for example location: fsn1/,
  },
  {
    case: "a TTL below the minimum",
    text: `${VALID}dns:\n  ttl: 10\n`,
    field: "dns.ttl",
    line: 16,
    message: /60/,
    hint: /use at least 60; for example ttl: 3600/,
  },
  {
    case: "a version that is not pinned",
    text: VALID.replace("mastodon:\n    enabled: true", "mastodon:\n    enabled: true\n    version: v4.6"),
    field: "services.mastodon.version",
    line: 15,
    message: /expected a pinned Mastodon release tag such as v4\.6\.3/,
    hint: /for example version: v4\.6\.3/,
  },
  {
    case: "a CIDR that is not one",
    text: VALID.replace("203.0.113.7/32", "my-office"),
    field: "host.sshSources[0]",
    line: 8,
    message: /CIDR notation/,
    hint: /Networks allowed to reach SSH/,
  },
  {
    case: "a web service on the MTA-STS host name",
    text: VALID.replace("mastodon:\n    enabled: true", "mastodon:\n    enabled: true\n    hostname: mta-sts"),
    field: "services.mastodon.hostname",
    line: 15,
    message: /'mta-sts\.test\.coop' is reserved for the mail server's MTA-STS policy/,
    hint: /hostname: social/,
  },
  {
    case: "a web service on the mail server's host name",
    text: VALID.replace("mastodon:\n    enabled: true", "mastodon:\n    enabled: true\n    hostname: mail"),
    field: "services.mastodon.hostname",
    line: 15,
    message: /mastodon and mail both use the host name 'mail'/,
    hint: /hostname: social/,
  },
];

describe("bad specs are refused with file, line:col, field and a hint", () => {
  for (const row of BAD) {
    it(row.case, () => {
      const problems = problemsOf("bad", row.text);
      const p = problems.find((x) => x.field === row.field);
      expect(p, `problems: ${JSON.stringify(problems)}`).toBeDefined();
      expect(p!.file).toBe("stacks/bad.yaml");
      expect(p!.line).toBe(row.line);
      expect(p!.col).toBeGreaterThan(0);
      expect(p!.message).toMatch(row.message);
      expect(p!.hint, "every problem comes with a hint").toMatch(row.hint);
    });
  }

  it.each([
    ["::ffff:0:0/96", /::ffff:0:0\/96 opens SSH to the whole internet/],
    ["198.51.100.7/0", /opens SSH to the whole internet/],
    ["010.0.0.1/32", /'010\.0\.0\.1\/32' is not a valid IPv4 or IPv6 network/],
    ["127.1/32", /not a valid IPv4 or IPv6 network/],
  ])("reads SSH source %s as firewalls do", (source, message) => {
    const problems = problemsOf("sources", VALID.replace("203.0.113.7/32", source));
    expect(problems).toEqual([expect.objectContaining({ field: "host.sshSources[0]", line: 8, message: expect.stringMatching(message) })]);
  });

  it("gives a hint for every problem, whatever kind it is", () => {
    const text = `coop:
  name: ""
domain: Not A Domain
host:
  target: hetzner
  serverType: cx33
  location: mars1
  volumeSizeGb: 5
  sshSources: [my-office, 203.0.113.700/32]
  admins:
    - name: Ada
      sshPublicKey: not-a-key
    - name: bob
      sshPublicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01 bob
    - name: bob
      sshPublicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBUmaEom/dyJsFsg4UY4YEMHSsvd+QwimnV1Eer/B01 bob
services:
  mastodon: {enabled: "yes", version: "4.6", hostname: mta-sts, postgresMajor: 16}
  nextcloud: []
dns: {ttl: 10, provider: route53}
mailboxes: [{localPart: ada}]
backups: {keepDaily: 0.5}
`;
    const problems = problemsOf("hints", text);
    expect(problems.length).toBeGreaterThan(8);
    for (const p of problems) {
      expect(p.hint, `${p.field}: ${p.message}`).toBeTruthy();
      expect(p.line, p.field).toBeGreaterThan(0);
    }
  });

  it("invalid YAML", () => {
    const [p] = problemsOf("bad", "coop:\n  name: [unclosed\ndomain: x.coop\n");
    expect(p.line).toBeGreaterThan(0);
    expect(p.message.length).toBeGreaterThan(0);
  });

  it("a duplicate key", () => {
    const [p] = problemsOf("bad", VALID.replace("domain: test.coop", "domain: test.coop\ndomain: other.coop"));
    expect(p).toMatchObject({ line: 4, message: "a key appears twice in the same mapping" });
    expect(p.hint).toMatch(/silently use only the last/);
  });

  it("an empty file", () => {
    const [p] = problemsOf("bad", "# only a comment\n");
    expect(p).toMatchObject({ file: "stacks/bad.yaml", line: 1, message: "the file is empty" });
  });

  it("a missing required field", () => {
    const problems = problemsOf("bad", VALID.replace("domain: test.coop\n", ""));
    expect(problems.find((p) => p.field === "domain")).toMatchObject({ message: expect.stringMatching(/missing required field/) });
  });

  it("a missing spec names the stacks that exist and the fix", () => {
    write("present", VALID);
    expect(() => loadStackSpec(repo.root, "presnt")).toThrowError(InputError);
    try {
      loadStackSpec(repo.root, "presnt");
    } catch (e) {
      expect((e as InputError).message).toMatch(/no spec for stack 'presnt': stacks\/presnt\.yaml does not exist/);
      expect((e as InputError).hint).toMatch(/did you mean --stack present\?/);
    }
  });

  it("a stack name that could escape the stacks folder", () => {
    expect(() => loadStackSpec(repo.root, "../etc/passwd")).toThrowError(/not a valid stack name/);
  });

  it("--stack may be omitted only when exactly one spec exists", () => {
    expect(() => resolveStackName(repo.root, undefined)).toThrowError(/--stack is needed/);
    expect(resolveStackName(repo.root, "x")).toBe("x");
  });
});

describe("--set edits", () => {
  it("a typo in a --set path is blamed on the flag, not on a line of the spec", () => {
    let problems: Problem[] = [];
    try {
      loadStackSpec(REPO_ROOT, "example", [parseSetFlag("host.serverTyp=cx43")]);
    } catch (e) {
      problems = [...(e as FileProblems).problems];
    }
    expect(problems).toEqual([expect.objectContaining({ file: '--set host.serverTyp="cx43"', field: "host.serverTyp" })]);
    expect(problems[0].line).toBeUndefined();
    expect(problems[0].hint).toMatch(/did you mean 'serverType'\?.*\(check the --set flag\)/);
  });
});
