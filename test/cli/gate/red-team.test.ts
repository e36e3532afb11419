/**
 * The gate against attempts to deploy what the members did not approve. Every row must be
 * refused, with the policy and the reason asserted; the green rows must pass.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enginePreview, type EnginePreview, type EngineResource } from "../../../cli/gate/engine-requests";
import { analyzePreview, runGate, type GateResult, type PolicyConfig } from "../../../cli/gate/run-gate";
import { makePlan } from "../../../cli/planning";
import { changeRecords } from "../../../cli/change-records";
import type { Decision } from "../../../policies/governance/decision";
import { lockFromView, lockPath, type Lock } from "../../../policies/lock";
import { approvedRepo, pollDecision, type ApprovedRepo } from "../../helpers/approved-repo";
import { nodeKey, signWith } from "../../helpers/governance";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const STACK = "example";

let repo: ApprovedRepo;
let specText: string;
let lockText: string;
let decisions: string[];

beforeAll(async () => {
  repo = await approvedRepo([STACK, "local"]);
  specText = readFileSync(join(repo.root, "stacks", `${STACK}.yaml`), "utf8");
  lockText = readFileSync(lockPath(repo.root, STACK), "utf8");
  decisions = readdirSync(join(repo.root, "governance", "decisions"));
});
afterAll(() => repo.cleanup());

/** Puts back the approved spec, lock and ledger. */
function restore(): void {
  writeFileSync(join(repo.root, "stacks", `${STACK}.yaml`), specText);
  writeFileSync(lockPath(repo.root, STACK), lockText);
  for (const f of readdirSync(join(repo.root, "governance", "decisions"))) if (!decisions.includes(f)) rmSync(join(repo.root, "governance", "decisions", f));
}

interface Edit {
  spec?: (s: string) => string;
  lock?: (l: string) => string;
  config?: PolicyConfig;
  /** Runs after the spec edit, with the plan of the edited spec: record decisions, write the lock. */
  ledger?: (plan: { lock: Lock; changes: ReturnType<typeof changeRecords> }) => void;
}

/** Restores the approved state, applies `edit`, and gates the stack as `coop gate` does. */
async function gate(edit: Edit = {}): Promise<GateResult> {
  restore();
  if (edit.spec) writeFileSync(join(repo.root, "stacks", `${STACK}.yaml`), edit.spec(specText));
  if (edit.lock) writeFileSync(lockPath(repo.root, STACK), edit.lock(lockText));
  let plan = await makePlan(repo.root, STACK);
  if (edit.ledger) {
    edit.ledger({ lock: lockFromView(plan.view), changes: changeRecords(plan.changes) });
    plan = await makePlan(repo.root, STACK);
  }
  return runGate(repo.root, plan.run, edit.config);
}

/** Gates a preview whose engine requests were changed, as a tampered program or engine state would send them. */
async function gatePreview(change: (r: EngineResource) => EngineResource | undefined, offlinePlan = true): Promise<GateResult> {
  restore();
  const plan = await makePlan(repo.root, STACK);
  const preview = enginePreview(plan.run);
  const changed: EnginePreview = { resources: preview.resources.map((r) => change(r) ?? r) };
  return analyzePreview(repo.root, STACK, changed, {}, { offlinePlan });
}

function refusedBy(result: GateResult, policy: string, message: RegExp, resource?: string): void {
  expect(result.passed, JSON.stringify(result.violations, null, 2)).toBe(false);
  const hit = result.violations.find((v) => v.policy === policy && v.level === "mandatory" && message.test(v.message) && (!resource || v.urn?.endsWith(`::${resource}`)));
  expect(hit, `no mandatory ${policy} violation matching ${message}; got:\n${JSON.stringify(result.violations, null, 2)}`).toBeDefined();
}

const server = (r: EngineResource) => r.name === "host-server";
const bigger = (s: string) => s.replace("serverType: cx33", "serverType: cx43");

/** The server moves to cx43, approved by the decision `make` returns (signed by ada unless `sign` says otherwise). */
function approvedBy(make: (lock: Lock, changes: ReturnType<typeof changeRecords>) => Decision, sign: (d: Decision) => Decision = (d) => repo.sign(d, "ada")): Edit {
  return {
    spec: bigger,
    ledger: ({ lock, changes }) => {
      repo.write(sign(make(lock, changes)));
      repo.writeLock(lock);
    },
  };
}

function change(lock: Lock, changes: ReturnType<typeof changeRecords>) {
  return { stack: STACK, id: "example-0002-change", previous: repo.genesis.example, lock, changes };
}

describe("green rows", () => {
  it("a change the members approved passes", async () => {
    const r = await gate(approvedBy((lock, changes) => pollDecision(repo, change(lock, changes))));
    expect(r.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("the approved example passes", async () => {
    const r = await gate();
    expect(r.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    expect(r.passed).toBe(true);
  });

  it("provider-added defaults do not trip the gate", async () => {
    const plan = await makePlan(repo.root, STACK);
    const preview = enginePreview(plan.run);
    const srv = preview.resources.find(server)!;
    expect(srv.checked.__defaults).toEqual(expect.arrayContaining(["allowDeprecatedImages", "ignoreRemoteFirewallIds"]));
    expect(srv.checked.allowDeprecatedImages).toBe(false);
    expect((await analyzePreview(repo.root, STACK, preview, {}, { offlinePlan: true })).passed).toBe(true);
  });

  it("a value computed at preview but known at update passes both times", async () => {
    const known = (r: EngineResource) => (server(r) ? { ...r, checked: { ...r.checked, firewallIds: [4711], publicNets: [{ ipv4: 1, ipv4Enabled: true, ipv6: 2, ipv6Enabled: true }] } } : undefined);
    expect((await gatePreview(() => undefined, true)).passed).toBe(true);
    const atUpdate = await gatePreview(known, false);
    expect(atUpdate.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });
});

describe("red-team rows: each is refused", () => {
  it("an unapproved change to a governed input", async () => {
    refusedBy(await gate({ spec: (s) => s.replace("serverType: cx33", "serverType: cx43") }), "governance-resource-matches-lock", /serverType: "cx33" → "cx43"/, "host-server");
  });

  it("a new resource", async () => {
    const carol = "    - name: carol\n      sshPublicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDHryPENADbTg2YR6ZivslSjolTP6LAvZpn3vdzv9Ma0 carol@example.coop\n";
    refusedBy(await gate({ spec: (s) => s.replace("\nservices:", `${carol}\nservices:`) }), "governance-resource-matches-lock", /not in the approved lock/, "host-key-carol");
  });

  it("a deleted resource", async () => {
    const withoutGrace = (s: string) => s.replace(/    - name: grace\n      sshPublicKey: [^\n]+\n/, "");
    refusedBy(await gate({ spec: withoutGrace }), "governance-stack-no-unapproved-deletions", /no longer declared and would be deleted[\s\S]*host-key-grace/);
  });

  it("a change hidden at a path the lock marks computed but that is a literal now", async () => {
    const literal = (r: EngineResource) => (server(r) ? { ...r, checked: { ...r.checked, firewallIds: [4711] } } : undefined);
    refusedBy(await gatePreview(literal), "governance-resource-matches-lock", /firewallIds\[0\]: approved as computed from another resource → now set by the program to 4711/, "host-server");
  });

  it("an unknown value at a path the lock does not record as computed", async () => {
    const unknown = (r: EngineResource) => (server(r) ? { ...r, checked: { ...r.checked, serverType: UNKNOWN } } : undefined);
    const result = await gatePreview(unknown, false);
    refusedBy(result, "governance-resource-matches-lock", /serverType: "cx33" → a value computed at deploy time/, "host-server");
    expect(result.violations.filter((v) => v.level === "advisory" && /can't run/.test(v.message))).toEqual([]);
  });

  it("a lock edited by hand", async () => {
    refusedBy(await gate({ lock: (l) => l.replace('"serverType": "cx33"', '"serverType": "cx43"'), spec: (s) => s.replace("serverType: cx33", "serverType: cx43") }), "governance-resource-matches-lock", /cannot be trusted: .*does not match the lock's content/);
  });

  it("a lock edited without a decision (its digest recomputed to match)", async () => {
    const r = await gate({ spec: bigger, ledger: ({ lock }) => repo.writeLock(lock) });
    expect(r.violations.filter((v) => v.policy === "governance-resource-matches-lock")).toEqual([]);
    refusedBy(r, "governance-lock-approved", /no decision approved this lock .*\[lock-unbacked\]/);
  });

  it("a decision for another stack", async () => {
    const r = await gate({
      spec: bigger,
      ledger: ({ lock }) => {
        // The poll and decision were for stack 'local'; its digest is pasted into example's lock.
        repo.write(repo.sign(pollDecision(repo, { stack: "local", id: "local-0002-change", previous: repo.genesis.local, lock: { ...lock, stack: "local" }, binding: `coop-plan: stack=local sha256=${lock.digest}` }), "ada"));
        repo.writeLock(lock);
      },
    });
    refusedBy(r, "governance-lock-approved", /approved by 'local-0002-change', a decision for stack 'local' \[lock-other-stack\]/);
  });

  it("a stale decision (the poll closed longer ago than the bylaws allow when it was recorded)", async () => {
    refusedBy(await gate(approvedBy((lock, changes) => pollDecision(repo, { ...change(lock, changes), closedAt: "2026-01-20T12:00:00.000Z" }))), "governance-lock-approved", /\[decision-stale\]/);
  });

  it("a poll reopened after the decision (its evidence is not a closed poll)", async () => {
    refusedBy(await gate(approvedBy((lock, changes) => pollDecision(repo, { ...change(lock, changes), closedAt: null }))), "governance-lock-approved", /\[poll-not-closed\]/);
  });

  it("a signature by a non-member", async () => {
    const mallory = nodeKey("mallory");
    refusedBy(await gate(approvedBy((lock, changes) => pollDecision(repo, change(lock, changes)), (d) => signWith(d, "ada", mallory))), "governance-lock-approved", /\[signature-(non-member|member-mismatch)\]/);
  });

  it("a signature over other content", async () => {
    const borrowed = repo.genesis.example.signatures[0];
    refusedBy(await gate(approvedBy((lock, changes) => pollDecision(repo, change(lock, changes)), (d) => ({ ...d, signatures: [borrowed] }) as Decision)), "governance-lock-approved", /\[signature-invalid\]/);
  });

  it("an emergency change past its ratification deadline (and only a warning before it)", async () => {
    const emergency = (ratifyBy: string) =>
      approvedBy(
        (lock, changes) =>
          ({
            kind: "emergency",
            version: 1,
            id: "example-0002-emergency",
            project: "coop-infra",
            decidedAt: "2026-03-01T00:00:00.000Z",
            recordedAt: "2026-03-01T00:00:00.000Z",
            summary: "server too small during an outage",
            rulesSha256: repo.rulesSha256(),
            requires: { count: 2, roles: ["admin"] },
            signatures: [],
            stack: STACK,
            digest: lock.digest,
            previous: repo.genesis.example.id,
            replaces: repo.genesis.example.digest,
            reason: "the server ran out of memory",
            ratifyBy,
            changes,
          }) as Decision,
        (d) => repo.sign(d, "ada", "grace"),
      );
    refusedBy(await gate(emergency("2026-03-15T00:00:00.000Z")), "governance-lock-approved", /was not ratified by 2026-03-15.*\[emergency-overdue\]/);
    const pending = await gate(emergency("2999-01-01T00:00:00.000Z"));
    expect(pending.passed, JSON.stringify(pending.violations, null, 2)).toBe(true);
    expect(pending.violations).toContainEqual(expect.objectContaining({ policy: "governance-lock-approved", level: "advisory", message: expect.stringMatching(/awaits ratification.*\[emergency-unratified\]/) }));
  });

  it("__defaults listing a key the lock sets explicitly", async () => {
    const hidden = (r: EngineResource) => (server(r) ? { ...r, checked: { ...r.checked, deleteProtection: false, __defaults: [...((r.checked.__defaults as string[]) ?? []), "deleteProtection"] } } : undefined);
    refusedBy(await gatePreview(hidden), "governance-resource-matches-lock", /deleteProtection: true → false/, "host-server");
  });

  it("policy config trying to lower a governance policy", async () => {
    const config: PolicyConfig = { "governance-resource-matches-lock": { enforcementLevel: "disabled" }, "governance-stack-no-unapproved-deletions": { enforcementLevel: "advisory" } };
    const r = await gate({ spec: (s) => s.replace("serverType: cx33", "serverType: cx43"), config });
    refusedBy(r, "governance-resource-matches-lock", /serverType: "cx33" → "cx43"/);
    refusedBy(r, "governance-policy-config-locked", /asked to run governance-resource-matches-lock as 'disabled'/);
    refusedBy(r, "governance-policy-config-locked", /asked to run governance-stack-no-unapproved-deletions as 'advisory'/);
  });
});
