/**
 * A hosting co-op's repository for benchmarks: N member co-ops, one stack each, with realistic
 * and varied specs (services, server types, locations, mailboxes, DNS), each stack approved by
 * its own genesis decision and lock, signed by the hosting co-op's admins (ed25519 keys made in
 * Node). `coop gate --all` over it is what the hosting co-op's CI runs on every pull request.
 */
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { foundingFiles, planFounding } from "../cli/ledger/founding";
import { type Decision, MembersSchema, readCodeManifest, RulesSchema, signaturePayload, signSshsig } from "../rulebook";
import { wireString } from "../kernel/ssh-wire";
import { StackSpecSchema, type StackSpecInput } from "../stacks/schema";

const SHAPES: ReadonlyArray<{ services: Array<"mastodon" | "nextcloud" | "mail">; serverType: string }> = [
  { services: ["mastodon", "nextcloud", "mail"], serverType: "cx33" },
  // Nextcloud and mail with the alerts' checker need more than a 4 GB server's usable 3.6 GB.
  { services: ["nextcloud", "mail"], serverType: "cx33" },
  { services: ["mastodon", "mail"], serverType: "cax21" },
  { services: ["nextcloud", "mail"], serverType: "cax21" },
  { services: ["mastodon", "nextcloud", "mail"], serverType: "cx43" },
];
const LOCATIONS = ["fsn1", "nbg1", "hel1"];
const FIRST_NAMES = ["ada", "grace", "hedy", "alan", "karen", "joan", "radia", "edsger", "barbara", "frances"];

export interface GeneratedCooperatives {
  readonly root: string;
  readonly stacks: string[];
}

function specFor(i: number, adminKey: string): StackSpecInput {
  const shape = SHAPES[i % SHAPES.length];
  const domain = `coop${String(i).padStart(3, "0")}.example`;
  const members = FIRST_NAMES.slice(0, 2 + (i % 6));
  const has = (s: "mastodon" | "nextcloud" | "mail") => shape.services.includes(s);
  return {
    coop: { name: `Member Co-op ${i}` },
    domain,
    host: {
      target: "hetzner",
      serverType: shape.serverType as "cx33",
      location: LOCATIONS[i % LOCATIONS.length] as "fsn1",
      volumeSizeGb: 20 + 10 * (i % 8),
      sshSources: [`198.51.100.${i % 250}/32`],
      admins: [{ name: "hosting", sshPublicKey: adminKey }],
    },
    services: {
      mastodon: { enabled: has("mastodon") },
      nextcloud: { enabled: has("nextcloud") },
      mail: { enabled: true, relay: { host: "smtp.relay.example", username: `coop${i}`, spfInclude: "spf.relay.example" } },
    },
    mailboxes: members.map((m, j) => ({
      localPart: m,
      name: `${m[0].toUpperCase()}${m.slice(1)} of co-op ${i}`,
      aliases: j === 0 ? ["postmaster", "abuse", "dmarc.report", "tlsrpt"] : [],
    })),
    dns: { provider: i % 2 === 0 ? "hetzner" : "manual" },
  };
}

export async function generateCooperatives(count: number, repo: string): Promise<GeneratedCooperatives> {
  const root = mkdtempSync(join(tmpdir(), `coop-hosting-${count}-`));
  mkdirSync(join(root, "stacks"), { recursive: true });
  mkdirSync(join(root, "governance", "decisions"), { recursive: true });
  mkdirSync(join(root, "governance", "approved"), { recursive: true });
  copyFileSync(join(repo, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
  copyFileSync(join(repo, "governance", "rules.yaml"), join(root, "governance", "rules.yaml"));

  const admins = ["ada", "grace"].map((name) => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const blob = Buffer.concat([wireString("ssh-ed25519"), wireString(Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url"))]);
    return { name, privateKey, blob, line: `ssh-ed25519 ${blob.toString("base64")} ${name}@hosting.example` };
  });
  writeFileSync(
    join(root, "governance", "members.yaml"),
    stringify({ version: 2, members: admins.map((a) => ({ name: a.name, roles: ["admin", "tech"], sshKeys: [a.line] })) }),
  );

  const stacks: string[] = [];
  const specs = [];
  for (let i = 0; i < count; i++) {
    const stack = `coop${String(i).padStart(3, "0")}`;
    const input = specFor(i, admins[0].line);
    writeFileSync(join(root, "stacks", `${stack}.yaml`), `# yaml-language-server: $schema=./spec.schema.json\n${stringify(input)}`);
    stacks.push(stack);
    specs.push({ stack, spec: StackSpecSchema.parse(input) });
  }
  mkdirSync(join(root, "plan", "prices"), { recursive: true });
  copyFileSync(join(repo, "plan", "prices", "hetzner.yaml"), join(root, "plan", "prices", "hetzner.yaml"));
  const rules = RulesSchema.parse(parse(readFileSync(join(root, "governance", "rules.yaml"), "utf8")));
  const members = MembersSchema.parse(parse(readFileSync(join(root, "governance", "members.yaml"), "utf8")));
  const founding = await planFounding({
    project: "coop-infra",
    coopName: "Hosting Co-op",
    rules,
    members,
    code: readCodeManifest(root),
    stacks: specs,
    at: "2026-01-01T00:00:00.000Z",
    note: "benchmark",
  });
  const sign = (d: Decision): Decision =>
    ({
      ...d,
      signatures: [{ member: admins[0].name, signature: signSshsig(admins[0].privateKey, admins[0].blob, signaturePayload(d)) }],
    }) as Decision;
  const signed = {
    ...founding,
    founding: sign(founding.founding),
    geneses: founding.geneses.map((g) => ({ ...g, decision: sign(g.decision) })),
  };
  for (const [path, text] of foundingFiles(root, signed)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return { root, stacks };
}
