/**
 * Monthly cost of a desired state, from the dated price table: a pure function over the
 * governed resources, so the cost before a change is that of the approved lock and the cost
 * after is that of the plan. Only Hetzner resources cost money; containers and commands run
 * on the server. Resources whose price is unknown are listed, never silently counted as free.
 */
import type { PriceTable } from "./prices";
import { COMPUTED, type GovernedResource } from "./view";
import type { Json } from "../kernel/json";

export interface CostLine {
  readonly urn: string;
  readonly name: string;
  readonly type: string;
  /** What is being paid for, in words. */
  readonly what: string;
  /** Euros per month; null when the table has no price for it. */
  readonly monthly: number | null;
  readonly note?: string;
}

export interface CostEstimate {
  readonly currency: string;
  readonly vat: string;
  readonly asOf: string;
  /** Priced and unpriced billable resources, in view order. */
  readonly lines: CostLine[];
  /** Sum of the priced lines, rounded to cents. */
  readonly total: number;
  readonly unpriced: CostLine[];
}

/** Hetzner resources that cost nothing by themselves. */
const FREE_HCLOUD = new Set([
  "sshKey",
  "firewall",
  "firewallAttachment",
  "volumeAttachment",
  "rdns",
  "network",
  "networkSubnet",
  "networkRoute",
  "serverNetwork",
  "placementGroup",
  "certificate",
  "managedCertificate",
  "uploadedCertificate",
  "zone",
  "zoneRecord",
  "zoneRrset",
  "storageBoxSubaccount",
  "primaryIpAssignment",
  "floatingIpAssignment",
  "loadBalancerNetwork",
  "loadBalancerService",
  "loadBalancerTarget",
]);

function hcloudKind(type: string): string | undefined {
  const m = /^hcloud:index\/([A-Za-z]+):/.exec(type);
  return m?.[1];
}

function str(v: Json | undefined): string | undefined {
  return typeof v === "string" && v !== COMPUTED ? v : undefined;
}

export function cents(n: number): number {
  return Math.round(n * 100) / 100;
}

function priceOne(r: GovernedResource, table: PriceTable): CostLine | undefined {
  const kind = hcloudKind(r.type);
  if (!kind || FREE_HCLOUD.has(kind)) return undefined;
  const line = (what: string, monthly: number | null, note?: string): CostLine => ({
    urn: r.urn,
    name: r.name,
    type: r.type,
    what,
    monthly: monthly === null ? null : cents(monthly),
    ...(note ? { note } : {}),
  });
  const i = r.inputs;
  switch (kind) {
    case "server": {
      const type = str(i.serverType);
      const location = str(i.location);
      if (!type) return line("server (type not known until deploy)", null, "the server type is computed");
      const base = table.serverTypes[type];
      if (base === undefined) return line(`server ${type}`, null, `no price for ${type} in the price table`);
      if (location && !(table.locations as string[]).includes(location))
        return line(`server ${type} in ${location}`, null, `the price table holds for ${table.locations.join(", ")} only`);
      const backups = i.backups === true;
      return line(
        `server ${type}${location ? ` in ${location}` : ""}${backups ? " with backups" : ""}`,
        base * (backups ? 1 + table.serverBackupsShare : 1),
      );
    }
    case "primaryIp": {
      const t = str(i.type);
      if (t === "ipv4") return line("primary IPv4 address", table.primaryIp.ipv4);
      if (t === "ipv6") return line("primary IPv6 network", table.primaryIp.ipv6);
      return line("primary IP", null, "the IP type is not known");
    }
    case "volume": {
      const size = typeof i.size === "number" ? i.size : undefined;
      if (size === undefined) return line("volume", null, "the size is not known");
      return line(`volume ${size} GB`, size * table.volumePerGb);
    }
    case "storageBox": {
      const t = str(i.storageBoxType);
      if (!t) return line("Storage Box", null, "the type is not known");
      const p = table.storageBoxes[t];
      return p === undefined ? line(`Storage Box ${t}`, null, `no price for ${t} in the price table`) : line(`Storage Box ${t}`, p);
    }
    default:
      return line(`${kind}`, null, `coop has no price for Hetzner ${kind} resources`);
  }
}

export const BUCKET_TYPE = "minio:index/s3Bucket:S3Bucket";

/**
 * Buckets in Hetzner Object Storage: the base price once (it covers every bucket of the account
 * up to the included storage), the others at nothing more. What is stored beyond the included
 * terabyte depends on use, not on the plan, so it is named in the note and not guessed.
 */
function priceBuckets(resources: readonly GovernedResource[], table: PriceTable): CostLine[] {
  const os = table.objectStorage;
  return resources
    .filter((r) => r.type === BUCKET_TYPE)
    .map((r, i) => {
      const base = { urn: r.urn, name: r.name, type: r.type };
      const bucket = str(r.inputs.bucket) ?? r.name;
      if (!os) return { ...base, what: `bucket ${bucket}`, monthly: null, note: "the price table has no Object Storage prices" };
      if (i > 0) return { ...base, what: `bucket ${bucket}`, monthly: 0, note: "within the Object Storage base price" };
      return {
        ...base,
        what: `Object Storage base (bucket ${bucket}; ${os.includedTb} TB stored and ${os.includedTb} TB egress included)`,
        monthly: cents(os.basePerMonth),
        note: `charged once per Hetzner account; each further TB stored ${formatEuros(os.extraPerTbMonth)}/month`,
      };
    });
}

export function estimateMonthlyCost(resources: readonly GovernedResource[], table: PriceTable): CostEstimate {
  const lines = [
    ...resources.map((r) => priceOne(r, table)).filter((l): l is CostLine => l !== undefined),
    ...priceBuckets(resources, table),
  ];
  const total = cents(lines.reduce((sum, l) => sum + (l.monthly ?? 0), 0));
  return { currency: table.currency, vat: table.vat, asOf: table.asOf, lines, total, unpriced: lines.filter((l) => l.monthly === null) };
}

export function formatEuros(n: number): string {
  return `€${n.toFixed(2)}`;
}

/** "+€6.20/month", "−€1.00/month", "no change". */
export function formatDelta(before: number, after: number): string {
  const d = cents(after - before);
  if (d === 0) return "no change";
  return `${d > 0 ? "+" : "−"}€${Math.abs(d).toFixed(2)}/month`;
}
