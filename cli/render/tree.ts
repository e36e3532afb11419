/**
 * The plan as a readable tree: components with their children, each with the settings an
 * admin checks first. Values come from the governed view, so secrets are already masked.
 */
import { changedLines, isMultiLine } from "../../plan/line-diff";
import type { Change } from "../../plan/diff";
import { COMPUTED, type GovernedResource } from "../../plan/view";
import type { Json, JsonObject } from "../../kernel/json";
import type { RegisteredResource } from "../offline/run-program";

export interface TreeInput {
  readonly stack: string;
  readonly digest: string;
  readonly registrations: readonly RegisteredResource[];
  readonly governed: readonly GovernedResource[];
  readonly stackUrn: string;
}

/** "hcloud:index/server:Server" → "hcloud Server"; "coop:host:Host" → "Host". */
export function shortType(type: string): string {
  const [pkg, , name] = type.split(":");
  if (pkg === "coop") return name ?? type;
  if (pkg === "pulumi" && type.startsWith("pulumi:providers:")) return `${type.slice("pulumi:providers:".length)} provider`;
  return `${pkg} ${name ?? type}`;
}

function show(v: Json): string {
  if (v === COMPUTED) return "(computed)";
  if (typeof v === "string") return v.length > 60 ? `${v.slice(0, 57)}…` : v;
  if (Array.isArray(v)) return `[${v.length} items]`;
  if (v && typeof v === "object") return "{…}";
  return String(v);
}

type Summarizer = (inputs: JsonObject) => string[];

const SUMMARIES: Record<string, Summarizer> = {
  "hcloud:index/server:Server": (i) => [`${show(i.serverType)} in ${show(i.location)}`, `image ${show(i.image)}`, protection(i)],
  "hcloud:index/volume:Volume": (i) => [`${show(i.size)} GB`, `${show(i.location)}`, protection(i)],
  "hcloud:index/primaryIp:PrimaryIp": (i) => [show(i.type), protection(i)],
  "hcloud:index/sshKey:SshKey": (i) => [show(i.name)],
  "hcloud:index/firewall:Firewall": (i) => [firewallSummary(i.rules)],
  "docker:index/container:Container": (i) => [
    `image ${show(i.image)}`,
    ...(Array.isArray(i.ports) && i.ports.length ? [`publishes ${portsSummary(i.ports)}`] : []),
  ],
  "docker:index/remoteImage:RemoteImage": (i) => [show(i.name)],
  "pulumi:providers:docker": (i) => [`host ${show(i.host)}`],
  "command:remote:Command": (i) => [`runs ${show(i.create)}`],
};

function protection(i: JsonObject): string {
  return i.deleteProtection === true ? "delete-protected" : "NOT delete-protected";
}

function firewallSummary(rules: Json | undefined): string {
  if (!Array.isArray(rules)) return show(rules ?? null);
  return (
    "in: " +
    rules
      .map((r) => {
        const o = r as JsonObject;
        const port = o.port ? `${show(o.port)}/${show(o.protocol)}` : show(o.protocol);
        const src = Array.isArray(o.sourceIps) && !o.sourceIps.includes("0.0.0.0/0") ? ` from ${o.sourceIps.map(show).join(" ")}` : "";
        return port + src;
      })
      .join(", ")
  );
}

function portsSummary(ports: Json[]): string {
  return ports
    .map((p) => `${show((p as JsonObject).external ?? (p as JsonObject).internal)}/${show((p as JsonObject).protocol ?? "tcp")}`)
    .join(", ");
}

function summarize(type: string, inputs: JsonObject | undefined): string {
  if (!inputs) return "";
  const custom = SUMMARIES[type];
  if (custom) return custom(inputs).filter(Boolean).join(" · ");
  return typeof inputs.name === "string" ? inputs.name : "";
}

export function renderTree({ stack, digest, registrations, governed, stackUrn }: TreeInput): string {
  const inputs = new Map(governed.map((g) => [g.urn, g.inputs]));
  const children = new Map<string, RegisteredResource[]>();
  for (const r of registrations) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const lines = [`stack ${stack} · ${governed.length} resource${governed.length === 1 ? "" : "s"} · sha256 ${digest}`];
  const walk = (parent: string, indent: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const summary = summarize(r.type, inputs.get(r.urn));
      lines.push(`${indent}${last ? "└─ " : "├─ "}${r.name}  ${shortType(r.type)}${summary ? `  ${summary}` : ""}`);
      walk(r.urn, indent + (last ? "   " : "│  "));
    });
  };
  walk(stackUrn, "");
  return lines.join("\n");
}

const OP_MARK = { create: "+", update: "~", delete: "-" } as const;

export function renderChanges(changes: readonly Change[], lockFile: string, hasLock: boolean, stack: string): string {
  if (!hasLock) {
    return `No approved lock yet (${lockFile}): ${changes.length === 1 ? "its 1 resource is" : `all ${changes.length} resources are`} new.\n  Propose them to the members: coop propose --stack ${stack}`;
  }
  if (changes.length === 0) return `No change from the approved lock (${lockFile}).`;
  const lines = [`${changes.length} change${changes.length === 1 ? "" : "s"} from the approved lock (${lockFile}):`];
  for (const c of changes) {
    lines.push(`  ${OP_MARK[c.op]} ${c.op.padEnd(6)} ${c.name}  ${shortType(c.type)}`);
    for (const d of c.details ?? []) {
      if (isMultiLine(d.old) && isMultiLine(d.new)) {
        lines.push(`      ${d.path}:`, ...changedLines(d.old, d.new).map((l) => `        ${l}`));
        continue;
      }
      lines.push(
        `      ${d.path}: ${d.old === undefined ? "(unset)" : JSON.stringify(d.old)} → ${d.new === undefined ? "(unset)" : JSON.stringify(d.new)}`,
      );
    }
  }
  lines.push(`  To deploy this, the members approve it: coop propose --stack ${stack}`);
  return lines.join("\n");
}
