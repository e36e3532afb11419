/**
 * The change from the approved lock in words a member understands without knowing Pulumi:
 * "Mastodon upgrades from v4.6.3 to v4.6.4", "The server moves to a bigger type: …". Each
 * resource is attributed to the service whose component declares it (the outermost coop:
 * component in its URN). What has no sentence of its own is still listed, in general words,
 * so nothing that changes goes unmentioned.
 */
import { STACK_REFERENCE_TYPE } from "../../kernel/pulumi-wire";
import { PROVIDER_PATH, type Change } from "../../plan/diff";
import { changedLines, isMultiLine } from "../../plan/line-diff";
import { taggedImage, versionStep } from "../changes/change-classes";
import { COMPUTED } from "../../plan/view";
import type { Json, JsonObject } from "../../kernel/json";
import { federationSentences, isFederationUrn } from "./federation-words";
import { LOCATIONS, SERVER_TYPES, type Location, type ServerTypeName } from "../../stacks/catalog";

const SERVICE_LABELS: Record<string, string> = {
  host: "The server",
  mastodon: "Mastodon",
  nextcloud: "Nextcloud",
  mail: "Mail",
  proxy: "The web proxy",
  dns: "DNS",
  backup: "Backups",
  federation: "Federation (which servers Mastodon blocks or allows)",
  objectstorage: "Object storage (buckets)",
  mastodondatabase: "Mastodon's database host",
};

/** The service a resource belongs to: the outermost coop component in its URN (coop:<area>:<Name>). */
export function serviceOf(urn: string): string {
  // Members decide each block on its own: never folded into "Mastodon is set up".
  if (isFederationUrn(urn)) return "federation";
  const qualified = urn.split("::")[2] ?? "";
  const first = qualified.split("$")[0] ?? "";
  const m = /^coop:[a-z0-9-]+:([A-Za-z0-9]+)$/.exec(first);
  return m ? m[1].toLowerCase() : "other";
}

export function serviceLabel(service: string): string {
  return SERVICE_LABELS[service] ?? (service === "other" ? "Other resources" : service.charAt(0).toUpperCase() + service.slice(1));
}

function serverSize(type: string): string {
  const t = SERVER_TYPES[type as ServerTypeName];
  return t ? `${type} (${t.vcpus} vCPU, ${t.memoryGb} GB RAM)` : type;
}

function place(loc: Json | undefined): string {
  return typeof loc === "string" && loc in LOCATIONS ? `${LOCATIONS[loc as Location]} (${loc})` : String(loc);
}

function shown(v: Json | undefined): string {
  if (v === undefined) return "(unset)";
  if (v === COMPUTED) return "(decided at deploy time)";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

export interface ServiceChanges {
  readonly service: string;
  readonly label: string;
  readonly sentences: string[];
}

/** A resource's governed inputs in the state before or after the change (for what a create or delete says). */
export type InputsOf = (urn: string, side: "before" | "after") => JsonObject | undefined;

/**
 * Sentences per service. `runs` names what the stack's server runs (for "the server that runs
 * Mastodon and Nextcloud"); `inputsOf` lets a created or deleted block say which server and why.
 */
export function describeChanges(changes: readonly Change[], runs: readonly string[] = [], inputsOf?: InputsOf): ServiceChanges[] {
  const byService = new Map<string, Set<string>>();
  const say = (service: string, sentence: string) => {
    const set = byService.get(service) ?? new Set<string>();
    set.add(sentence);
    byService.set(service, set);
  };
  const created = new Map<string, Change[]>();
  const deleted = new Map<string, Change[]>();
  for (const c of changes) {
    const service = serviceOf(c.urn);
    // Said by the account file's sentence ("mailbox … is added"), unless the whole service comes or goes.
    const quiet = partOfMailbox(c) && changes.some((x) => x.op === "update" && serviceOf(x.urn) === service);
    if (c.op === "create" && !quiet) created.set(service, [...(created.get(service) ?? []), c]);
    if (c.op === "delete" && !quiet) deleted.set(service, [...(deleted.get(service) ?? []), c]);
  }
  const allOf = (service: string) => changes.filter((c) => serviceOf(c.urn) === service);
  const federation = changes.filter((c) => serviceOf(c.urn) === "federation");
  for (const s of federationSentences(federation, inputsOf)) say("federation", s);
  created.delete("federation");
  deleted.delete("federation");
  for (const [service, list] of created) {
    const label = serviceLabel(service);
    if (list.length === allOf(service).length && list.length > 1) say(service, `${label} is set up (${list.length} new resources).`);
    else for (const c of list) say(service, createSentence(c));
  }
  for (const [service, list] of deleted) {
    const label = serviceLabel(service);
    if (list.length === allOf(service).length && list.length > 1)
      say(service, `${label} is removed (${list.length} resources deleted; data kept only in backups).`);
    else for (const c of list) say(service, `${c.name} is deleted.`);
  }
  for (const c of changes) {
    if (c.op !== "update") continue;
    const service = serviceOf(c.urn);
    if (service === "federation") continue;
    for (const s of updateSentences(c, service, runs)) say(service, s);
  }
  return [...byService.entries()].map(([service, set]) => ({ service, label: serviceLabel(service), sentences: [...set] }));
}

/** A mailbox's generated password and salt are part of the mailbox: their own sentence would only confuse. */
function partOfMailbox(c: Change): boolean {
  return /^mail-(mailbox|sender)-.+-(password|salt)$/.test(c.name);
}

function createSentence(c: Change): string {
  if (c.type === "hcloud:index/sshKey:SshKey") return `A new admin SSH key is installed (${c.name}).`;
  if (c.type === "hcloud:index/volume:Volume") return `A new data volume is created (${c.name}).`;
  if (c.type === "hcloud:index/server:Server") return `A new server is created (${c.name}).`;
  if (c.type === STACK_REFERENCE_TYPE) return `This stack starts reading another stack's outputs (${c.name}).`;
  return `${c.name} is added.`;
}

const ACCOUNT_LINE = /^([^\s|#]+@[^\s|]+)\|/;
const ALIAS_LINE = /^([^\s#]+@\S+)\s+(\S+@\S+)$/;

function lines(v: Json | undefined): string[] {
  return typeof v === "string" ? v.split("\n") : [];
}

/**
 * The mail server's account and alias files, in words: "mailbox linus@river.coop is added",
 * "alias support@river.coop now reaches linus@river.coop". Undefined for any other file.
 */
function mailFileSentences(old: Json | undefined, now: Json | undefined): string[] | undefined {
  const a = lines(old);
  const b = lines(now);
  const accounts = (ls: string[]) => ls.map((l) => ACCOUNT_LINE.exec(l)?.[1]).filter((x): x is string => !!x);
  const aliases = (ls: string[]) =>
    ls
      .map((l) => ALIAS_LINE.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => `${m[1]} → ${m[2]}`);
  const isAccounts = [...a, ...b].some((l) => ACCOUNT_LINE.test(l));
  const isAliases = !isAccounts && [...a, ...b].some((l) => ALIAS_LINE.test(l));
  if (isAccounts) {
    const before = new Set(accounts(a));
    const after = new Set(accounts(b));
    const out = [...after].filter((x) => !before.has(x)).map((x) => `mailbox ${x} is added.`);
    out.push(...[...before].filter((x) => !after.has(x)).map((x) => `mailbox ${x} is removed (the mail in it is deleted).`));
    return out.length ? out : ["The mail accounts' passwords change."];
  }
  if (isAliases) {
    const before = new Set(aliases(a));
    const after = new Set(aliases(b));
    const added = [...after].filter((x) => !before.has(x)).map((x) => `alias ${x.replace(" → ", " now reaches ")}.`);
    const removed = [...before].filter((x) => !after.has(x)).map((x) => `alias ${x.split(" → ")[0]} is removed.`);
    return [...added, ...removed];
  }
  return undefined;
}

function updateSentences(c: Change, service: string, runs: readonly string[]): string[] {
  const label = serviceLabel(service);
  const out: string[] = [];
  const rest: string[] = [];
  // A one-shot job (mastodon-migrate) is named after the version it runs: its new name follows
  // from the upgrade already said, so it is not a change of its own to tell the members.
  const upgraded = (c.details ?? []).some((d) => taggedImage(d.old) && taggedImage(d.new));
  for (const d of c.details ?? []) {
    if (upgraded && c.type === "docker:index/container:Container" && d.path === "name") continue;
    const mail = d.path.endsWith(".content") ? mailFileSentences(d.old, d.new) : undefined;
    if (mail) {
      out.push(...mail.map((s) => s.charAt(0).toUpperCase() + s.slice(1)));
      continue;
    }
    if (d.path === PROVIDER_PATH) {
      // The provider says where a resource goes (which Docker host, which Hetzner account).
      const name = (v: Json | undefined) => (typeof v === "string" ? v.split("::").pop() : "(none recorded)");
      out.push(`⚠ ${c.name} is deployed through another provider: ${name(d.old)} → ${name(d.new)}.`);
      continue;
    }
    const leaf = d.path.split(".").pop() ?? d.path;
    const before = taggedImage(d.old);
    const after = taggedImage(d.new);
    if (before && after) {
      if (before.repository !== after.repository)
        out.push(`${label} switches its image from ${before.repository}:${before.tag} to ${after.repository}:${after.tag}.`);
      else {
        const step = versionStep(before.tag, after.tag);
        out.push(
          step.kind === "downgrade"
            ? `${label} goes back from ${before.tag} to ${after.tag}.`
            : `${label} upgrades from ${before.tag} to ${after.tag}${step.kind === "patch" || step.kind === "minor" || step.kind === "major" ? ` (${step.kind})` : ""}.`,
        );
      }
      continue;
    }
    if (c.type === "hcloud:index/server:Server" && leaf === "serverType" && typeof d.old === "string" && typeof d.new === "string") {
      const a = SERVER_TYPES[d.old as ServerTypeName];
      const b = SERVER_TYPES[d.new as ServerTypeName];
      const bigger =
        a && b ? (b.memoryGb > a.memoryGb || (b.memoryGb === a.memoryGb && b.vcpus > a.vcpus) ? "bigger" : "smaller") : "different";
      const what = runs.length ? `The server that runs ${joinWords(runs)}` : "The server";
      out.push(`${what} moves to a ${bigger} type: ${serverSize(d.old)} → ${serverSize(d.new)}. It restarts during the change.`);
      continue;
    }
    if (c.type === "hcloud:index/server:Server" && leaf === "location") {
      out.push(`The server moves from ${place(d.old)} to ${place(d.new)}: it is rebuilt there, and its data must be moved.`);
      continue;
    }
    if (c.type === "hcloud:index/server:Server" && leaf === "image") {
      out.push(`The server is reinstalled with ${shown(d.new)} (was ${shown(d.old)}).`);
      continue;
    }
    if (c.type === "hcloud:index/volume:Volume" && leaf === "size" && typeof d.old === "number" && typeof d.new === "number") {
      out.push(
        d.new > d.old
          ? `The data volume grows from ${d.old} GB to ${d.new} GB.`
          : `The data volume would shrink from ${d.old} GB to ${d.new} GB (Hetzner cannot shrink volumes).`,
      );
      continue;
    }
    if (c.type === STACK_REFERENCE_TYPE && d.path === "name") {
      // What a service stack reads from the mail stack is its SMTP passwords: say which stack is trusted with that.
      out.push(
        `⚠ This stack reads ${c.name} from stack ${shown(d.new)} instead of ${shown(d.old)} (the mail passwords its services use come from there).`,
      );
      continue;
    }
    if (leaf === "deleteProtection" && d.new !== true) {
      out.push(`⚠ ${c.name} loses its delete protection.`);
      continue;
    }
    rest.push(d.path);
  }
  if (rest.length > 0) {
    const what = c.type === "hcloud:index/firewall:Firewall" ? "The firewall rules change" : `${c.name} changes`;
    out.push(`${what} (${rest.slice(0, 4).join(", ")}${rest.length > 4 ? `, and ${rest.length - 4} more` : ""}).`);
  }
  return out;
}

export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** One line per changed value, for the technical appendix. */
export function technicalLines(changes: readonly Change[], limit = 40): string[] {
  const lines: string[] = [];
  for (const c of changes) {
    if (c.op !== "update") lines.push(`${c.op} ${c.name} (${c.type})`);
    else
      for (const d of c.details ?? []) {
        if (isMultiLine(d.old) && isMultiLine(d.new))
          lines.push(`update ${c.name} ${d.path}: ${changedLines(d.old, d.new, 6).join(" · ")}`);
        else lines.push(`update ${c.name} ${d.path}: ${shown(d.old)} → ${shown(d.new)}`);
      }
  }
  return lines.length > limit
    ? [...lines.slice(0, limit), `… and ${lines.length - limit} more (coop plan --stack <stack> shows all)`]
    : lines;
}
