/**
 * What a bridged provider's Check adds to a resource's inputs before the engine analyzes them:
 * schema defaults for inputs the program left unset, listed in `__defaults` at the object
 * level where they were added. Offline there is no provider, so the gate adds the defaults
 * documented in the provider SDKs for the resource types the co-op uses — the pack must
 * accept them without their being in the lock, and must never let them hide an approved value.
 */

type Defaults = Readonly<Record<string, string | number | boolean>>;

/** Top-level schema defaults per resource type (from the providers' documented defaults). */
const TOP_LEVEL: Readonly<Record<string, Defaults>> = {
  "hcloud:index/server:Server": {
    allowDeprecatedImages: false,
    backups: false,
    keepDisk: false,
    shutdownBeforeDeletion: false,
    deleteProtection: false,
    rebuildProtection: false,
    ignoreRemoteFirewallIds: false,
  },
  "hcloud:index/volume:Volume": { automount: false, deleteProtection: false },
  "hcloud:index/primaryIp:PrimaryIp": { deleteProtection: false },
  "hcloud:index/storageBox:StorageBox": { deleteProtection: false },
  "hcloud:index/zone:Zone": { deleteProtection: false },
  "docker:index/container:Container": {
    attach: false,
    logs: false,
    mustRun: true,
    publishAllPorts: false,
    readOnly: false,
    removeVolumes: true,
    restart: "no",
    rm: false,
    start: true,
    stdinOpen: false,
    tty: false,
    wait: false,
    waitTimeout: 60,
    containerReadRefreshTimeoutMilliseconds: 15000,
  },
  "docker:index/network:Network": { attachable: false, checkDuplicate: false, internal: false, ipv6: false },
  "docker:index/remoteImage:RemoteImage": { keepLocally: false },
  "random:index/randomPassword:RandomPassword": {
    lower: true,
    upper: true,
    numeric: true,
    special: true,
    minLower: 0,
    minUpper: 0,
    minNumeric: 0,
    minSpecial: 0,
  },
  "random:index/randomBytes:RandomBytes": {},
  "tls:index/privateKey:PrivateKey": { ecdsaCurve: "P224", rsaBits: 2048 },
};

/** Defaults of nested objects: type → list field → defaults of each item. */
const NESTED: Readonly<Record<string, Readonly<Record<string, Defaults>>>> = {
  "docker:index/container:Container": { ports: { ip: "0.0.0.0", protocol: "tcp" } },
};

const BRIDGED = /^(hcloud|docker|random|tls):/;

/** Returns the inputs as a bridged provider's Check would: defaults added and listed in __defaults. */
export function checkedInputs(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (!BRIDGED.test(type)) return inputs;
  const out: Record<string, unknown> = { ...inputs };
  const added: string[] = [];
  for (const [k, v] of Object.entries(TOP_LEVEL[type] ?? {})) {
    if (!(k in out)) {
      out[k] = v;
      added.push(k);
    }
  }
  for (const [field, defaults] of Object.entries(NESTED[type] ?? {})) {
    const list = out[field];
    if (Array.isArray(list)) out[field] = list.map((item) => withNestedDefaults(item, defaults));
  }
  out.__defaults = added.sort();
  return out;
}

function withNestedDefaults(item: unknown, defaults: Defaults): unknown {
  if (!item || typeof item !== "object" || Array.isArray(item)) return item;
  const o = { ...(item as Record<string, unknown>) };
  const added: string[] = [];
  for (const [k, v] of Object.entries(defaults)) {
    if (!(k in o)) {
      o[k] = v;
      added.push(k);
    }
  }
  o.__defaults = added.sort();
  return o;
}
