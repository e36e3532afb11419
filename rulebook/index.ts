/**
 * The governance model: the one rulebook the policy pack and the `coop` commands ask. Pure and
 * offline: it reads the repository's files, never the network, and runs no programs but git
 * (to list the code files).
 *
 *   const ledger = loadLedger(root);
 *   stackFindings(ledger, stack, lock, now)     // the policy pack, per stack
 *   verifyLedger(ledger, now)                   // coop verify
 *   admissionFindings(candidate, newIds, now)   // what a command asks before it writes
 */
export {
  loadLedger,
  readDecisionFile,
  decisionFileNames,
  type Ledger,
  type LoadedDecision,
  type LoadedLock,
  type DecisionFileResult,
} from "./ledger/load";
export { ObjectStore, objectEntry, objectFile, digestOf, renderObject, OBJECTS_DIR, type ObjectKind } from "./ledger/objects";
export { readCodeManifest, codeFileDigest } from "./ledger/code-tree";
export { FINDING_CODES, errorsOf, formatFinding, dedupe, type Finding, type FindingCode } from "./findings";
export {
  RulesSchema,
  rulesDigest,
  RULES_FILE,
  CHANGE_CLASSES,
  signingRoles,
  type Rules,
  type SignatureRequirement,
  type ChangeClass,
} from "./records/rules";
export { MembersSchema, MEMBERS_FILE, membersDigest, type Members, type Member } from "./records/members";
export { codeDigest, codeChanges, isDataPath, type CodeManifest } from "./records/code";
export {
  DecisionSchema,
  DECISIONS_DIR,
  RECORD_VERSION,
  decisionFile,
  renderRecord,
  signaturePayload,
  isStackDecision,
  isGovernanceDecision,
  ratifiedIds,
  type Decision,
  type DecisionDraft,
  type DecisionKind,
  type StackDecision,
  type GovernanceDecision,
  type PollEvidence,
  type Evidence,
  type StandingTerms,
} from "./records/decision";
export { DECISION_NAMESPACE, verifySshsig, signSshsig, parseSshsig } from "./signatures/sshsig";
export {
  judgeSignatures,
  describeRequirement,
  checkRecordSignatures,
  primeSignatureResults,
  type SignatureCheckResult,
} from "./signatures/signatures";
export { evaluatePoll, POLL_RULES, type PollProcess, type PollEvaluation, type RuleResult } from "./loomio/poll-rules";
export { pollFactsFromResponse, keptAnswer, MalformedPoll, type PollFacts, type Counts } from "./loomio/poll-facts";
export {
  planBindingLine,
  standingBindingLine,
  governedBindingLine,
  summaryBindingLine,
  ratifiesBindingLine,
  checkBinding,
  type Expectation,
} from "./loomio/binding";
export { checkChangeClass, taggedImage, versionStep, type ClassCheck } from "./changes/change-classes";
export { changeRecordsOf, type ChangeRecord } from "./changes/change-records";
export {
  primaryStorageSwitches,
  describeSwitch,
  STORAGE_SWITCH_REMEDIATION,
  nextcloudPrimaryBucket,
  type StorageSwitch,
} from "./changes/primary-storage";
export { majorSteps, majorLine, findMajorLines, nextcloudSkips, unnamedMajors, requiredMajorLines, type MajorStep } from "./changes/majors";
export { governanceSchemaOutputs } from "./records/json-schemas";
export { governanceChain, stackChain, stacksWithDecisions, type Chain, type L } from "./checks/chains";
export { versionAfter, currentVersion, founding, type Version } from "./checks/versions";
export { processOf, type Process } from "./checks/process";
export { orderFindings, stackHeads } from "./checks/order";
export { recordFindings } from "./checks/record";
export { emergencyStatuses, pendingEmergencies, emergencyFindings, type EmergencyStatus } from "./checks/emergencies";
export { ledgerFindings, stackFindings, verifyLedger, stateSegment } from "./checks/verdict";
export { admissionFindings, withRecords, expectedSummary, newRecordIds, normalizeText, type AdmissionOptions } from "./checks/admission";
export {
  stackSummary,
  requiredMajorsOf,
  changesBetween,
  servicesRun,
  type StackSummaryInput,
  type EmergencyState,
} from "./summary/stack-summary";
export { bylawsSummary, membersSummary, codeSummary, standingSummary } from "./summary/governance-summary";
