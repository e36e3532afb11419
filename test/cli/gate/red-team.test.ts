/**
 * The gate against attempts to deploy what the members did not approve. Every row must be
 * refused, with the policy and the reason asserted; the green rows must pass.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enginePreview, type EnginePreview, type EngineResource } from "../../../cli/gate/engine-requests";
import { analyzePreview, runGate, type GateResult, type PolicyConfig } from "../../../cli/gate/run-gate";
import { makePlan } from "../../../cli/planning";
import { lockFromView, lockPath, renderLock } from "../../../policies/lock";
import { tempRepo } from "../../helpers/repo";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const STACK = "example";

let repo: ReturnType<typeof tempRepo>;
let specText: string;
let lockText: string;

beforeAll(async () => {
  repo = tempRepo();
  specText = readFileSync(join(repo.root, "stacks", `${STACK}.yaml`), "utf8");
  const plan = await makePlan(repo.root, STACK);
  lockText = renderLock(lockFromView(plan.view));
  mkdirSync(dirname(lockPath(repo.root, STACK)), { recursive: true });
  writeFileSync(lockPath(repo.root, STACK), lockText);
});
afterAll(() => repo.cleanup());

/** Restores the approved spec and lock, applies `edit`, and gates the stack as `coop gate` does. */
async function gate(edit: { spec?: (s: string) => string; lock?: (l: string) => string; config?: PolicyConfig } = {}): Promise<GateResult> {
  writeFileSync(join(repo.root, "stacks", `${STACK}.yaml`), edit.spec ? edit.spec(specText) : specText);
  writeFileSync(lockPath(repo.root, STACK), edit.lock ? edit.lock(lockText) : lockText);
  const plan = await makePlan(repo.root, STACK);
  return runGate(repo.root, plan.run, edit.config);
}

/** Gates a preview whose engine requests were changed, as a tampered program or engine state would send them. */
async function gatePreview(change: (r: EngineResource) => EngineResource | undefined, offlinePlan = true): Promise<GateResult> {
  writeFileSync(join(repo.root, "stacks", `${STACK}.yaml`), specText);
  writeFileSync(lockPath(repo.root, STACK), lockText);
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

describe("green rows", () => {
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
