/**
 * The co-op's members who take part in governing the infrastructure: governance/members.yaml.
 * Each has roles and the SSH public keys they sign decisions with (the same keys the hosts
 * install for admins). A member who leaves keeps an entry with `left`; their signatures count
 * on the decisions recorded under a version of this file in which they had not left (every
 * version is in the ledger, by digest).
 */
import { z } from "zod";
import { parsePublicKeyLine, type SshPublicKey, sshPublicKeyLine } from "../../kernel/ssh-keys";
import { canonicalJson, sha256Hex } from "../../kernel/json";
import { role } from "./rules";
import { SHORT_NAME_RE } from "../../kernel/names";

export const MEMBERS_FILE = "governance/members.yaml";
export const MEMBERS_VERSION = 2;
export const MEMBER_NAME_RE = SHORT_NAME_RE;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z)?$/, { message: "expected a date such as 2026-03-10" });

export const MemberSchema = z
  .object({
    name: z
      .string()
      .regex(MEMBER_NAME_RE, { message: "expected a short lower-case name such as 'ada'" })
      .describe("Short name, used in decision records and messages."),
    displayName: z.string().default("").describe("Full name, for people reading the ledger."),
    roles: z.array(role).min(1).default(["member"]).describe("Roles the rules refer to, e.g. admin, tech, member."),
    loomioUserId: z.number().int().positive().nullable().default(null).describe("The member's Loomio user id, if they vote there."),
    sshKeys: z.array(sshPublicKeyLine).default([]).describe("Public keys the member signs decisions with."),
    left: isoDate
      .nullable()
      .default(null)
      .describe("When the member left. From the version of this file that says so on, their signatures no longer count."),
  })
  .strict()
  .describe("A member who takes part in infrastructure decisions.");

export const MembersSchema = z
  .object({
    version: z.literal(MEMBERS_VERSION).default(MEMBERS_VERSION).describe("Format version of this file."),
    members: z
      .array(MemberSchema)
      .default([])
      .superRefine((list, ctx) => {
        const names = new Map<string, number>();
        const keys = new Map<string, string>();
        list.forEach((m, i) => {
          if (names.has(m.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `member '${m.name}' is listed twice` });
          names.set(m.name, i);
          m.sshKeys.forEach((line, j) => {
            let id: string;
            try {
              id = parsePublicKeyLine(line).id;
            } catch {
              return;
            }
            const other = keys.get(id);
            if (other !== undefined && other !== m.name) {
              ctx.addIssue({
                code: "custom",
                path: [i, "sshKeys", j],
                message: `this key also belongs to '${other}'`,
                params: { hint: "a key identifies one member; each member needs their own key" },
              });
            }
            keys.set(id, m.name);
          });
        });
      })
      .describe("The members."),
  })
  .strict()
  .describe("Members who take part in infrastructure decisions (governance/members.yaml).");

export type Members = z.output<typeof MembersSchema>;
export type Member = z.output<typeof MemberSchema>;

export interface MemberKey {
  readonly member: Member;
  readonly key: SshPublicKey;
}

/** Index of member keys by key id (base64 of the key blob), built once per load. */
export function indexMemberKeys(members: Members): Map<string, MemberKey> {
  const index = new Map<string, MemberKey>();
  for (const member of members.members) {
    for (const line of member.sshKeys) {
      try {
        const key = parsePublicKeyLine(line);
        index.set(key.id, { member, key });
      } catch {
        // Schema validation already reported it.
      }
    }
  }
  return index;
}

export function hasAnyRole(member: Member, roles: readonly string[]): boolean {
  return member.roles.some((r) => roles.includes(r));
}

/** Whether the member may sign under this version of the members list. */
export function isActive(member: Member): boolean {
  return member.left === null;
}

/** sha256 of the canonical members list (defaults applied): the version's name in the ledger. */
export function membersDigest(members: Members): string {
  return sha256Hex(canonicalJson(members));
}
