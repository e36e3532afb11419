/**
 * The JSON Schemas of the governance files, generated from their zod schemas (`npm run schema`)
 * and committed beside the files so editors can complete and explain them. A test pins each
 * committed file to this output.
 */
import { z } from "zod";
import { LockSchema } from "../../plan/lock";
import { DecisionSchema } from "./decision";
import { MembersSchema } from "./members";
import { DECISION_SCHEMA_FILE, LOCK_SCHEMA_FILE, MEMBERS_SCHEMA_FILE, RULES_SCHEMA_FILE } from "./paths";
import { RulesSchema } from "./rules";

function render(schema: z.ZodType, title: string, description: string): string {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", reused: "ref" });
  return `${JSON.stringify({ ...json, title, description }, null, 2)}\n`;
}

/** [repository-relative file, contents] for every governance JSON Schema. */
export function governanceSchemaOutputs(): Array<[string, string]> {
  return [
    [RULES_SCHEMA_FILE, render(RulesSchema, "coop-infra rules", "The co-op's bylaws for infrastructure changes: governance/rules.yaml")],
    [
      MEMBERS_SCHEMA_FILE,
      render(MembersSchema, "coop-infra members", "Members who take part in infrastructure decisions: governance/members.yaml"),
    ],
    [
      DECISION_SCHEMA_FILE,
      render(DecisionSchema, "coop-infra decision", "One decision of the co-op: governance/decisions/<id>.json (written by coop)"),
    ],
    [
      LOCK_SCHEMA_FILE,
      render(
        LockSchema,
        "coop-infra approved lock",
        "The approved desired state of a stack: governance/approved/<stack>.lock.json (written by coop)",
      ),
    ],
  ];
}
