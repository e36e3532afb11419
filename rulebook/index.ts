/**
 * The governance model: what the policy pack and the `coop` commands use. Pure and offline:
 * it reads files, never the network, and runs no programs.
 *
 *   const gov = loadGovernance(root);
 *   const findings = checkLockBacked(gov, stack, lock, new Date());   // policy pack
 *   const all = verifyLedger(gov, new Date());                         // coop verify
 */
export { loadGovernance, readDecisionText, type Governance, type LoadedDecision, type LoadedLock } from "./ledger/load";
export {
  checkLockBacked,
  verifyLedger,
  chainOf,
  decisionFindings,
  decisionFindingsInForce,
  inForceFindings,
  evidenceFindings,
  emergencyFindings,
  emergencyStatuses,
  emergenciesAwaitingVote,
  effectiveDeadline,
  stateSegment,
  reliedOn,
  type Chain,
  type EmergencyStatus,
} from "./checks/check";
export { FINDING_CODES, errorsOf, formatFinding, type Finding, type FindingCode } from "./findings";
export {
  RulesSchema,
  rulesDigest,
  RULES_FILE,
  CHANGE_CLASSES,
  type Rules,
  type SignatureRequirement,
  type ChangeClass,
} from "./records/rules";
export { MembersSchema, MEMBERS_FILE, indexMemberKeys, type Members, type Member } from "./records/members";
export {
  DecisionSchema,
  DECISIONS_DIR,
  DECISION_HEADER,
  LOCK_KINDS,
  decisionFile,
  isLockDecision,
  signaturePayload,
  type Decision,
  type DecisionKind,
  type LockDecision,
  type ChangeRecord,
  type PollEvidence,
} from "./records/decision";
export { DECISION_NAMESPACE, verifySshsig, signSshsig, parseSshsig } from "./signatures/sshsig";
export { parsePublicKeyLine, fingerprintOf, type SshPublicKey } from "../kernel/ssh-keys";
export { checkSignatures, requirementFor, verifySignatures } from "./signatures/signatures";
export { evaluatePoll, appliedRulesOf, POLL_RULES, type AppliedRules, type PollEvaluation, type RuleResult } from "./loomio/poll-rules";
export { pollFactsFromResponse, MalformedPoll, type PollFacts, type Counts } from "./loomio/poll-facts";
export {
  planBindingLine,
  standingBindingLine,
  checkBinding,
  findPlanBindings,
  type Expectation,
  type StandingTerms,
} from "./loomio/binding";
export { checkChangeClass, taggedImage, versionStep, type ClassCheck } from "./changes/change-classes";
export { renderLedgerYaml, renderLedgerYamlChecked, readLedgerYamlFast } from "./ledger/ledger-yaml";
export { governanceSchemaOutputs } from "./records/json-schemas";
export {
  majorSteps,
  majorLine,
  findMajorLines,
  nextcloudSkips,
  unnamedMajors,
  requiredMajorLines,
  familyOf,
  majorOf,
  type MajorStep,
  type Family,
} from "./changes/majors";
