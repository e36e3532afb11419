import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { readLedgerYamlFast, renderLedgerYaml, renderLedgerYamlChecked } from "../../../rulebook/ledger/ledger-yaml";
import type { Json, JsonObject } from "../../../kernel/json";

/** A small deterministic generator, so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const TRICKY_STRINGS = [
  "",
  "true",
  "null",
  "yes",
  "No",
  "~",
  "0x1f",
  "1e5",
  "0.5",
  "-3",
  "2026-03-10",
  "2026-03-10T12:00:03.512Z",
  "a: b",
  "# not a comment",
  "- item",
  "[x]",
  "{y}",
  "'quoted'",
  '"dq"',
  "ünïcödé – ok",
  "tab\there",
  "line\nbreak",
  "trail\n",
  "two\n\n",
  " lead",
  "trail ",
  "*anchor",
  "&ref",
  "!tag",
  "%dir",
  "@at",
  "`tick`",
  "a,b",
  "x|y",
  ">fold",
  "\u2028",
  "back\\slash",
  "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n",
  "plain-value",
  "urn:pulumi:a::b::c::d",
  "ghcr.io/mastodon/mastodon:v4.6.3",
];

function value(r: () => number, depth: number): Json {
  const pick = r();
  if (depth > 3 || pick < 0.45) {
    const k = Math.floor(r() * 6);
    if (k === 0) return null;
    if (k === 1) return r() < 0.5;
    if (k === 2) return Math.floor(r() * 2000) - 1000;
    if (k === 3) return Math.round(r() * 1e6) / 1e3;
    return TRICKY_STRINGS[Math.floor(r() * TRICKY_STRINGS.length)];
  }
  if (pick < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  return object(r, depth + 1);
}

function object(r: () => number, depth: number): JsonObject {
  const out: JsonObject = {};
  const keys = ["id", "kind", "n", "y", "on", "coop-infra/x", "with space", "a", "camelCase", "_u", "1x"];
  for (let i = 0; i < Math.floor(r() * 5) + 1; i++) out[keys[Math.floor(r() * keys.length)]] = value(r, depth);
  return out;
}

describe("the ledger's YAML", () => {
  it("reads back exactly as written, by the full YAML parser and by the fast reader (500 random records)", () => {
    const r = rng(42);
    for (let i = 0; i < 500; i++) {
      const v = object(r, 0);
      const text = renderLedgerYamlChecked(v, ["header line", ""]);
      expect(parse(text)).toEqual(v);
      const fast = readLedgerYamlFast(text);
      expect(fast, text).toEqual(v);
    }
  });

  it("accepts a mutated text only where it reads exactly what the full YAML parser reads (5,000 mutations)", () => {
    const r = rng(7);
    const alphabet = [" ", "\n", '"', "'", "-", ":", "#", "[", "]", "{", "}", "|", "0", "a", "\\", ","];
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const text = renderLedgerYaml(object(r, 0), ["h"]);
      const at = Math.floor(r() * text.length);
      const op = Math.floor(r() * 3);
      const ch = alphabet[Math.floor(r() * alphabet.length)];
      const mutated =
        op === 0
          ? text.slice(0, at) + ch + text.slice(at)
          : op === 1
            ? text.slice(0, at) + text.slice(at + 1)
            : text.slice(0, at) + ch + text.slice(at + 1);
      const fast = readLedgerYamlFast(mutated);
      if (fast === undefined) continue;
      accepted++;
      const header: string[] = [];
      for (const line of mutated.split("\n")) {
        if (!line.startsWith("#")) break;
        header.push(line === "#" ? "" : line.slice(2));
      }
      // What matters: the fast reading is what the full YAML parser reads. (The text may differ
      // from the writer's only in the order of keys, which JSON objects do not keep anyway.)
      expect(parse(mutated), mutated).toEqual(fast);
      expect(readLedgerYamlFast(renderLedgerYaml(fast, header))).toEqual(fast);
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it("leaves anything not in its exact layout to the full parser", () => {
    const text = renderLedgerYaml({ id: "example-0001-genesis", kind: "genesis", list: ["a"], nested: { k: 1 } });
    expect(readLedgerYamlFast(text)).toBeDefined();
    for (const edited of [
      text.replace("kind: genesis", "kind: 'genesis'"),
      text.replace("kind: genesis", "kind:  genesis"),
      text.replace("kind: genesis", "kind: genesis # comment"),
      text.replace("  k: 1", "    k: 1"),
      text.replace("id: ", "id: &a "),
      `${text}extra: [1,2]\n`,
      text.replace(/\n$/, ""),
      text.replace("\n", "\r\n"),
      `${text}id: twice\n`,
    ]) {
      expect(readLedgerYamlFast(edited), edited).toBeUndefined();
    }
  });

  it("writes signatures as literal blocks and keeps plain words plain", () => {
    const text = renderLedgerYaml({
      kind: "change",
      signature: "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
      digest: "0123abc",
      flag: "true",
    });
    expect(text).toBe(
      [
        "kind: change",
        "signature: |",
        "  -----BEGIN SSH SIGNATURE-----",
        "  AAAA",
        "  -----END SSH SIGNATURE-----",
        'digest: "0123abc"',
        'flag: "true"',
        "",
      ].join("\n"),
    );
  });
});
