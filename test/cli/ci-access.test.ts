/**
 * The deploy job's SSH access (coop ci-access) against a loopback stand-in for the Hetzner
 * Cloud API: what it creates, that it always leaves the governed firewall as approved, that it
 * removes leftovers, and how it meets every kind of failure the API documents.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAccess, openAccess } from "../../cli/ci-access/access";
import { accessTarget, type AccessTarget, JOB_LABEL } from "../../cli/ci-access/job-firewall";
import { HetznerClient, HetznerError } from "../../cli/hetzner/client";
import { readLock } from "../../plan/lock";
import { coop } from "../helpers/cli";
import { type FakeHetzner, hetznerError, startHetzner } from "../helpers/hetzner-api";
import { REPO_ROOT } from "../helpers/repo";

const SERVER_LABELS = { "coop-infra/coop": "example-co-op", "coop-infra/stack": "example" };
const SELECTOR = "coop-infra/coop=example-co-op,coop-infra/stack=example";
const RUNNER = "20.1.2.3";

let api: FakeHetzner;
let target: AccessTarget;
let logs: string[];

beforeEach(async () => {
  api = await startHetzner();
  const governed = api.addFirewall({ name: "example-co-op-example-firewall", labels: { ...SERVER_LABELS } });
  api.addServer("example-co-op-example", { ...SERVER_LABELS }, [governed.id]);
  target = accessTarget("example", readLock(REPO_ROOT, "example")!)!;
  logs = [];
});
afterEach(() => api.close());

const fast = { settleMs: 2000, pollMs: 5, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))) };
const client = (token = api.token, opts: ConstructorParameters<typeof HetznerClient>[1] = {}) =>
  new HetznerClient(
    { endpoint: api.url, token },
    { timeoutMs: 300, backoffMs: 5, maxRetries: 2, pollMs: 2, sleep: fast.sleep, log: (m) => logs.push(m), ...opts },
  );
const governed = () => [...api.firewalls.values()].find((f) => f.name === "example-co-op-example-firewall")!;
const jobFirewalls = () => [...api.firewalls.values()].filter((f) => f.labels[JOB_LABEL] === "ssh");
const serverFirewalls = () => api.firewallsOf([...api.servers.values()][0]);
const env = () => ({ ...process.env, HCLOUD_TOKEN: api.token, HCLOUD_ENDPOINT: api.url, GITHUB_RUN_ID: "4242", GITHUB_RUN_ATTEMPT: "1" });

describe("the job firewall", () => {
  it("is found from the approved lock: the servers' labels, one selector", () => {
    expect(target.selectors).toEqual([SELECTOR]);
    expect(target.servers).toEqual(["example-co-op-example"]);
    expect(target.jobLabels).toEqual({ ...SERVER_LABELS, [JOB_LABEL]: "ssh" });
    expect(accessTarget("local", readLock(REPO_ROOT, "local")!)).toBeUndefined();
  });

  it("admits SSH from the job's address only, reaches the server by label, and leaves the governed firewall as approved", async () => {
    const before = structuredClone(governed());
    const opened = await openAccess(client(), target, [`${RUNNER}/32`], "4242-1", fast);

    const [fw] = jobFirewalls();
    expect(fw.name).toBe("coop-ci-example-4242-1");
    expect(fw.rules).toEqual([
      {
        direction: "in",
        protocol: "tcp",
        port: "22",
        source_ips: [`${RUNNER}/32`],
        destination_ips: [],
        description: "SSH for deploy job 4242-1; removed when the job ends",
      },
    ]);
    expect(fw.applied_to).toEqual([{ type: "label_selector", label_selector: { selector: SELECTOR } }]);
    expect(serverFirewalls()).toEqual([
      { id: before.id, status: "applied" },
      { id: fw.id, status: "applied" },
    ]);
    expect(opened.servers).toEqual(["example-co-op-example"]);
    expect(governed()).toEqual(before);
    // Created bare, then applied through the documented action; every action polled to success.
    const calls = api.requests.map((r) => `${r.method} ${r.path.replace(/\?.*/, "")}`);
    expect(calls.indexOf("POST /v1/firewalls")).toBeLessThan(calls.indexOf(`POST /v1/firewalls/${fw.id}/actions/apply_to_resources`));
    expect(calls.filter((c) => c.startsWith("GET /v1/actions/")).length).toBeGreaterThanOrEqual(2);
    expect(api.requests.every((r) => r.authorization === `Bearer ${api.token}`)).toBe(true);
  });

  it("also reaches a server that does not exist yet (the first deploy creates it)", async () => {
    for (const s of api.servers.values()) api.servers.delete(s.id);
    const opened = await openAccess(client(), target, [`${RUNNER}/32`], "1-1", fast);
    expect(opened.servers).toEqual([]);
    const created = api.addServer("example-co-op-example", { ...SERVER_LABELS }, [governed().id]);
    expect(api.firewallsOf(created).map((f) => f.id)).toEqual([governed().id, opened.firewall.id]);
  });

  it("is removed by close: taken off the server, then deleted; the governed firewall stays", async () => {
    await openAccess(client(), target, [`${RUNNER}/32`], "1-1", fast);
    const before = structuredClone(governed());
    const closed = await closeAccess(client(), target, fast);
    expect(closed.map((f) => f.name)).toEqual(["coop-ci-example-1-1"]);
    expect(jobFirewalls()).toEqual([]);
    expect(serverFirewalls()).toEqual([{ id: before.id, status: "applied" }]);
    expect(governed()).toEqual(before);
    const calls = api.requests.map((r) => `${r.method} ${r.path}`);
    const id = closed[0].id;
    expect(calls.indexOf(`POST /v1/firewalls/${id}/actions/remove_from_resources`)).toBeLessThan(
      calls.indexOf(`DELETE /v1/firewalls/${id}`),
    );
    expect(await closeAccess(client(), target, fast)).toEqual([]);
  });

  it("waits while a label selector lets go of the server (DELETE answers resource_in_use meanwhile)", async () => {
    await openAccess(client(), target, [`${RUNNER}/32`], "1-1", fast);
    api.detachLag = 2;
    await closeAccess(client(), target, fast);
    expect(jobFirewalls()).toEqual([]);
    expect(api.requests.filter((r) => r.method === "DELETE").length).toBe(3);
  });

  it("removes leftovers of earlier runs before opening, and nothing that is not a job firewall of this stack", async () => {
    const applied = api.addFirewall({ name: "coop-ci-example-1-1", labels: { ...target.jobLabels } });
    applied.applied_to.push({ type: "label_selector", label_selector: { selector: SELECTOR } });
    api.addFirewall({ name: "coop-ci-example-2-1", labels: { ...target.jobLabels } });
    const otherStack = api.addFirewall({ name: "coop-ci-prod-3-1", labels: { ...target.jobLabels, "coop-infra/stack": "prod" } });
    const notOurs = api.addFirewall({ name: "office-ssh", labels: { ...target.jobLabels } });

    const opened = await openAccess(client(), target, [`${RUNNER}/32`], "4-1", fast);
    expect(opened.removedStale.map((f) => f.name).sort()).toEqual(["coop-ci-example-1-1", "coop-ci-example-2-1"]);
    expect([...api.firewalls.values()].map((f) => f.name).sort()).toEqual([
      "coop-ci-example-4-1",
      "coop-ci-prod-3-1",
      "example-co-op-example-firewall",
      "office-ssh",
    ]);
    expect(api.firewalls.get(otherStack.id)).toBeDefined();
    expect(api.firewalls.get(notOurs.id)).toBeDefined();
  });

  it("takes the firewall away again when applying it fails, and reports the failure", async () => {
    api.faults.push({ method: "POST", path: /apply_to_resources$/, status: 500, code: "server_error" });
    const err = await openAccess(client(), target, [`${RUNNER}/32`], "1-1", fast).catch((e) => e);
    expect(err).toBeInstanceOf(HetznerError);
    expect(err.message).toMatch(
      /the Hetzner Cloud API had an error: POST \/firewalls\/\d+\/actions\/apply_to_resources answered HTTP 500 server_error/,
    );
    expect(jobFirewalls()).toEqual([]);
  });

  it("reports an action that ends in error", async () => {
    api.failCommand = "apply_firewall";
    const err = await openAccess(client(), target, [`${RUNNER}/32`], "1-1", fast).catch((e) => e);
    expect(err.message).toMatch(
      /Hetzner could not finish applying firewall coop-ci-example-1-1 to the servers \(action \d+, apply_firewall\): Action failed \(action_failed\)/,
    );
    api.failCommand = undefined;
    expect(jobFirewalls()).toEqual([]);
  });

  it("reuses its firewall when the answer to creating it was lost and the retry finds the name taken", async () => {
    api.faults.push({ method: "POST", path: /^\/v1\/firewalls$/, status: 200, body: {}, delayMs: 1000, processed: true });
    const opened = await openAccess(client(), target, [`${RUNNER}/32`], "1-1", fast);
    expect(jobFirewalls().map((f) => f.id)).toEqual([opened.firewall.id]);
    expect(api.requests.filter((r) => r.method === "POST" && r.path === "/v1/firewalls").length).toBe(2);
  });
});

describe("Hetzner's errors", () => {
  const attempt = (c = client()) =>
    openAccess(c, target, [`${RUNNER}/32`], "1-1", fast).then(
      (opened) => opened,
      (e: unknown) => e,
    );
  const failure = async (c = client()): Promise<HetznerError> => {
    const r = await attempt(c);
    expect(r).toBeInstanceOf(HetznerError);
    return r as HetznerError;
  };

  it("401: the token is wrong — and the token never appears in a message", async () => {
    const err = await failure(client("wrong-token-abcdef"));
    expect(err).toBeInstanceOf(HetznerError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/Hetzner rejected the API token: GET \/firewalls answered HTTP 401 unauthorized/);
    expect(err.hint).toMatch(/Read & Write API token/);
    expect(`${err.message}${err.hint}${logs.join("")}`).not.toContain("wrong-token-abcdef");
  });

  it("403 token_readonly: the token can only read", async () => {
    api.faults.push({ method: "POST", path: /^\/v1\/firewalls$/, status: 403, code: "token_readonly" });
    const err = await failure();
    expect(err.message).toMatch(/the API token is read-only: POST \/firewalls answered HTTP 403 token_readonly/);
    expect(err.hint).toMatch(/HCLOUD_TOKEN must be a Read & Write API token/);
  });

  it("404: the firewall vanished while being applied", async () => {
    api.faults.push({ method: "POST", path: /apply_to_resources$/, status: 404, code: "not_found" });
    const err = await failure();
    expect(err.message).toMatch(
      /Hetzner has no such resource: POST \/firewalls\/\d+\/actions\/apply_to_resources answered HTTP 404 not_found/,
    );
  });

  it("409 conflict is retried, and the access opens", async () => {
    api.faults.push({ method: "POST", path: /apply_to_resources$/, status: 409, code: "conflict" });
    const r = await attempt();
    expect(r).not.toBeInstanceOf(Error);
    expect(logs.join("\n")).toMatch(/apply_to_resources: HTTP 409 conflict; retrying/);
  });

  it("409 conflict that persists stops with its reason", async () => {
    api.faults.push({ method: "POST", path: /apply_to_resources$/, status: 409, code: "conflict", times: 10 });
    const err = await failure();
    expect(err.message).toMatch(/kept changing .* answered HTTP 409 conflict: .* \(after 3 attempts\)/);
  });

  it("422: a refused request is reported with Hetzner's reason", async () => {
    api.faults.push({
      method: "POST",
      path: /^\/v1\/firewalls$/,
      status: 422,
      body: hetznerError("invalid_input", "invalid input in field 'rules'"),
    });
    const err = await failure();
    expect(err.message).toMatch(
      /Hetzner refused the request: POST \/firewalls answered HTTP 422 invalid_input: invalid input in field 'rules'/,
    );
    expect(jobFirewalls()).toEqual([]);
  });

  it("429: waits for the limit to refill (one request per 3600/RateLimit-Limit s), then goes on", async () => {
    const waits: number[] = [];
    const c = client(api.token, {
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    api.faults.push({
      method: "GET",
      path: /^\/v1\/firewalls$/,
      status: 429,
      code: "rate_limit_exceeded",
      headers: { "RateLimit-Limit": "3600", "RateLimit-Remaining": "0", "RateLimit-Reset": String(Math.floor(Date.now() / 1000) + 3600) },
    });
    const r = await attempt(c);
    expect(r).not.toBeInstanceOf(Error);
    expect(waits[0]).toBe(1000);
    expect(logs[0]).toMatch(/GET \/firewalls: HTTP 429 rate_limit_exceeded; retrying in 1\.0 s/);
  });

  it("429 that persists names the moment the limit is full again", async () => {
    const reset = Math.floor(Date.now() / 1000) + 600;
    api.faults.push({
      method: "GET",
      path: /^\/v1\/firewalls$/,
      status: 429,
      code: "rate_limit_exceeded",
      headers: { "RateLimit-Limit": "3600", "RateLimit-Remaining": "0", "RateLimit-Reset": String(reset) },
      times: 10,
    });
    const err = await failure(client(api.token, { sleep: () => Promise.resolve() }));
    expect(err.message).toContain(`rate limit for this project is used up (full again at ${new Date(reset * 1000).toISOString()})`);
  });

  it("503 is retried; 500 is reported", async () => {
    api.faults.push({ method: "GET", path: /^\/v1\/firewalls$/, status: 503, code: "unavailable" });
    expect(await attempt()).not.toBeInstanceOf(Error);
    await closeAccess(client(), target, fast);
    api.faults.push({ method: "GET", path: /^\/v1\/firewalls$/, status: 500, code: "server_error" });
    const err = await failure();
    expect(err.message).toMatch(/the Hetzner Cloud API had an error: GET \/firewalls answered HTTP 500 server_error/);
    expect(err.hint).toMatch(/status page/);
  });

  it("an answer that is not JSON (a proxy's page) is named as such", async () => {
    api.faults.push({ method: "GET", path: /^\/v1\/firewalls$/, status: 200, raw: "<html>Sign in</html>" });
    const err = await failure();
    expect(err.message).toMatch(/Hetzner's answer to GET \/firewalls \(HTTP 200\) is not JSON: <html>Sign in<\/html>/);
    expect(err.hint).toMatch(/HCLOUD_ENDPOINT/);
  });

  it("JSON of another shape is refused, not guessed at", async () => {
    api.faults.push({ method: "GET", path: /^\/v1\/firewalls$/, status: 200, body: { firewalls: [{ id: "x" }] } });
    const err = await failure();
    expect(err.message).toMatch(/does not have the documented shape \(firewalls\.0\.id/);
  });

  it("a slow API: each request times out, is retried, and the failure says so", async () => {
    api.faults.push({ method: "GET", path: /^\/v1\/firewalls$/, status: 200, body: { firewalls: [] }, delayMs: 2000, times: 10 });
    const started = Date.now();
    const err = await failure();
    expect(err.message).toMatch(/could not reach the Hetzner Cloud API \(GET \/firewalls\): no answer within 0\.3 s \(3 attempts\)/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("coop ci-access", () => {
  it("open, then close: exit 0, what happened in words, and never the token", async () => {
    const open = await coop(["ci-access", "open", "--stack", "example", "--source", RUNNER], { env: env() });
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout).toMatch(/SSH \(tcp\/22\) is open for 20\.1\.2\.3\/32 through job firewall coop-ci-example-4242-1 \(id \d+\)/);
    expect(open.stdout).toContain(`applied to the servers labelled ${SELECTOR}: example-co-op-example.`);
    const close = await coop(["ci-access", "close", "--stack", "example"], { env: env() });
    expect(close.code, close.stderr).toBe(0);
    expect(close.stdout).toMatch(/Removed coop-ci-example-4242-1 \(id \d+\); SSH is open only to host\.sshSources again\./);
    expect(jobFirewalls()).toEqual([]);
    expect(open.stdout + open.stderr + close.stdout + close.stderr).not.toContain(api.token);
  });

  it("--json prints one document", async () => {
    const r = await coop(["ci-access", "open", "--stack", "example", "--source", RUNNER, "--run", "7-2", "--json"], { env: env() });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      stack: "example",
      action: "open",
      firewall: { name: "coop-ci-example-7-2" },
      sources: [`${RUNNER}/32`],
      selectors: [SELECTOR],
      servers: ["example-co-op-example"],
      removed: [],
    });
    const closed = JSON.parse((await coop(["ci-access", "close", "--stack", "example", "--json"], { env: env() })).stdout);
    expect(closed).toEqual({ stack: "example", action: "close", removed: [{ id: doc.firewall.id, name: "coop-ci-example-7-2" }] });
  });

  it("a stack without a Hetzner server has nothing to open", async () => {
    const r = await coop(["ci-access", "open", "--stack", "local", "--source", RUNNER], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Stack local has no Hetzner server in its approved state: nothing to open\./);
    expect(api.requests).toEqual([]);
  });

  it("refuses bad input with exit 2, before any request", async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [
        ["ci-access", "open", "--stack", "example", "--source", "198.51.100.7"],
        env(),
        /--source 198\.51\.100\.7 is in documentation examples \(TEST-NET-2\) \(RFC 5737\)/,
      ],
      [["ci-access", "open", "--stack", "example", "--source", "10.1.0.4"], env(), /private networks \(RFC 1918\)/],
      [["ci-access", "open", "--stack", "example", "--source", "runner"], env(), /--source 'runner' is not an IP address/],
      [["ci-access", "open", "--stack", "example"], env(), /--source is needed/],
      [["ci-access", "open", "--stack", "example", "--source", RUNNER, "--run", "a b"], env(), /--run 'a b' is not a run identifier/],
      [["ci-access", "shut", "--stack", "example"], env(), /takes 'open' or 'close', not 'shut'/],
      [["ci-access", "close", "--stack", "example", "--source", RUNNER], env(), /--source and --run are for `open`/],
      [["ci-access", "open", "--stack", "example", "--source", RUNNER], { ...env(), HCLOUD_TOKEN: "" }, /HCLOUD_TOKEN is not set/],
      [
        ["ci-access", "open", "--stack", "example", "--source", RUNNER],
        { ...env(), HCLOUD_ENDPOINT: "http://api.example.net/v1" },
        /HCLOUD_ENDPOINT must use https/,
      ],
    ];
    for (const [args, e, message] of cases) {
      const r = await coop(args, { env: e });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    expect(api.requests).toEqual([]);
  });

  it("exits 1 when Hetzner refuses, with what to do", async () => {
    const r = await coop(["ci-access", "open", "--stack", "example", "--source", RUNNER], {
      env: { ...env(), HCLOUD_TOKEN: "revoked-token" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /coop: Hetzner rejected the API token: GET \/firewalls answered HTTP 401 unauthorized: unable to authenticate\n {2}hint: set HCLOUD_TOKEN/,
    );
    expect(r.stderr).not.toContain("revoked-token");
  });
});
