/**
 * Regenerates the committed JSON Schemas from the zod schemas: `npm run schema`.
 */
import { join } from "node:path";
import { findRepoRoot } from "../kernel/repo";
import { writeFileAtomic } from "../kernel/fs-atomic";
import { SPEC_SCHEMA_FILE, renderSpecJsonSchema } from "../stacks/json-schema";
import { governanceSchemaOutputs } from "../rulebook/records/json-schemas";
import { PRICE_TABLE_SCHEMA_FILE, renderPriceTableJsonSchema } from "../plan/prices";

const root = findRepoRoot();
const outputs: Array<[string, string]> = [
  [SPEC_SCHEMA_FILE, renderSpecJsonSchema()],
  ...governanceSchemaOutputs(),
  [PRICE_TABLE_SCHEMA_FILE, renderPriceTableJsonSchema()],
];
for (const [file, text] of outputs) {
  writeFileAtomic(join(root, file), text);
  console.log(`wrote ${file}`);
}
