/**
 * The alert path of a failing backup, end to end: systemd starts coop-alert@coop-backup.service
 * (OnFailure=), which runs `coop-alert unit-failed coop-backup.service`; the real script, with
 * curl, mails the admins through a loopback SMTP server (STARTTLS required, AUTH PLAIN with the
 * alerts account) — and only once per cause per day.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it as vitestIt } from "vitest";
import { renderAlertScript } from "../../../components/alerts/units";
import { curlLogin } from "../../../components/alerts/alerts";
import { type SmtpSink, startSmtpSink } from "../../helpers/smtp-sink";
import { withTool } from "../../helpers/tools";

const dir = mkdtempSync(join(tmpdir(), "coop-alert-"));
const bin = join(dir, "bin");
const state = join(dir, "state");
const login = join(dir, "smtp-login");
const script = join(dir, "coop-alert");
let sink: SmtpSink;

/** Runs only with both tools (each skips loudly when missing). */
const it = [withTool("openssl", "openssl"), withTool("curl", "curl")].find((t) => t !== vitestIt) ?? vitestIt;

beforeAll(async () => {
  if (it !== vitestIt) return;
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  const r = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost"].concat([
      "-addext",
      "subjectAltName=DNS:localhost",
      "-keyout",
      key,
      "-out",
      cert,
    ]),
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`openssl could not make the test certificate: ${r.stderr}`);
  sink = await startSmtpSink({ key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") });

  mkdirSync(bin);
  // What systemd would show for the failed unit (the host's own systemctl/journalctl know no such unit here).
  writeFileSync(
    join(bin, "systemctl"),
    "#!/bin/sh\necho \"× $5 - Back up the co-op's services\"\necho '     Active: failed (Result: exit-code)'\nexit 3\n",
  );
  writeFileSync(
    join(bin, "journalctl"),
    "#!/bin/sh\necho '2026-12-02T03:41:07+0000 host coop-backup[812]: nextcloud: database nextcloud not saved'\necho '.a line that starts with a dot'\n",
  );
  chmodSync(join(bin, "systemctl"), 0o755);
  chmodSync(join(bin, "journalctl"), 0o755);
  writeFileSync(login, curlLogin("alerts@example.coop", "Sup3rSecretAlertsPw"), { mode: 0o600 });
  writeFileSync(
    script,
    renderAlertScript({
      hostLabel: "example-co-op-example",
      coopName: "Example Co-op",
      mailHost: "localhost",
      mailPort: sink.port,
      from: "alerts@example.coop",
      recipients: ["ada@example.coop", "grace@elsewhere.example"],
      stateDir: state,
      credentialsFile: login,
      caFile: cert,
      sendTimeoutSeconds: 20,
    }),
    { mode: 0o755 },
  );
});

afterAll(async () => {
  await sink?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the script without blocking: the sink answers from this same process. */
function run(args: string[], input = ""): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [script, ...args], { env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir }, timeout: 60_000 });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (status) => resolve({ status, out }));
    child.stdin.end(input);
  });
}

/** Header value and body of a sunk message. */
function parse(data: string): { headers: Record<string, string>; body: string } {
  const [head, ...rest] = data.split("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n")) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body: rest.join("\r\n\r\n") };
}

describe("coop-alert, when the backup fails", () => {
  it("mails every admin through the co-op's mail server, over TLS, as the alerts account", async () => {
    const r = await run(["unit-failed", "coop-backup.service"]);
    expect(r.out).toContain("mailed ada@example.coop grace@elsewhere.example: coop-backup.service failed");
    expect(r.status).toBe(0);
    expect(sink.mails).toHaveLength(1);
    const m = sink.mails[0];
    expect(m).toMatchObject({
      tls: true,
      user: "alerts@example.coop",
      password: "Sup3rSecretAlertsPw",
      from: "alerts@example.coop",
      to: ["ada@example.coop", "grace@elsewhere.example"],
    });
    const { headers, body } = parse(m.data);
    expect(headers.subject).toBe("[example-co-op-example] coop-backup.service failed");
    expect(headers.from).toBe("Example Co-op alerts <alerts@example.coop>");
    expect(headers.to).toBe("ada@example.coop,grace@elsewhere.example");
    expect(headers["auto-submitted"]).toBe("auto-generated");
    expect(body).toContain("The systemd unit coop-backup.service failed on example-co-op-example.");
    expect(body).toContain("Active: failed (Result: exit-code)");
    expect(body).toContain("coop-backup[812]: nextcloud: database nextcloud not saved");
    // Dot-stuffed by curl on the wire, restored by the server: the line arrives as written.
    expect(body).toContain("\r\n.a line that starts with a dot\r\n");
  });

  it("sends one mail per cause per day: the same failure again today is not mailed twice", async () => {
    const before = sink.mails.length;
    const r = await run(["unit-failed", "coop-backup.service"]);
    expect(r.status).toBe(0);
    expect(r.out).toContain("already mailed today: unit-failed-coop-backup.service");
    expect(sink.mails).toHaveLength(before);
    expect(readFileSync(join(state, "sent", "unit-failed-coop-backup.service"), "utf8").trim()).toBe(new Date().toISOString().slice(0, 10));
  });

  it("mails again the next day", async () => {
    const before = sink.mails.length;
    writeFileSync(join(state, "sent", "unit-failed-coop-backup.service"), "2020-01-01\n");
    expect((await run(["unit-failed", "coop-backup.service"])).status).toBe(0);
    expect(sink.mails).toHaveLength(before + 1);
  });

  it("mails a check's finding with its own subject and the body it is given", async () => {
    const before = sink.mails.length;
    const r = await run(["check", "disk-data volume", "the data volume is 91% full"], "The data volume (/srv/coop) is 91% full.\n");
    expect(r.status).toBe(0);
    const { headers, body } = parse(sink.mails[before].data);
    expect(headers.subject).toBe("[example-co-op-example] the data volume is 91% full");
    expect(body).toBe("The data volume (/srv/coop) is 91% full.\r\n");
    // The cause becomes a plain file name.
    expect(existsSync(join(state, "sent", "disk-data_volume"))).toBe(true);
  });

  it("exits 1 and records nothing when the mail server refuses, so the next run tries again", async () => {
    const before = sink.mails.length;
    sink.failNext = true;
    const r = await run(["unit-failed", "coop-check.service"]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/could not mail the admins about unit-failed-coop-check.service through localhost:\d+; the next run tries again/);
    expect(existsSync(join(state, "sent", "unit-failed-coop-check.service"))).toBe(false);
    expect((await run(["unit-failed", "coop-check.service"])).status).toBe(0);
    expect(sink.mails).toHaveLength(before + 1);
  });

  it("never puts the password on a command line or in the script", async () => {
    expect(readFileSync(script, "utf8")).not.toContain("Sup3rSecretAlertsPw");
    expect(readFileSync(script, "utf8")).toContain('--config "$CREDENTIALS_FILE"');
  });

  it("refuses to be called wrongly (exit 2), and a cause cannot escape the state directory", async () => {
    expect((await run([])).status).toBe(2);
    expect((await run(["unit-failed"])).status).toBe(2);
    expect((await run(["reboot", "now"])).status).toBe(2);
    expect((await run(["check", "../../etc/passwd", "x"], "body\n")).status).toBe(0);
    expect(existsSync(join(state, "sent", "_._.._etc_passwd"))).toBe(true);
    expect((await run(["check", "..", "x"], "body\n")).status).toBe(0);
    expect(existsSync(join(state, "sent", "_."))).toBe(true);
  });

  withTool("shellcheck", "shellcheck")("passes shellcheck as rendered", () => {
    const r = spawnSync("shellcheck", ["--severity=style", script], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
  });
});

describe("the alerts account's login for curl", () => {
  vitestIt("is one curl config line, and refuses what would end its quoting", () => {
    expect(curlLogin("alerts@example.coop", "abc123")).toBe('user = "alerts@example.coop:abc123"\n');
    expect(() => curlLogin("alerts@example.coop", 'a"b')).toThrow(/without " or \\/);
    expect(() => curlLogin("alerts@example.coop", "a\nb")).toThrow();
    expect(() => curlLogin("alerts@example.coop", "")).toThrow();
  });
});
