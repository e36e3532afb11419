import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { governanceSchemaOutputs } from "../../../rulebook/records/json-schemas";
import { PRICE_TABLE_SCHEMA_FILE, renderPriceTableJsonSchema } from "../../../plan/prices";
import { REPO_ROOT } from "../../helpers/repo";

type Schema = {
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  $defs?: Record<string, Schema>;
  $ref?: string;
};

function undescribed(s: Schema, path: string, out: string[]): void {
  for (const v of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...Object.values(s.$defs ?? {})]) undescribed(v, path, out);
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    if (!v.description && !v.$ref && !(v.anyOf ?? v.oneOf)) out.push(`${path}.${k}`);
    undescribed(v, `${path}.${k}`, out);
  }
  if (s.items) undescribed(s.items, `${path}[]`, out);
}

describe("the governance files' JSON Schemas", () => {
  for (const [file, text] of [...governanceSchemaOutputs(), [PRICE_TABLE_SCHEMA_FILE, renderPriceTableJsonSchema()] as [string, string]]) {
    it(`${file} is committed exactly as generated (run \`npm run schema\` after changing a schema)`, () => {
      expect(readFileSync(join(REPO_ROOT, file), "utf8")).toBe(text);
    });
  }

  it("describe the fields people write by hand (rules, members, price table)", () => {
    const missing: string[] = [];
    for (const [file, text] of [
      ...governanceSchemaOutputs().filter(([f]) => /rules|members/.test(f)),
      [PRICE_TABLE_SCHEMA_FILE, renderPriceTableJsonSchema()] as [string, string],
    ]) {
      undescribed(JSON.parse(text) as Schema, file, missing);
    }
    expect(missing).toEqual([]);
  });
});
