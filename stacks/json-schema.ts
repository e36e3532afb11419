/**
 * The JSON Schema editors use to autocomplete stack specs, generated from the zod schema so the
 * two never disagree (a test pins the committed file to this output).
 */
import { z } from "zod";
import { StackSpecSchema } from "./schema";

export const SPEC_SCHEMA_FILE = "stacks/spec.schema.json";

export function renderSpecJsonSchema(): string {
  const schema = z.toJSONSchema(StackSpecSchema, { io: "input", unrepresentable: "any" });
  return `${JSON.stringify({ ...schema, title: "coop-infra stack spec", description: "One stack of a co-op's infrastructure: stacks/<stack>.yaml" }, null, 2)}\n`;
}
