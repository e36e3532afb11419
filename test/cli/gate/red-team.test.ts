/**
 * The gate against attempts to deploy what the members did not approve. Every row must be
 * refused, with the policy and the reason asserted; the green rows must pass.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enginePreview, type EnginePreview, type EngineResource } from "../../../cli/gate/engine-requests";
import { analyzePreview, runGate, type GateResult, type PolicyConfig } from "../../../cli/gate/run-gate";
import { makePlan } from "../../../cli/plan/planning";
import type { Decision } from "../../../rulebook/records/decision";
import { objectEntry } from "../../../rulebook";
import { lockFromView, lockPath, readLock, type Lock, viewOfLock } from "../../../plan/lock";
import { GENERATED, isWireSecret } from "../../../plan/view";
import type { Json } from "../../../kernel/json";
import { approvedRepo, type ApprovedRepo } from "../../helpers/approved-repo";
import { snapshot } from "../../helpers/files";
import { nodeKey, signWith } from "../../helpers/governance";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const STACK = "example";

let repo: ApprovedRepo;
let specText: string;
let approved: Map<string, string>;

beforeAll(async () => {
  repo = await approvedRepo([STACK, "local"]);
  specText = readFileSync(join(repo.root, "stacks", `${STACK}.yaml`), "utf8");
  approved = snapshot(repo.root);
});
afterAll(() => repo.cleanup());

/** Puts back the approved spec and the whole approved ledger (records, stored versions, locks). */
function restore(): void {
  writeFileSync(join(repo.root, "stacks", `${STACK}.yaml`), specText);
  for (const file of snapshot(repo.root).keys()) if (!approved.has(file)) rmSync(join(repo.root, file));
  for (const [file, text] of approved) writeFileSync(join(repo.root, file), text);
}

/** Writes `lock` as the stack's lock file, with the stored version it names, as an insider could (no decision). */
function writeLock(f: ApprovedRepo, lock: Lock): void {
  f.writeObject("lock", lock);
  writeFileSync(lockPath(f.root, lock.stack), objectEntry(f.root, "lock", lock)[1]);
}

interface Edit {
  spec?: (s: string) => string;
  lock?: (l: string) => string;
  config?: PolicyConfig;
  /** Runs after the spec edit, with the state the edited spec plans: record decisions, write the lock. */
  ledger?: (plan: { lock: Lock }) => void;
}

/** Applies `edit` to `target` (the shared repository, restored first, or a fresh one) and gates the stack as `coop gate` does. */
async function gate(edit: Edit = {}, target: ApprovedRepo = repo): Promise<GateResult> {
  if (target === repo) restore();
  const spec = join(target.root, "stacks", `${STACK}.yaml`);
  if (edit.spec) writeFileSync(spec, edit.spec(readFileSync(spec, "utf8")));
  if (edit.lock) writeFileSync(lockPath(target.root, STACK), edit.lock(readFileSync(lockPath(target.root, STACK), "utf8")));
  let plan = await makePlan(target.root, STACK);
  if (edit.ledger) {
    edit.ledger({ lock: lockFromView(plan.view) });
    plan = await makePlan(target.root, STACK);
  }
  return runGate(target.root, plan.run, edit.config);
}

/** A fresh approved repository for a row that records decisions (the fixture follows each stack's head). */
async function fresh(stacks: string[] = [STACK]): Promise<ApprovedRepo> {
  return approvedRepo(stacks);
}

/** Gates a preview whose engine requests were changed, as a tampered program or engine state would send them. */
async function gatePreview(change: (r: EngineResource) => EngineResource | undefined, offlinePlan = true): Promise<GateResult> {
  restore();
  const plan = await makePlan(repo.root, STACK);
  const preview = enginePreview(plan.run);
  const changed: EnginePreview = { resources: preview.resources.map((r) => change(r) ?? r) };
  return analyzePreview(repo.root, STACK, changed, {}, { offlinePlan });
}

/** Gates a preview whose resources were rewritten as a whole (resources added, providers switched). */
async function gateResources(change: (rs: EngineResource[]) => EngineResource[], offlinePlan = true): Promise<GateResult> {
  restore();
  const plan = await makePlan(repo.root, STACK);
  return analyzePreview(repo.root, STACK, { resources: change(enginePreview(plan.run).resources) }, {}, { offlinePlan });
}

const WIRE_SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

/** The value of an input the engine delivers wrapped as one secret, and the way to put a changed one back. */
function unwrapped<T>(v: unknown): T {
  return (isWireSecret(v) ? v.value : v) as T;
}
function rewrapped(original: unknown, value: unknown): unknown {
  return isWireSecret(original) ? { ...WIRE_SECRET, value } : value;
}

/** Changes a container's env list (the engine sends it wholly secret once one entry is). */
function editEnvs(name: string, edit: (envs: string[]) => string[]) {
  return (r: EngineResource) =>
    r.name === name
      ? { ...r, checked: { ...r.checked, envs: rewrapped(r.checked.envs, edit(unwrapped<string[]>(r.checked.envs))) } }
      : undefined;
}

/** Changes the content of the file a container upload writes. */
function editUpload(name: string, file: RegExp, edit: (content: string) => string) {
  return (r: EngineResource) => {
    if (r.name !== name) return undefined;
    const uploads = unwrapped<Array<{ file: string; content: string }>>(r.checked.uploads).map((u) =>
      file.test(u.file) ? { ...u, content: edit(u.content) } : u,
    );
    expect(uploads.some((u) => file.test(u.file))).toBe(true);
    return { ...r, checked: { ...r.checked, uploads: rewrapped(r.checked.uploads, uploads) } };
  };
}

/** Each value at a path where the lock's template holds a generated secret, replaced by `to`. */
function atGenerated(approved: Json, actual: unknown, to: (v: unknown) => unknown): unknown {
  if (typeof approved === "string") return approved.includes(GENERATED) ? to(actual) : actual;
  if (isWireSecret(actual)) return { ...WIRE_SECRET, value: atGenerated(approved, actual.value, to) };
  if (Array.isArray(approved) && Array.isArray(actual))
    return actual.map((x, i) => (i < approved.length ? atGenerated(approved[i], x, to) : x));
  if (
    approved &&
    typeof approved === "object" &&
    !Array.isArray(approved) &&
    actual &&
    typeof actual === "object" &&
    !Array.isArray(actual)
  ) {
    return Object.fromEntries(
      Object.entries(actual).map(([k, x]) => [k, k in approved ? atGenerated((approved as Record<string, Json>)[k], x, to) : x]),
    );
  }
  return actual;
}

/** The outputs an update's preview knows from state for the resources the server's inputs are computed from. */
const STATE_OUTPUTS: Record<string, Record<string, unknown>> = {
  "host-firewall": { id: "4711" },
  "host-ipv4": { id: "1", ipAddress: "203.0.113.10" },
  "host-ipv6": { id: "2" },
};
function withOutputs(r: EngineResource): EngineResource | undefined {
  return STATE_OUTPUTS[r.name] ? { ...r, outputs: STATE_OUTPUTS[r.name] } : undefined;
}

function refusedBy(result: GateResult, policy: string, message: RegExp, resource?: string): void {
  expect(result.passed, JSON.stringify(result.violations, null, 2)).toBe(false);
  const hit = result.violations.find(
    (v) => v.policy === policy && v.level === "mandatory" && message.test(v.message) && (!resource || v.urn?.endsWith(`::${resource}`)),
  );
  expect(hit, `no mandatory ${policy} violation matching ${message}; got:\n${JSON.stringify(result.violations, null, 2)}`).toBeDefined();
}

const server = (r: EngineResource) => r.name === "host-server";
const bigger = (s: string) => s.replace("serverType: cx33", "serverType: cx43");

/** The server moves to cx43 in a fresh repository, approved by the decision `make` records there. */
async function gateApprovedBy(make: (f: ApprovedRepo, lock: Lock) => Decision): Promise<GateResult> {
  const f = await fresh();
  try {
    return await gate({ spec: bigger, ledger: ({ lock }) => void f.write(make(f, lock)) }, f);
  } finally {
    f.cleanup();
  }
}

describe("green rows", () => {
  it("a change the members approved passes", async () => {
    const r = await gateApprovedBy((f, lock) => f.vote(STACK, lock));
    expect(r.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    expect(r.passed).toBe(true);
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
    const known = (r: EngineResource) =>
      server(r)
        ? { ...r, checked: { ...r.checked, firewallIds: [4711], publicNets: [{ ipv4: 1, ipv4Enabled: true, ipv6: 2, ipv6Enabled: true }] } }
        : withOutputs(r);
    expect((await gatePreview(() => undefined, true)).passed).toBe(true);
    const atUpdate = await gatePreview(known, false);
    expect(atUpdate.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });
});

describe("red-team rows: each is refused", () => {
  it("an unapproved change to a governed input", async () => {
    refusedBy(
      await gate({ spec: (s) => s.replace("serverType: cx33", "serverType: cx43") }),
      "governance-resource-matches-lock",
      /serverType: "cx33" → "cx43"/,
      "host-server",
    );
  });

  it("a new resource", async () => {
    const carol = "  - localPart: carol\n    name: Carol Shaw\n";
    refusedBy(
      await gate({ spec: (s) => s.replace("\nmailboxes:\n", `\nmailboxes:\n${carol}`) }),
      "governance-resource-matches-lock",
      /not in the approved lock/,
      "mail-mailbox-carol-password",
    );
  });

  it("a deleted resource", async () => {
    const withoutGrace = (s: string) => s.replace(/ {2}- localPart: grace\n {4}name: Grace Hopper\n {4}aliases: \[hello\]\n/, "");
    refusedBy(
      await gate({ spec: withoutGrace }),
      "governance-stack-no-unapproved-deletions",
      /no longer declared and would be deleted[\s\S]*mail-mailbox-grace-password/,
    );
  });

  it("a change hidden at a path the lock marks computed but that is a literal now", async () => {
    const literal = (r: EngineResource) => (server(r) ? { ...r, checked: { ...r.checked, firewallIds: [4711] } } : undefined);
    refusedBy(
      await gatePreview(literal),
      "governance-resource-matches-lock",
      /firewallIds\[0\]: approved as computed from another resource → now set by the program to 4711/,
      "host-server",
    );
  });

  it("an unknown value at a path the lock does not record as computed", async () => {
    const unknown = (r: EngineResource) => (server(r) ? { ...r, checked: { ...r.checked, serverType: UNKNOWN } } : undefined);
    const result = await gatePreview(unknown, false);
    refusedBy(result, "governance-resource-matches-lock", /serverType: "cx33" → a value computed at deploy time/, "host-server");
    expect(result.violations.filter((v) => v.level === "advisory" && /can't run/.test(v.message))).toEqual([]);
  });

  it("a lock edited by hand", async () => {
    refusedBy(
      await gate({
        lock: (l) => l.replace('"serverType": "cx33"', '"serverType": "cx43"'),
        spec: (s) => s.replace("serverType: cx33", "serverType: cx43"),
      }),
      "governance-resource-matches-lock",
      /cannot be trusted: .*does not match the lock's content/,
    );
  });

  it("a lock edited without a decision (its digest recomputed to match, the version stored)", async () => {
    const r = await gate({ spec: bigger, ledger: ({ lock }) => writeLock(repo, lock) });
    expect(r.violations.filter((v) => v.policy === "governance-resource-matches-lock")).toEqual([]);
    refusedBy(r, "governance-lock-approved", /no decision approved this lock .*\[lock-unbacked\]/);
  });

  it("a lock whose stored version is missing (the file alone edited)", async () => {
    const r = await gate({
      spec: bigger,
      ledger: ({ lock }) => writeFileSync(lockPath(repo.root, STACK), objectEntry(repo.root, "lock", lock)[1]),
    });
    refusedBy(r, "governance-lock-approved", /example\.lock\.json .*\[(lock-unbacked|lock-invalid|schema)\]/);
  });

  it("a state approved for another stack, pasted into this stack's lock", async () => {
    const f = await fresh([STACK, "local"]);
    try {
      const r = await gate(
        {
          spec: bigger,
          ledger: ({ lock }) => {
            // The poll and decision were for stack 'local'; its state becomes example's lock file.
            const local = lockFromView({ ...viewOfLock(lock), stack: "local" });
            const d = f.write(f.vote("local", local));
            writeFileSync(lockPath(f.root, STACK), readFileSync(lockPath(f.root, "local"), "utf8"));
            expect(d.kind).toBe("change");
          },
        },
        f,
      );
      refusedBy(r, "governance-lock-approved", /\[lock-other-stack\]/);
    } finally {
      f.cleanup();
    }
  });

  it("a stale decision (the poll closed longer ago than the bylaws allow when it was recorded)", async () => {
    refusedBy(
      await gateApprovedBy((f, lock) => f.vote(STACK, lock, { poll: { poll: { closed_at: "2025-11-01T00:00:00.000Z" } } })),
      "governance-lock-approved",
      /\[decision-stale\]/,
    );
  });

  it("a poll recorded while it was open", async () => {
    refusedBy(
      await gateApprovedBy((f, lock) => f.vote(STACK, lock, { poll: { poll: { closed_at: null } } })),
      "governance-lock-approved",
      /\[poll-not-closed\]/,
    );
  });

  it("a signature by a non-member", async () => {
    const mallory = nodeKey("mallory");
    refusedBy(
      await gateApprovedBy((f, lock) => signWith(f.vote(STACK, lock, { signers: ["grace"] }), "ada", mallory)),
      "governance-lock-approved",
      /\[signature-(non-member|member-mismatch)\]/,
    );
  });

  it("a signature over other content", async () => {
    refusedBy(
      await gateApprovedBy((f, lock) => {
        const genesis = f.load().byId.get("example-0001-genesis")!.decision;
        return { ...f.vote(STACK, lock, { signers: [] }), signatures: [genesis.signatures[0], genesis.signatures[0]] } as Decision;
      }),
      "governance-lock-approved",
      /\[signature-invalid\]/,
    );
  });

  it("an emergency change past its ratification deadline (and only a warning before it); its deadline runs from its recording", async () => {
    const day = 86_400_000;
    const recorded = (at: number) => (f: ApprovedRepo, lock: Lock) =>
      f.emergency(STACK, lock, "the server ran out of memory", { recordedAt: new Date(at).toISOString() });
    refusedBy(
      await gateApprovedBy(recorded(Date.now() - 20 * day)),
      "governance-lock-approved",
      /was not ratified by .*\[emergency-overdue\]/,
    );
    // Recorded yesterday, to be ratified within the bylaws' 14 days: pending, not overdue.
    const pending = await gateApprovedBy(recorded(Date.now() - day));
    expect(pending.passed, JSON.stringify(pending.violations, null, 2)).toBe(true);
    expect(pending.violations).toContainEqual(
      expect.objectContaining({
        policy: "governance-lock-approved",
        level: "advisory",
        message: expect.stringMatching(/awaits ratification.*\[emergency-unratified\]/),
      }),
    );
    // Dated in the future so that its deadline never comes.
    refusedBy(await gateApprovedBy(recorded(Date.now() + 400 * day)), "governance-lock-approved", /\[recorded-in-future\]/);
  });

  it("__defaults listing a key the lock sets explicitly", async () => {
    const hidden = (r: EngineResource) =>
      server(r)
        ? {
            ...r,
            checked: {
              ...r.checked,
              deleteProtection: false,
              __defaults: [...((r.checked.__defaults as string[]) ?? []), "deleteProtection"],
            },
          }
        : undefined;
    refusedBy(await gatePreview(hidden), "governance-resource-matches-lock", /deleteProtection: true → false/, "host-server");
  });

  it("policy config trying to lower a governance policy", async () => {
    const config: PolicyConfig = {
      "governance-resource-matches-lock": { enforcementLevel: "disabled" },
      "governance-stack-no-unapproved-deletions": { enforcementLevel: "advisory" },
    };
    const r = await gate({ spec: (s) => s.replace("serverType: cx33", "serverType: cx43"), config });
    refusedBy(r, "governance-resource-matches-lock", /serverType: "cx33" → "cx43"/);
    refusedBy(r, "governance-policy-config-locked", /asked to run governance-resource-matches-lock as 'disabled'/);
    refusedBy(r, "governance-policy-config-locked", /asked to run governance-stack-no-unapproved-deletions as 'advisory'/);
  });

  // --- secrets masked by provenance: only the secret part of a value is masked ------------------

  it("an env entry built around a generated secret turned into another (DB_PASS → DATABASE_URL to another host)", async () => {
    let pw = "";
    const toUrl = editEnvs("mastodon-web", (envs) =>
      envs.map((e) => {
        if (!e.startsWith("DB_PASS=")) return e;
        pw = e.slice("DB_PASS=".length);
        return `DATABASE_URL=postgres://mastodon:${pw}@203.0.113.66/mastodon`;
      }),
    );
    for (const offlinePlan of [true, false]) {
      const r = await gatePreview(toUrl, offlinePlan);
      refusedBy(r, "governance-resource-matches-lock", /envs\[\d+\]: "DB_PASS=<generated-secret>" → "DATABASE_URL=…"/, "mastodon-web");
      expect(pw).not.toBe("");
      expect(JSON.stringify(r.violations)).not.toContain(pw);
      expect(JSON.stringify(r.violations)).not.toContain("203.0.113.66");
    }
  });

  it("an account added to postfix-accounts.cf, at its end or between two lines", async () => {
    const intruder = "intruder@example.coop|{SHA512-CRYPT}$6$abcdefgh$0123456789\n";
    refusedBy(
      await gatePreview(editUpload("mail-server", /postfix-accounts\.cf$/, (c) => c + intruder)),
      "governance-resource-matches-lock",
      /uploads\[\d+\]\.content: .* → "…"/,
      "mail-server",
    );
    const between = editUpload("mail-server", /postfix-accounts\.cf$/, (c) => c.replace(/(\|\{SHA512-CRYPT\}[^\n]*\n)/, `$1${intruder}`));
    refusedBy(await gatePreview(between, false), "governance-resource-matches-lock", /uploads\[\d+\]\.content/, "mail-server");
  });

  it("an attacker's relay mapping added to postfix-sasl-password.cf", async () => {
    const relay = editUpload("mail-server", /postfix-sasl-password\.cf$/, (c) => `${c}[relay.attacker.example]:587 mallory:stolen\n`);
    const r = await gatePreview(relay);
    refusedBy(r, "governance-resource-matches-lock", /uploads\[\d+\]\.content/, "mail-server");
    expect(JSON.stringify(r.violations)).not.toContain("coop-config-secret");
  });

  it("a config secret's template unknown at preview (config is always known: only generated secrets may be)", async () => {
    const unknown = editUpload("mail-server", /postfix-sasl-password\.cf$/, () => UNKNOWN);
    refusedBy(
      await gatePreview(unknown, false),
      "governance-resource-matches-lock",
      /uploads\[\d+\]\.content: .* → a value computed at deploy time, which the lock does not record as computed/,
      "mail-server",
    );
  });

  it("a generated secret unknown in the offline gate, where it is always known", async () => {
    const unknown = editEnvs("mastodon-web", (envs) => envs.map((e) => (e.startsWith("DB_PASS=") ? UNKNOWN : e)));
    refusedBy(
      await gatePreview(unknown, true),
      "governance-resource-matches-lock",
      /envs\[\d+\]: "DB_PASS=<generated-secret>" → a value computed at deploy time/,
      "mastodon-web",
    );
  });

  it("a secret-looking env entry added in clear to a list the engine delivers wholly secret", async () => {
    const r = await gatePreview(editEnvs("nextcloud-app", (envs) => [...envs, "SMTP_TOKEN=hunter2"]));
    refusedBy(r, "docker-container-env-secrets-not-plaintext", /nextcloud-app sets SMTP_TOKEN to a plaintext value/, "nextcloud-app");
    refusedBy(r, "governance-resource-matches-lock", /envs\[\d+\]: not in the approved lock → "\(secret value\)"/, "nextcloud-app");
    expect(JSON.stringify(r.violations)).not.toContain("hunter2");
  });

  it("a secret-looking env entry the members approved in clear (the lock shows it unmasked)", async () => {
    restore();
    const plan = await makePlan(repo.root, STACK);
    const addClear = <R extends { inputs: { [k: string]: Json } }>(r: R): R => ({
      ...r,
      inputs: { ...r.inputs, envs: [...(r.inputs.envs as Json[]), "SMTP_TOKEN=hunter2"] },
    });
    writeLock(
      repo,
      lockFromView({ ...plan.view, resources: plan.view.resources.map((r) => (r.name === "nextcloud-app" ? addClear(r) : r)) }),
    );
    const preview = enginePreview(plan.run);
    const changed = {
      resources: preview.resources.map((r) => editEnvs("nextcloud-app", (envs) => [...envs, "SMTP_TOKEN=hunter2"])(r) ?? r),
    };
    const r = await analyzePreview(repo.root, STACK, changed, {}, { offlinePlan: true });
    refusedBy(r, "docker-container-env-secrets-not-plaintext", /nextcloud-app sets SMTP_TOKEN to a plaintext value/, "nextcloud-app");
  });

  it("a value approved as a secret that the engine delivers without any secret wrapper", async () => {
    const plain = (r: EngineResource) =>
      r.name === "backup-box" ? { ...r, checked: { ...r.checked, password: "known-to-mallory" } } : undefined;
    const r = await gatePreview(plain, false);
    refusedBy(
      r,
      "governance-resource-matches-lock",
      /password: approved as "<generated-secret>", a secret → now a plaintext value written in the program/,
      "backup-box",
    );
    expect(JSON.stringify(r.violations)).not.toContain("known-to-mallory");
  });

  it("a secret below a changed compound value is never printed", async () => {
    const nested = (r: EngineResource) =>
      server(r)
        ? { ...r, checked: { ...r.checked, extra: [{ name: "x", value: { ...WIRE_SECRET, value: "hunter2-SECRET" } }] } }
        : undefined;
    const r = await gatePreview(nested);
    refusedBy(r, "governance-resource-matches-lock", /extra: not in the approved lock → "\(secret value\)"/, "host-server");
    expect(JSON.stringify(r.violations)).not.toContain("hunter2-SECRET");
  });

  // --- providers: which provider (so which server or account) a resource is deployed with ------

  it("a provider the program names like the engine's default ones, used by a resource", async () => {
    const stackUrn = `urn:pulumi:${STACK}::coop-infra::pulumi:pulumi:Stack::coop-infra-${STACK}`;
    const fake = `urn:pulumi:${STACK}::coop-infra::pulumi:providers:docker::default_1_0_0`;
    const r = await gateResources((rs) => {
      const web = rs.find((x) => x.name === "mastodon-web")!;
      const provider: EngineResource = {
        ...web,
        urn: fake,
        type: "pulumi:providers:docker",
        name: "default_1_0_0",
        parent: stackUrn,
        checked: { host: "ssh://root@203.0.113.66", version: "1.0.0" },
        providerUrn: undefined,
        dependencies: [],
        propertyDependencies: {},
      };
      return [provider, ...rs.map((x) => (x === web ? { ...x, providerUrn: fake } : x))];
    });
    refusedBy(
      r,
      "governance-resource-matches-lock",
      /pulumi:providers:docker 'default_1_0_0' is not in the approved lock/,
      "default_1_0_0",
    );
    refusedBy(r, "governance-resource-matches-lock", /\(provider\): '.*::host-docker' → '.*::default_1_0_0'/, "mastodon-web");
  });

  it("a resource moved to the engine's default provider (configured from stack config, not the spec)", async () => {
    const pulumiDefault = `urn:pulumi:${STACK}::coop-infra::pulumi:providers:docker::default_5_0_0`;
    const r = await gateResources((rs) => {
      const web = rs.find((x) => x.name === "mastodon-web")!;
      const provider: EngineResource = {
        ...web,
        urn: pulumiDefault,
        type: "pulumi:providers:docker",
        name: "default_5_0_0",
        parent: "",
        checked: { version: "5.0.0" },
        providerUrn: undefined,
        dependencies: [],
        propertyDependencies: {},
      };
      return [provider, ...rs.map((x) => (x === web ? { ...x, providerUrn: pulumiDefault } : x))];
    }, false);
    expect(r.violations.filter((v) => v.urn === pulumiDefault)).toEqual([]); // the engine's own provider is not the program's
    refusedBy(r, "governance-resource-matches-lock", /\(provider\): '.*::host-docker' → '.*::default_5_0_0'/, "mastodon-web");
  });

  it("a provider bump (the engine writes the SDK's version into an explicit provider's inputs)", async () => {
    const bump = (r: EngineResource) => (r.name === "host-docker" ? { ...r, checked: { ...r.checked, version: "99.0.0" } } : undefined);
    refusedBy(await gatePreview(bump, false), "governance-resource-matches-lock", /version: "\d+\.\d+\.\d+" → "99\.0\.0"/, "host-docker");
  });
});

describe("green rows: the engine's view of secrets and providers", () => {
  it("the approved lock records each resource's provider and an explicit provider's version", () => {
    restore();
    const lock = readLock(repo.root, STACK)!;
    const docker = lock.resources.find((r) => r.name === "host-docker")!;
    expect(docker.inputs.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(lock.resources.find((r) => r.name === "mastodon-web")!.provider).toBe(docker.urn);
    expect(lock.resources.filter((r) => !r.type.startsWith("pulumi:providers:")).every((r) => r.provider)).toBe(true);
    expect(readFileSync(lockPath(repo.root, STACK), "utf8")).toContain(`DB_PASS=${GENERATED}`);
  });

  it("the harness delivers an env list with a secret entry wholly secret, as the engine does", async () => {
    restore();
    const plan = await makePlan(repo.root, STACK);
    const web = enginePreview(plan.run).resources.find((r) => r.name === "mastodon-web")!;
    expect(isWireSecret(web.checked.envs)).toBe(true);
    expect(unwrapped<unknown[]>(web.checked.envs).some(isWireSecret)).toBe(false);
  });

  it("a first deploy's preview, where generated secrets are still unknown, passes under the real engine", async () => {
    const lock = readLock(repo.root, STACK)!;
    const firstPreview = (r: EngineResource) => {
      const entry = lock.resources.find((l) => l.urn === r.urn);
      return entry ? { ...r, checked: atGenerated(entry.inputs, r.checked, () => UNKNOWN) as Record<string, unknown> } : undefined;
    };
    const r = await gatePreview(firstPreview, false);
    expect(r.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("an update's preview, where the real secrets are known, passes under the real engine", async () => {
    const real = (r: EngineResource) =>
      r.name === "mastodon-web"
        ? editEnvs("mastodon-web", (envs) => envs.map((e) => (e.startsWith("DB_PASS=") ? "DB_PASS=the-real-one-from-state" : e)))(r)
        : undefined;
    const r = await gatePreview(real, false);
    expect(r.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("an ID the lock records as computed from another resource, set to another resource's under the real engine", async () => {
    const other = (r: EngineResource) =>
      server(r)
        ? { ...r, checked: { ...r.checked, firewallIds: [4712], publicNets: [{ ipv4: 1, ipv4Enabled: true, ipv6: 2, ipv6Enabled: true }] } }
        : withOutputs(r);
    const r = await gatePreview(other, false);
    expect(r.violations.filter((v) => v.policy === "governance-resource-matches-lock" && v.level === "mandatory")).toEqual([]); // any value passes there
    refusedBy(
      r,
      "governance-stack-computed-values-match-sources",
      /firewallIds\[0\]: approved as computed from number\(\$\{host-firewall\.id\}\); must be 4711, but is another value/,
      "host-server",
    );
  });

  it("the Docker host, computed from the server's address, pointed at another machine under the real engine", async () => {
    const elsewhere = (r: EngineResource) =>
      r.name === "host-docker" ? { ...r, checked: { ...r.checked, host: "ssh://root@203.0.113.66" } } : withOutputs(r);
    const r = await gatePreview(elsewhere, false);
    refusedBy(
      r,
      "governance-stack-computed-values-match-sources",
      /host: approved as computed from ssh:\/\/coop@\$\{host-ipv4\.ipAddress\}; must be "ssh:\/\/coop@203\.0\.113\.10"/,
      "host-docker",
    );
    expect(JSON.stringify(r.violations)).not.toContain("203.0.113.66");
    const right = (x: EngineResource) =>
      x.name === "host-docker" ? { ...x, checked: { ...x.checked, host: "ssh://coop@203.0.113.10" } } : withOutputs(x);
    expect((await gatePreview(right, false)).violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("a value known while the output it is computed from is not (nothing can vouch for it)", async () => {
    const orphan = (r: EngineResource) =>
      r.name === "host-docker" ? { ...r, checked: { ...r.checked, host: "ssh://coop@203.0.113.10" } } : undefined;
    refusedBy(
      await gatePreview(orphan, false),
      "governance-stack-computed-values-match-sources",
      /host-ipv4\.ipAddress is not known, so the value cannot be checked/,
      "host-docker",
    );
  });
});
