/**
 * The runbooks' commands work as written: every shell block is valid shell (shellcheck), and
 * run as the admin user `coop` on the host none of them reads or writes where `coop` may not.
 *
 * The host's file ownership the runbooks meet (components/host/cloud-init.ts): the data volume
 * /srv/coop is mounted by root and belongs to root, as do Docker's and containerd's stores under
 * it and coop-restore's scratch space /srv/coop/restore (created with umask 077). The admin's
 * shell runs as `coop` (in the docker group, with sudo): a redirection is opened by that shell
 * even after `sudo`, and a command without `sudo` runs as `coop`. So every path under /srv/coop
 * that is redirected to or from, or handed to a file command without sudo, must lie in a
 * directory the runbook made coop's own (`sudo install -d -o coop …`).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/repo";
import { withTool } from "../helpers/tools";

const RUNBOOKS = join(REPO_ROOT, "docs", "runbook");
const DATA_DIR = "/srv/coop";
/** Commands that open the files they are given. */
const FILE_COMMANDS = new Set(["cat", "tail", "head", "grep", "rm", "cp", "mv", "find", "ls", "wc", "tee", "touch", "mkdir", "sha256sum"]);

interface Block {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** The ```sh blocks of a Markdown file, list indentation removed, placeholders made words. */
function shellBlocks(file: string): Block[] {
  const lines = readFileSync(join(RUNBOOKS, file), "utf8").split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(sh|bash|console)\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]); j++) body.push(lines[j].slice(Math.min(indent, lines[j].search(/\S|$/))));
    // <prefix>, <ipv4>, <urn of …>: words in the shell, as the reader fills them in.
    const text = body
      .join("\n")
      .replace(/<prefix>/g, "example-co-op-example")
      .replace(/<([a-z][^<>\n]*)>/g, "PLACEHOLDER");
    out.push({ file, line: i + 1, text: `${text}\n` });
    i = j;
  }
  return out;
}

const files = readdirSync(RUNBOOKS).filter((f) => f.endsWith(".md"));
const blocks = files.flatMap(shellBlocks);

/** Logical lines (continuations joined), split into the simple commands of their pipelines and lists. */
function commands(text: string): string[][] {
  return text
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.replace(/(^|\s)#.*$/, ""))
    .flatMap((l) => l.split(/\|\||&&|[|;]/))
    .map((c) => c.trim().split(/\s+/).filter(Boolean))
    .filter((c) => c.length > 0);
}

/** Paths under /srv/coop that `coop` itself opens in these commands (redirections, or file commands without sudo). */
function pathsOpenedAsAdmin(text: string): string[] {
  const out: string[] = [];
  for (const words of commands(text)) {
    words.forEach((w, i) => {
      const redirect = /^(?:\d?>>?|<)(.*)$/.exec(w);
      if (redirect) {
        const target = redirect[1] || words[i + 1];
        if (target?.startsWith(`${DATA_DIR}/`) || target === DATA_DIR) out.push(target);
      }
    });
    const plain = words.filter((w, i) => !/^(?:\d?>>?|<)/.test(w) && !/^(?:\d?>>?|<)$/.test(words[i - 1] ?? ""));
    if (plain[0] !== "sudo" && FILE_COMMANDS.has(plain[0] ?? "")) {
      for (const w of plain.slice(1)) if (w.startsWith(`${DATA_DIR}/`)) out.push(w);
    }
  }
  return out;
}

/** Directories the runbook makes the admin's own. */
function adminDirs(text: string): string[] {
  return commands(text)
    .filter((w) => w[0] === "sudo" && w[1] === "install" && w.includes("-d") && w[w.indexOf("-o") + 1] === "coop")
    .map((w) => w[w.length - 1]);
}

describe("the runbooks' shell blocks", () => {
  it("are there to check", () => {
    expect(files).toEqual(
      expect.arrayContaining(["upgrade-mastodon.md", "upgrade-nextcloud.md", "restore-from-backup.md", "first-deploy.md"]),
    );
    expect(blocks.length).toBeGreaterThan(15);
  });

  withTool("shellcheck", "shellcheck")("are valid shell", () => {
    for (const b of blocks) {
      const r = spawnSync("shellcheck", ["--shell=bash", "--severity=warning", "-"], { input: b.text, encoding: "utf8" });
      expect(r.stdout + r.stderr, `${b.file}:${b.line}`).toBe("");
    }
  });

  it("open nothing under /srv/coop as coop outside a directory they made coop's own", () => {
    for (const file of files) {
      const own = blocks.filter((b) => b.file === file).flatMap((b) => adminDirs(b.text));
      for (const b of blocks.filter((x) => x.file === file)) {
        for (const path of pathsOpenedAsAdmin(b.text)) {
          expect(
            own.some((d) => path.startsWith(`${d}/`)),
            `${file}:${b.line}: ${path} is opened by coop's shell, but belongs to root (write it into a directory made with sudo install -d -o coop, or read it with sudo)`,
          ).toBe(true);
        }
      }
    }
  });
});

describe("the ownership check itself", () => {
  it("catches what the Postgres-major runbooks used to do: a dump written by coop's shell into root's /srv/coop", () => {
    expect(pathsOpenedAsAdmin("docker exec x-db pg_dumpall -U mastodon > /srv/coop/mastodon-pg.sql\n")).toEqual([
      "/srv/coop/mastodon-pg.sql",
    ]);
    expect(pathsOpenedAsAdmin("docker exec -i x-db psql -d postgres < /srv/coop/nextcloud-pg.sql\n")).toEqual([
      "/srv/coop/nextcloud-pg.sql",
    ]);
    expect(pathsOpenedAsAdmin("sudo coop-restore restic dump latest /a \\\n  /b > /srv/coop/restore/roles.sql\n")).toEqual([
      "/srv/coop/restore/roles.sql",
    ]);
    expect(pathsOpenedAsAdmin("tail -n 4 /srv/coop/restore/roles.sql\n")).toEqual(["/srv/coop/restore/roles.sql"]);
  });

  it("lets sudo read and write, and coop use what it owns", () => {
    expect(
      pathsOpenedAsAdmin("sudo tail -n 4 /srv/coop/restore/roles.sql\nsudo coop-restore x | sudo tee /srv/coop/restore/r.sql >/dev/null\n"),
    ).toEqual([]);
    const text = "sudo install -d -o coop -g coop -m 0700 /srv/coop/work\ndocker exec db pg_dumpall > /srv/coop/work/d.sql\n";
    expect(adminDirs(text)).toEqual(["/srv/coop/work"]);
    expect(pathsOpenedAsAdmin(text)).toEqual(["/srv/coop/work/d.sql"]);
  });
});
