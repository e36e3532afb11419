/**
 * What the readiness check (stacks/readiness.ts) needs from outside: the spec with its line
 * numbers, which keys the stack's Pulumi config holds (never their values), the members' keys,
 * and — online only — the domain's name servers. `coop doctor` and `coop init` both use it.
 */
import { lstatSync, readFileSync } from "node:fs";
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { InputError } from "../../kernel/errors";
import { readProjectName } from "../../kernel/repo";
import { fieldLocator, readYamlFile } from "../../kernel/yaml-file";
import { MEMBERS_FILE, MembersSchema } from "../../rulebook/records/members";
import { loadStackSpec } from "../../stacks/load";
import type { DnsObservation, MemberKeys, ReadinessInput, StackConfig } from "../../stacks/readiness";

/** Pulumi stack config files are small; anything bigger is not one. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export function stackConfigFile(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/**
 * Which config keys Pulumi.<stack>.yaml holds, and whether each is encrypted (`secure:`).
 * Values are not kept, and no message quotes the file.
 */
export function readStackConfig(root: string, stack: string): StackConfig {
  const file = stackConfigFile(stack);
  const path = join(root, file);
  let size: number;
  try {
    const st = lstatSync(path);
    if (!st.isFile())
      throw new InputError(`${file} is not a regular file`, `it must be the stack's config file; \`git restore ${file}\` if it is tracked`);
    size = st.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { file, exists: false };
    if (e instanceof InputError) throw e;
    throw new InputError(`${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`, "check its permissions");
  }
  if (size > MAX_CONFIG_BYTES)
    throw new InputError(`${file} is larger than a stack config can be (${size} bytes)`, `\`git restore ${file}\``);
  const text = readFileSync(path, "utf8");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const pos = lc.linePos(doc.errors[0].pos[0]);
    throw new InputError(
      `${file}:${pos.line}:${pos.col} is not valid YAML`,
      `\`git restore ${file}\` if it is tracked; otherwise re-create it with \`pulumi config set\``,
    );
  }
  const keys: Record<string, "secure" | "plain"> = {};
  const top = doc.contents;
  const config = isMap(top) ? top.get("config", true) : undefined;
  if (config !== undefined && config !== null && !isMap(config) && !(isScalar(config) && config.value === null)) {
    throw new InputError(`${file}: \`config\` is not a mapping of keys`, `\`git restore ${file}\` if it is tracked`);
  }
  if (isMap(config)) {
    for (const pair of config.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) continue;
      const v = pair.value;
      const secure = isMap(v) && v.items.length === 1 && isScalar(v.items[0].key) && v.items[0].key.value === "secure";
      keys[key] = secure ? "secure" : "plain";
    }
  }
  return { file, exists: true, keys };
}

/** The members' keys, with the line of each member; undefined when the repository has no members file. */
export function readMemberKeys(root: string): MemberKeys | undefined {
  try {
    lstatSync(join(root, MEMBERS_FILE));
  } catch {
    return undefined;
  }
  // Read and validated as every command reads it: a broken members file is bad input (exit 2).
  const { value, text } = readYamlFile(join(root, MEMBERS_FILE), MembersSchema, MEMBERS_FILE);
  const lineOf = fieldLocator(text);
  return {
    file: MEMBERS_FILE,
    members: value.members.map((m, i) => ({ name: m.name, sshKeys: m.sshKeys, line: lineOf(["members", i]) })),
  };
}

export interface DnsOptions {
  /** A resolver to ask instead of the system's, e.g. 9.9.9.9 or [2620:fe::fe]:53. */
  readonly resolver?: string;
  readonly timeoutMs?: number;
}

/** Parses --resolver: an IP address, with an optional port (IPv6 in brackets when a port is given). */
export function parseResolver(text: string): string {
  const t = text.trim();
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(t);
  const address = m ? m[1] : t;
  const port = m?.[2] !== undefined ? Number(m[2]) : undefined;
  if (isIP(address) === 0 || (port !== undefined && (port < 1 || port > 65535)))
    throw new InputError(
      `--resolver '${text}' is not an IP address (with an optional port)`,
      "e.g. --resolver 9.9.9.9 or --resolver [2620:fe::fe]:53",
    );
  if (port === undefined) return address;
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Asks DNS for the domain's name servers, within one deadline; never throws. */
export async function observeNameservers(domain: string, opts: DnsOptions = {}): Promise<DnsObservation> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(timeoutMs / 2)), tries: 2 });
  if (opts.resolver) resolver.setServers([opts.resolver]);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<DnsObservation>((resolve) => {
    timer = setTimeout(() => {
      resolver.cancel();
      resolve({ kind: "unknown", reason: `no answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
  });
  const lookup = resolver.resolveNs(domain).then(
    (servers): DnsObservation => ({ kind: "ns", servers }),
    (e: NodeJS.ErrnoException): DnsObservation => {
      if (e.code === "ENOTFOUND") return { kind: "missing" };
      if (e.code === "ENODATA") return { kind: "no-ns" };
      if (e.code === "ETIMEOUT" || e.code === "ECANCELLED") return { kind: "unknown", reason: `no answer within ${timeoutMs / 1000} s` };
      return { kind: "unknown", reason: `the resolver answered ${e.code ?? "an error"}` };
    },
  );
  try {
    return await Promise.race([lookup, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface GatherOptions {
  readonly online?: boolean;
  readonly dns?: DnsOptions;
}

/** Everything the readiness check of `stack` needs; bad input files throw InputError (exit 2). */
export async function gatherReadiness(root: string, stack: string, opts: GatherOptions = {}): Promise<ReadinessInput> {
  const { spec, file } = loadStackSpec(root, stack);
  const lineOf = fieldLocator(readFileSync(join(root, file), "utf8"));
  return {
    stack,
    specFile: file,
    spec,
    lineOf,
    project: readProjectName(root),
    config: readStackConfig(root, stack),
    members: readMemberKeys(root),
    dns: opts.online && spec.host.target === "hetzner" ? await observeNameservers(spec.domain, opts.dns) : undefined,
  };
}
