/**
 * What a new version of the members list changes, and whether it is routine membership churn
 * under the bylaws in force: a member joins without a signing role, a member leaves, a member
 * replaces their own keys, names and Loomio ids change. Anything that gives someone the power to
 * sign — a joining member with a signing role, a role granted or taken, a signer removed by
 * others — needs the roles process (a vote or a meeting), judged by the previous bylaws.
 */
import { isActive, type Member, type Members } from "../records/members";

export interface MembersChange {
  readonly joined: Member[];
  readonly left: Member[];
  readonly roles: Array<{ readonly name: string; readonly from: readonly string[]; readonly to: readonly string[] }>;
  /** Members whose keys changed (added or removed). */
  readonly keys: Array<{ readonly name: string; readonly added: number; readonly removed: number }>;
  /** Other fields (display name, Loomio id) of members who neither joined nor left. */
  readonly details: string[];
}

function active(list: Members): Map<string, Member> {
  return new Map(list.members.filter(isActive).map((m) => [m.name, m]));
}

export function membersChange(before: Members, after: Members): MembersChange {
  const a = active(before);
  const b = active(after);
  const joined = [...b.values()].filter((m) => !a.has(m.name));
  const left = [...a.values()].filter((m) => !b.has(m.name));
  const roles: MembersChange["roles"] = [];
  const keys: MembersChange["keys"] = [];
  const details: string[] = [];
  for (const [name, now] of b) {
    const was = a.get(name);
    if (!was) continue;
    const from = [...was.roles].sort();
    const to = [...now.roles].sort();
    if (from.join(",") !== to.join(",")) roles.push({ name, from, to });
    const added = now.sshKeys.filter((k) => !was.sshKeys.includes(k)).length;
    const removed = was.sshKeys.filter((k) => !now.sshKeys.includes(k)).length;
    if (added || removed) keys.push({ name, added, removed });
    if (was.displayName !== now.displayName || was.loomioUserId !== now.loomioUserId) details.push(name);
  }
  return { joined, left, roles, keys, details };
}

export interface MembershipClass {
  /** Why the change is not routine membership; empty when it is. */
  readonly beyondRoutine: string[];
  /** Members who must sign themselves (with a key of the previous version): their own key rotation or departure as a signer. */
  readonly mustSign: string[];
}

/**
 * Whether the change is routine under `signingRoles` (the roles some requirement of the bylaws
 * in force names). A signer who leaves is routine only with their own signature.
 */
export function classifyMembership(change: MembersChange, signingRoles: ReadonlySet<string>): MembershipClass {
  const beyond: string[] = [];
  const mustSign = new Set<string>();
  const signing = (roles: readonly string[]) => roles.filter((r) => signingRoles.has(r));
  for (const m of change.joined) {
    const s = signing(m.roles);
    if (s.length) beyond.push(`${m.name} joins with the signing role${s.length === 1 ? "" : "s"} ${s.join(", ")}`);
  }
  for (const r of change.roles) {
    const gained = signing(r.to.filter((x) => !r.from.includes(x)));
    const lost = signing(r.from.filter((x) => !r.to.includes(x)));
    if (gained.length) beyond.push(`${r.name} is given the signing role${gained.length === 1 ? "" : "s"} ${gained.join(", ")}`);
    if (lost.length) beyond.push(`${r.name} loses the signing role${lost.length === 1 ? "" : "s"} ${lost.join(", ")}`);
  }
  for (const m of change.left) if (signing(m.roles).length) mustSign.add(m.name);
  for (const k of change.keys) mustSign.add(k.name);
  return { beyondRoutine: beyond, mustSign: [...mustSign].sort() };
}
