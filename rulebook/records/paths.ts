/** Where the co-op's record lives in the repository. */
export const GOVERNANCE_DIR = "governance";
export const APPROVED_DIR = "governance/approved";
export const LOCK_SUFFIX = ".lock.json";
export const RULES_SCHEMA_FILE = "governance/rules.schema.json";
export const MEMBERS_SCHEMA_FILE = "governance/members.schema.json";
export const DECISION_SCHEMA_FILE = "governance/decision.schema.json";
export const LOCK_SCHEMA_FILE = "governance/lock.schema.json";
