/**
 * The dated Hetzner price table (plan/prices/hetzner.yaml) that monthly cost estimates use.
 * Prices are data, not code: Hetzner changed them several times in 2026, and a co-op updates
 * the table (and its `asOf` date) without touching logic.
 */
import { join } from "node:path";
import { z } from "zod";
import { LOCATION_NAMES } from "../stacks/catalog";
import { readYamlFile } from "../kernel/yaml-file";

export const PRICE_TABLE_FILE = "plan/prices/hetzner.yaml";
export const PRICE_TABLE_SCHEMA_FILE = "plan/prices/price-table.schema.json";

const euros = z.number().min(0).max(100_000);

export const PriceTableSchema = z
  .object({
    asOf: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "expected a date such as 2026-08-02" })
      .describe("When these prices were checked. coop warns when the table is older than about six months."),
    currency: z.literal("EUR").default("EUR").describe("Currency of every price."),
    vat: z.enum(["excluded", "included"]).default("excluded").describe("Whether the prices include VAT."),
    source: z.string().min(1).describe("Where the prices come from, so the next person can check them."),
    locations: z
      .array(z.enum(LOCATION_NAMES))
      .min(1)
      .default(["fsn1", "nbg1", "hel1"])
      .describe("Locations where the server prices hold; servers elsewhere are shown as not priced."),
    serverTypes: z
      .record(z.string().regex(/^[a-z]+\d+$/), euros)
      .default({})
      .describe("Monthly price (the monthly cap) per server type."),
    serverBackupsShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe("Hetzner's server backup option costs this share of the server price."),
    primaryIp: z
      .object({
        ipv4: euros.describe("Monthly price of a primary IPv4 address."),
        ipv6: euros.default(0).describe("Monthly price of a primary IPv6 network."),
      })
      .strict()
      .describe("Primary IPs."),
    volumePerGb: euros.describe("Monthly price of one GB of volume storage."),
    storageBoxes: z
      .record(z.string().regex(/^bx\d{2}$/), euros)
      .default({})
      .describe("Monthly price per Storage Box type."),
    objectStorage: z
      .object({
        basePerMonth: euros.describe("Monthly base price of Object Storage, charged once per Hetzner account however many buckets it has."),
        includedTb: z.number().min(0).describe("Storage (TB) and egress traffic (TB) the base price includes each month."),
        extraPerTbMonth: euros.describe("Monthly price of each further TB stored (Hetzner bills it per TB-hour)."),
        source: z.string().min(1).describe("Where these figures come from, and when they were seen."),
      })
      .strict()
      .optional()
      .describe("Hetzner Object Storage (buckets for media and files). Absent: buckets are shown as not priced."),
    notes: z.array(z.string()).default([]).describe("Caveats worth knowing when reading an estimate."),
  })
  .strict()
  .describe("Hetzner prices for monthly cost estimates (plan/prices/hetzner.yaml).");

export type PriceTable = z.output<typeof PriceTableSchema>;

export function readPriceTable(root: string): PriceTable {
  return readYamlFile(
    join(root, PRICE_TABLE_FILE),
    PriceTableSchema,
    PRICE_TABLE_FILE,
    "restore it from coop-infra (git checkout -- plan/prices/hetzner.yaml)",
  ).value;
}

/** Whole days between the table's date and `now`. */
export function priceTableAgeDays(table: PriceTable, now: Date): number {
  return Math.floor((now.getTime() - Date.parse(`${table.asOf}T00:00:00Z`)) / 86_400_000);
}

/** Beyond this age, estimates carry a warning: Hetzner changed prices three times in 2026. */
export const PRICE_TABLE_MAX_AGE_DAYS = 183;

export function renderPriceTableJsonSchema(): string {
  const schema = z.toJSONSchema(PriceTableSchema, { io: "input", unrepresentable: "any" });
  return `${JSON.stringify({ ...schema, title: "coop-infra price table", description: "Hetzner prices for monthly cost estimates: plan/prices/hetzner.yaml" }, null, 2)}\n`;
}
