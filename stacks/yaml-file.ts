/**
 * Reading a YAML file against a zod schema, with every problem located at file:line:col and
 * explained with a hint. Shared by the stack specs and the governance files.
 */
import { readFileSync } from "node:fs";
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";
import type { z } from "zod";
import { FileProblems, InputError, formatPath, type Problem } from "./errors";

export interface ParsedYaml<T> {
  readonly value: T;
  readonly text: string;
}

/** A value put at a path before validation (e.g. `coop plan --set host.serverType=cx43`). */
export interface YamlEdit {
  readonly path: ReadonlyArray<string | number>;
  readonly value: unknown;
}

/** Reads and validates `file`; `shown` is the name used in messages (a repository-relative path). */
export function readYamlFile<S extends z.ZodType>(file: string, schema: S, shown: string, missingHint?: string, edits: readonly YamlEdit[] = []): ParsedYaml<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(`${shown} does not exist`, missingHint);
    if (code === "EISDIR") throw new InputError(`${shown} is a directory, not a YAML file`);
    throw new InputError(`${shown} cannot be read: ${(e as Error).message}`);
  }
  return { value: parseYamlText(text, schema, shown, edits), text };
}

export function parseYamlText<S extends z.ZodType>(text: string, schema: S, shown: string, edits: readonly YamlEdit[] = []): z.output<S> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) {
    throw new FileProblems(
      doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return { file: shown, line: pos.line, col: pos.col, message: yamlMessage(e.code, e.message), hint: yamlHint(e.code) };
      }),
      `${shown} is not valid YAML:`,
    );
  }
  if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ""))) {
    throw new FileProblems([{ file: shown, line: 1, col: 1, message: "the file is empty", hint: "start from the bundled example (stacks/example.yaml, governance/rules.yaml …) and edit it" }]);
  }
  for (const e of edits) doc.setIn(e.path as unknown[], e.value);
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new FileProblems([{ file: shown, line: 1, col: 1, message: `expected a mapping of fields at the top level, got ${describe(data)}` }]);
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => issueToProblem(issue, doc, lc, shown, schema, data));
  throw new FileProblems(dedupe(problems), `${shown} does not match the expected format:`);
}

function dedupe(ps: Problem[]): Problem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.line}:${p.col}:${p.field}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function yamlMessage(code: string, message: string): string {
  if (code === "DUPLICATE_KEY") return "a key appears twice in the same mapping";
  // The yaml library's messages start with the location; we print our own.
  return message.split(" at line ")[0];
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case "DUPLICATE_KEY":
      return "keep one of them; YAML would silently use only the last";
    case "TAB_AS_INDENT":
      return "indent with spaces, not tabs";
    case "BAD_INDENT":
    case "MISSING_CHAR":
      return "check the indentation and the ':' after each key";
    default:
      return undefined;
  }
}

type Issue = z.core.$ZodIssue;

function issueToProblem(issue: Issue, doc: Document, lc: LineCounter, file: string, schema: z.ZodType, data: unknown): Problem {
  let path = issue.path as PropertyKey[];
  let message = issue.message;
  let hint: string | undefined;
  let keyNode: Node | undefined;

  switch (issue.code) {
    case "unrecognized_keys": {
      const key = issue.keys[0];
      const allowed = allowedKeysAt(schema, path, data);
      keyNode = findKeyNode(doc, path, key);
      path = [...path, key];
      message = issue.keys.length > 1 ? `unknown fields ${issue.keys.map((k) => `'${k}'`).join(", ")}` : `unknown field '${key}'`;
      const guess = closest(key, allowed);
      hint = [guess ? `did you mean '${guess}'?` : undefined, allowed.length ? `allowed here: ${allowed.join(", ")}` : undefined].filter(Boolean).join(" ");
      break;
    }
    case "invalid_value": {
      const values = issue.values.map(String);
      const got = getIn(data, path);
      message = values.length === 1 ? `expected '${values[0]}', got ${describe(got)}` : `expected one of ${values.join(", ")}; got ${describe(got)}`;
      const guess = typeof got === "string" ? closest(got, values) : undefined;
      hint = guess ? `did you mean '${guess}'?` : undefined;
      break;
    }
    case "invalid_union": {
      const disc = (issue as { discriminator?: string; options?: unknown[] }).discriminator;
      if (disc) {
        const opts = ((issue as { options?: unknown[] }).options ?? []).map(String);
        const got = getIn(data, path);
        message = `expected ${disc} to be one of ${opts.join(", ")}; got ${describe(got)}`;
        const guess = typeof got === "string" ? closest(got, opts) : undefined;
        hint = guess ? `did you mean '${guess}'?` : undefined;
      }
      break;
    }
    case "invalid_type": {
      const got = getIn(data, path);
      message = got === undefined ? `missing required field (expected ${issue.expected})` : `expected ${issue.expected}, got ${describe(got)}`;
      if (issue.expected === "string" && (typeof got === "number" || typeof got === "boolean")) hint = `quote it: "${String(got)}"`;
      if (got === undefined) hint = "add it; see the field's description in the editor or in stacks/spec.schema.json";
      break;
    }
    case "custom": {
      hint = (issue.params as { hint?: string } | undefined)?.hint;
      break;
    }
    case "too_small":
    case "too_big":
    case "invalid_format":
      message = message.replace(/^Invalid input: /, "");
      break;
    default:
      break;
  }

  const pos = locate(doc, lc, path, keyNode);
  return { file, line: pos?.line, col: pos?.col, field: formatPath(path) || "(top level)", message, hint };
}

/** The node at `path`, or its closest existing ancestor when the path does not exist in the file. */
function locate(doc: Document, lc: LineCounter, path: PropertyKey[], keyNode?: Node): { line: number; col: number } | undefined {
  const node = keyNode ?? nearestNode(doc, path);
  const offset = node?.range?.[0];
  if (offset === undefined) return undefined;
  return lc.linePos(offset);
}

function nearestNode(doc: Document, path: PropertyKey[]): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (node && typeof node === "object" && "range" in (node as object)) {
      // For a present key, point at the key rather than at its value when the value is a collection.
      if (n > 0 && (isMap(node) || isSeq(node))) {
        const key = findKeyNode(doc, path.slice(0, n - 1), path[n - 1]);
        if (key) return key;
      }
      return node as Node;
    }
  }
  return doc.contents ?? undefined;
}

function findKeyNode(doc: Document, parentPath: PropertyKey[], key: PropertyKey): Node | undefined {
  const parent = parentPath.length ? doc.getIn(parentPath as unknown[], true) : doc.contents;
  if (!isMap(parent)) return undefined;
  for (const item of parent.items) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(key)) return item.key;
  }
  return undefined;
}

function getIn(data: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null (an empty value)";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `'${v}'`;
  return `${typeof v} ${String(v)}`;
}

/** Keys an object schema accepts at `path`, following defaults, arrays and discriminated unions. */
function allowedKeysAt(schema: z.ZodType, path: PropertyKey[], data: unknown): string[] {
  let cur: unknown = schema;
  let value: unknown = data;
  const step = (s: unknown): unknown => {
    // Unwrap wrappers that do not change the shape.
    for (;;) {
      const def = (s as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
      if (!def) return s;
      if (["default", "prefault", "optional", "nullable", "readonly", "catch"].includes(def.type as string)) s = def.innerType;
      else if (def.type === "pipe") s = def.in;
      else return s;
    }
  };
  const pickUnion = (s: unknown, v: unknown): unknown => {
    const def = (s as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type !== "union") return s;
    const options = def.options as unknown[];
    const disc = def.discriminator as string | undefined;
    if (disc && v && typeof v === "object") {
      const want = (v as Record<string, unknown>)[disc];
      for (const o of options) {
        const shape = (step(o) as { _zod: { def: { shape?: Record<string, unknown> } } })._zod.def.shape;
        const lit = shape?.[disc] as { _zod?: { def?: { values?: unknown[] } } } | undefined;
        if (lit?._zod?.def?.values?.includes(want)) return step(o);
      }
    }
    return step(options[0]);
  };
  cur = pickUnion(step(cur), value);
  for (const seg of path) {
    const def = (cur as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === "object") cur = (def.shape as Record<string, unknown>)[String(seg)];
    else if (def.type === "array") cur = def.element;
    else if (def.type === "record") cur = def.valueType;
    else return [];
    if (!cur) return [];
    value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
    cur = pickUnion(step(cur), value);
  }
  const def = (cur as { _zod: { def: Record<string, unknown> } })._zod.def;
  return def.type === "object" ? Object.keys(def.shape as object) : [];
}

/** The candidate closest to `word` by edit distance, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
