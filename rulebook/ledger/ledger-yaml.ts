/**
 * The YAML that coop writes for decision records, and a fast reader for exactly that YAML.
 *
 * Why: `coop verify` and the policy pack read every decision of the ledger, and a general YAML
 * parser costs ~0.35 ms per record, too slow for ledgers of 10,000 decisions. Records are
 * written by coop, so they follow one strict layout (block mappings and sequences indented by
 * two spaces, plain scalars only where YAML cannot read them as anything but that string,
 * JSON-quoted strings otherwise, literal blocks for signatures). The fast reader understands
 * only that layout and is trusted only when rendering its result gives back the file byte for
 * byte; anything else (a hand-edited file, a foreign layout) goes through the full YAML parser.
 * The writer checks each document with the full parser before it is written.
 */
import { parse as parseYaml } from "yaml";
import type { Json, JsonObject } from "../../kernel/json";

const PLAIN_RE = /^[A-Za-z][A-Za-z0-9._/-]*$/;
const RESERVED_WORDS = new Set(["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"]);
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LITERAL_RE = /^[\x21-\x7e][\x20-\x7e]*(?:\n[\x20-\x7e]+)*\n?$/;
const NUMBER_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Reserved words are at most 5 characters long; longer strings skip the lower-casing. */
function isReserved(s: string): boolean {
  return s.length <= 5 && RESERVED_WORDS.has(s.toLowerCase());
}

/** Digests are always quoted, whether or not they start with a letter, so records read alike. */
const DIGEST_RE = /^[0-9a-f]{64}$/;

function isPlainSafe(s: string): boolean {
  return PLAIN_RE.test(s) && !isReserved(s) && !DIGEST_RE.test(s);
}

function isLiteralSafe(s: string): boolean {
  if (!s.includes("\n") || !LITERAL_RE.test(s)) return false;
  return s.split("\n").every((line) => !line.endsWith(" "));
}

function isBareKey(k: string): boolean {
  return KEY_RE.test(k) && !isReserved(k);
}

function key(k: string): string {
  return isBareKey(k) ? k : JSON.stringify(k);
}

function scalar(v: Json): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error("ledger YAML: numbers must be finite");
    return JSON.stringify(v);
  }
  if (typeof v === "string") return isPlainSafe(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

function isScalarList(v: Json[]): boolean {
  return v.every((x) => x === null || typeof x !== "object");
}

/** Scalar lists in JSON flow style, so the fast reader can hand them to JSON.parse. */
function flowList(v: Json[]): string {
  return `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
}

/** `- ` and `key: ` both put the value after them on the same line; this renders one such entry. */
function entry(prefix: string, value: Json, indent: string, out: string[]): void {
  if (typeof value === "string" && isLiteralSafe(value)) {
    out.push(`${prefix}${value.endsWith("\n") ? "|" : "|-"}`);
    const body = value.endsWith("\n") ? value.slice(0, -1) : value;
    for (const line of body.split("\n")) out.push(`${indent}  ${line}`);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0 || isScalarList(value)) {
      out.push(`${prefix}${flowList(value)}`);
      return;
    }
    out.push(prefix.trimEnd());
    sequence(value, `${indent}  `, out);
    return;
  }
  if (value !== null && typeof value === "object") {
    if (Object.keys(value).length === 0) {
      out.push(`${prefix}{}`);
      return;
    }
    out.push(prefix.trimEnd());
    mapping(value, `${indent}  `, out);
    return;
  }
  out.push(`${prefix}${scalar(value)}`);
}

function mapping(obj: JsonObject, indent: string, out: string[]): void {
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    entry(`${indent}${key(k)}: `, v, indent, out);
  }
}

function sequence(list: Json[], indent: string, out: string[]): void {
  for (const item of list) {
    if (item !== null && typeof item === "object" && !Array.isArray(item) && Object.keys(item).length > 0) {
      // The first key shares the line with the dash; the others align under it.
      const lines: string[] = [];
      mapping(item, `${indent}  `, lines);
      lines[0] = `${indent}- ${lines[0].slice(indent.length + 2)}`;
      out.push(...lines);
    } else if (Array.isArray(item) && item.length > 0 && !isScalarList(item)) {
      out.push(`${indent}- ${JSON.stringify(item)}`);
    } else {
      entry(`${indent}- `, item, indent, out);
    }
  }
}

/** Renders a record; `header` lines become leading `# ` comments. */
export function renderLedgerYaml(value: JsonObject, header: readonly string[] = []): string {
  const out = header.map((h) => (h ? `# ${h}` : "#"));
  mapping(value, "", out);
  return `${out.join("\n")}\n`;
}

/** Renders and proves with the full YAML parser that the text reads back as `value`. */
export function renderLedgerYamlChecked(value: JsonObject, header: readonly string[] = []): string {
  const text = renderLedgerYaml(value, header);
  const back = parseYaml(text) as unknown;
  if (JSON.stringify(back) !== JSON.stringify(value))
    throw new Error("ledger YAML: the rendered record does not read back as written (a bug in coop)");
  return text;
}

// --- the fast reader -------------------------------------------------------------------------
//
// It accepts a text only if it is exactly what renderLedgerYaml writes for the value it reads:
// every scalar, key and layout choice is checked against the writer's choice as it is read
// (cheaper than rendering the value again and comparing). Anything else is "not canonical"
// and goes to the full YAML parser. A test fuzzes this against the full parser.

class NotCanonical extends Error {}

interface Cursor {
  readonly lines: string[];
  i: number;
}

function reject(): never {
  throw new NotCanonical();
}

function indentOf(line: string): number {
  let n = 0;
  while (n < line.length && line.charCodeAt(n) === 32) n++;
  return n;
}

function parseJson(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return reject();
  }
}

/** A scalar written after "key: " or "- ", checked against how the writer would write it. */
function readScalar(text: string): Json {
  switch (text) {
    case "null":
      return null;
    case "true":
      return true;
    case "false":
      return false;
    case "[]":
      return [];
    case "{}":
      return {};
    default:
      break;
  }
  const c = text.charCodeAt(0);
  if (c === 34 /* " */) {
    const v = parseJson(text);
    if (typeof v !== "string" || isPlainSafe(v) || isLiteralSafe(v) || JSON.stringify(v) !== text) reject();
    return v;
  }
  if (c === 91 /* [ */) {
    const v = parseJson(text);
    if (!Array.isArray(v) || !isScalarList(v) || flowList(v) !== text) reject();
    return v;
  }
  if (NUMBER_RE.test(text)) {
    const n = Number(text);
    if (JSON.stringify(n) !== text) reject();
    return n;
  }
  if (isPlainSafe(text)) return text;
  return reject();
}

function readKey(text: string): [string, string] {
  let k: string;
  let rest: string;
  if (text.charCodeAt(0) === 34) {
    const end = text.indexOf('":');
    if (end < 0) reject();
    const raw = text.slice(0, end + 1);
    const v = parseJson(raw);
    if (typeof v !== "string" || key(v) !== raw) reject();
    k = v;
    rest = text.slice(end + 2);
  } else {
    const colon = text.indexOf(":");
    if (colon < 0) reject();
    k = text.slice(0, colon);
    if (!isBareKey(k)) reject();
    rest = text.slice(colon + 1);
  }
  if (rest === "") return [k, ""];
  if (rest.charCodeAt(0) !== 32 || rest.length < 2) reject();
  return [k, rest.slice(1)];
}

/** The value after "key: " or "- " (`rest`), possibly continued on the lines below. */
function readValueAfter(rest: string, cur: Cursor, indent: number, inSequence: boolean): Json {
  if (rest === "|" || rest === "|-") {
    const body: string[] = [];
    const pad = " ".repeat(indent + 2);
    while (cur.i < cur.lines.length) {
      const line = cur.lines[cur.i];
      if (!line.startsWith(pad) || line.length === pad.length) break;
      body.push(line.slice(pad.length));
      cur.i++;
    }
    if (body.length === 0) reject();
    const v = body.join("\n") + (rest === "|" ? "\n" : "");
    if (!isLiteralSafe(v)) reject();
    return v;
  }
  if (rest === "") {
    if (inSequence) reject();
    const next = cur.lines[cur.i];
    if (next === undefined || indentOf(next) !== indent + 2) reject();
    if (next.startsWith("- ", indent + 2)) {
      const list = readSequence(cur, indent + 2);
      if (isScalarList(list)) reject(); // the writer puts scalar lists in flow style
      return list;
    }
    return readMapping(cur, indent + 2);
  }
  return readScalar(rest);
}

function readMapping(cur: Cursor, indent: number): JsonObject {
  const obj: JsonObject = {};
  let first = true;
  while (cur.i < cur.lines.length) {
    const line = cur.lines[cur.i];
    const n = indentOf(line);
    if (n < indent && !first) break;
    if (n !== indent || line.startsWith("- ", n)) reject();
    const [k, rest] = readKey(line.slice(n));
    if (Object.hasOwn(obj, k)) reject();
    cur.i++;
    obj[k] = readValueAfter(rest, cur, indent, false);
    first = false;
  }
  if (first) reject();
  return obj;
}

const ITEM_KEY_RE = /^(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*"):(?: |$)/;

function readSequence(cur: Cursor, indent: number): Json[] {
  const list: Json[] = [];
  while (cur.i < cur.lines.length) {
    const line = cur.lines[cur.i];
    const n = indentOf(line);
    if (n < indent) break;
    if (n !== indent || !line.startsWith("- ", n)) reject();
    const after = line.slice(n + 2);
    if (ITEM_KEY_RE.test(after)) {
      // A mapping item: its first key shares the line with the dash, the others align under it.
      cur.lines[cur.i] = `${" ".repeat(indent + 2)}${after}`;
      list.push(readMapping(cur, indent + 2));
    } else if (after.charCodeAt(0) === 91 && after !== "[]") {
      const v = parseJson(after);
      if (!Array.isArray(v) || (isScalarList(v) ? flowList(v) : JSON.stringify(v)) !== after) reject();
      cur.i++;
      list.push(v);
    } else {
      cur.i++;
      list.push(readValueAfter(after, cur, indent, true));
    }
  }
  if (list.length === 0) reject();
  return list;
}

/**
 * Reads a record written by renderLedgerYaml. Returns undefined when the text is not exactly
 * in that form (then the caller uses the full YAML parser, which also locates errors).
 */
export function readLedgerYamlFast(text: string): JsonObject | undefined {
  if (!text.endsWith("\n") || text.includes("\r") || text.includes("\t")) return undefined;
  const lines = text.slice(0, -1).split("\n");
  let start = 0;
  while (start < lines.length && lines[start].charCodeAt(0) === 35 /* # */) {
    const l = lines[start];
    if (l !== "#" && !(l.startsWith("# ") && l.length > 2)) return undefined;
    start++;
  }
  const cur: Cursor = { lines: lines.slice(start), i: 0 };
  try {
    const value = readMapping(cur, 0);
    return cur.i === cur.lines.length ? value : undefined;
  } catch (e) {
    if (e instanceof NotCanonical) return undefined;
    throw e;
  }
}
