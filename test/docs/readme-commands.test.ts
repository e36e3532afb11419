/**
 * The README stays true: every `coop …` and `npm …` command line of its shell blocks runs as
 * written, in a scratch clone of the repository (git clone of the committed tree, node_modules
 * linked), in the README's order, and exits as the README says (0, or the code its comment
 * names, e.g. `# exit 1`). The general assembly's command in the prose runs too.
 *
 * Exempt, each for a reason the test cannot overcome:
 * - `npm ci`: downloads the dependencies (network); the clone links the installed ones instead;
 * - `npm test`, `npm run typecheck`: the whole suite and the whole-program typecheck are what
 *   CI runs on every commit, not a step to repeat inside one test;
 * - `npm run bench`: the benchmark loads the machine for minutes by design;
 * - `npx coop doctor … --online`: asks DNS on the internet.
 * The Pulumi CLI lines (`pulumi …`, deploys) and `git` lines are not coop's and are not run.
 * Key material the README names (`~/.ssh/id_ed25519`, `grace.pub`) is made with ssh-keygen in a
 * scratch home and the clone.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect } from "vitest";
import { scratchClone, sshKeygen } from "../helpers/clone";
import { REPO_ROOT } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const itSsh = withTool("ssh-keygen", "openssh-client");
const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

const EXEMPT: ReadonlyArray<readonly [RegExp, string]> = [
  [/^npm ci$/, "downloads the dependencies"],
  [/^npm test$/, "the whole suite"],
  [/^npm run typecheck$/, "the whole-program typecheck"],
  [/^npm run bench$/, "the benchmark"],
  [/^npx coop doctor .*--online/, "asks DNS on the internet"],
];

interface Step {
  readonly line: number;
  readonly command: string;
  readonly exit: number;
  readonly section: string;
}

/** The command steps of the README's sh blocks: continuation lines joined, `&&` split, comments read. */
function readmeSteps(md: string): Step[] {
  const lines = md.split("\n");
  const steps: Step[] = [];
  let section = "";
  let inSh = false;
  let pending = "";
  let pendingLine = 0;
  lines.forEach((raw, i) => {
    if (/^#{2,3} /.test(raw) && !inSh) section = raw.replace(/^#+ /, "");
    if (/^```sh\s*$/.test(raw)) {
      inSh = true;
      return;
    }
    if (inSh && /^```\s*$/.test(raw)) {
      inSh = false;
      return;
    }
    if (!inSh) return;
    if (!pending) pendingLine = i + 1;
    if (raw.endsWith("\\")) {
      pending += `${raw.slice(0, -1).trim()} `;
      return;
    }
    const full = `${pending}${raw}`.trim();
    pending = "";
    if (!full || full.startsWith("#")) return;
    const hash = full.search(/\s#\s/);
    const code = hash < 0 ? full : full.slice(0, hash).trim();
    const comment = hash < 0 ? "" : full.slice(hash);
    const exit = Number(/#\s*exit (\d+)/.exec(comment)?.[1] ?? 0);
    for (const part of code.split(" && ")) steps.push({ line: pendingLine, command: part.trim(), exit, section });
  });
  return steps;
}

const ours = (s: Step) => /^(npm|npx coop) /.test(s.command) || s.command === "npm test" || s.command === "npm ci";
const exempt = (s: Step) => EXEMPT.find(([re]) => re.test(s.command));

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups.splice(0)) c();
});

function prepare(): { root: string; home: string; grace: string } {
  const c = scratchClone();
  cleanups.push(c.cleanup);
  const home = join(c.dir, "home");
  mkdirSync(join(home, ".ssh"), { recursive: true, mode: 0o700 });
  sshKeygen(join(home, ".ssh"), "id_ed25519", "ada@river.coop");
  return { root: c.root, home, grace: `${sshKeygen(c.dir, "grace")}.pub` };
}

function runStep(command: string, root: string, home: string): { code: number; out: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CI: "true" };
  for (const k of Object.keys(env)) if (k.startsWith("LOOMIO_") || k.startsWith("GITHUB_") || k === "COOP_DEBUG") delete env[k];
  const r = spawnSync("sh", ["-c", command], { cwd: root, env, encoding: "utf8", timeout: 300_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`.slice(-3000) };
}

describe("the README's commands", () => {
  const steps = readmeSteps(README).filter(ours);

  itSsh("finds the command lines and names every exemption", () => {
    expect(steps.map((s) => s.command)).toEqual(
      expect.arrayContaining([
        "npm start",
        "npx coop gate --stack example --set host.serverType=cx43",
        "npx coop verify",
        expect.stringMatching(/^npx coop init --name "River Co-op" --domain river\.coop --stack prod/),
        "npm run ledger:example",
      ]),
    );
    expect(steps.find((s) => s.command.startsWith("npx coop gate --stack example --set"))?.exit).toBe(1);
    // Every exemption still matches a line of the README; a stale one would hide nothing.
    for (const [re] of EXEMPT)
      expect(
        steps.some((s) => re.test(s.command)),
        String(re),
      ).toBe(true);
  });

  itSsh(
    "run as written in a scratch clone, the example first, then the fork",
    () => {
      const { root, home, grace } = prepare();
      // The example co-op's commands (and development's) before the fork makes it River Co-op.
      const forkAt = steps.findIndex((s) => s.command.startsWith("npx coop init"));
      const development = steps.filter((s) => s.section === "Development");
      const order = [
        ...steps.slice(0, forkAt).filter((s) => !development.includes(s)),
        ...development,
        ...steps.slice(forkAt).filter((s) => !development.includes(s)),
      ];
      const ran: string[] = [];
      for (const s of order) {
        if (exempt(s)) continue;
        // grace's public key, handed over by her, where the README's init expects it.
        if (s.command.startsWith("npx coop init")) writeFileSync(join(root, "grace.pub"), readFileSync(grace));
        const r = runStep(s.command, root, home);
        expect(r.code, `README.md:${s.line}: ${s.command}\n${r.out}`).toBe(s.exit);
        ran.push(s.command);
      }
      expect(ran.length).toBeGreaterThanOrEqual(7);

      // The general assembly's command of the prose, after a change and its minutes.
      const ga = /`(npx coop decide --stack prod --manual[^`]*)`/.exec(README)?.[1].replace(/\s+/g, " ");
      expect(ga, "the README's general-assembly command").toBeDefined();
      const spec = join(root, "stacks", "prod.yaml");
      writeFileSync(spec, readFileSync(spec, "utf8").replace("serverType: cx33", "serverType: cx43"));
      mkdirSync(join(root, "docs", "minutes"), { recursive: true });
      writeFileSync(join(root, "docs", "minutes", "2026-03-01.md"), "# General assembly 2026-03-01\n\nThe members approved cx43.\n");
      const r = runStep(ga!, root, home);
      expect(r.code, `${ga}\n${r.out}`).toBe(0);
      const decision = JSON.parse(readFileSync(join(root, "governance", "decisions", "prod-0002-change.json"), "utf8"));
      expect(decision.decidedAt).toBe("2026-03-01T00:00:00.000Z");
    },
    900_000,
  );
});
