/**
 * Reading a YAML file against a zod schema, with every problem located at file:line:col and
 * explained with a hint. Shared by the stack specs and the governance files.
 */
import { readFileSync } from "node:fs";
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";
import { z } from "zod";
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
export function readYamlFile<S extends z.ZodType>(
  file: string,
  schema: S,
  shown: string,
  missingHint?: string,
  edits: readonly YamlEdit[] = [],
): ParsedYaml<z.output<S>> {
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
    throw new FileProblems([
      {
        file: shown,
        line: 1,
        col: 1,
        message: "the file is empty",
        hint: "start from the bundled example (stacks/example.yaml, governance/rules.yaml …) and edit it",
      },
    ]);
  }
  for (const e of edits) doc.setIn(e.path as unknown[], e.value);
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new FileProblems([
      { file: shown, line: 1, col: 1, message: `expected a mapping of fields at the top level, got ${describe(data)}` },
    ]);
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
      hint = [guess ? `did you mean '${guess}'?` : undefined, allowed.length ? `allowed here: ${allowed.join(", ")}` : undefined]
        .filter(Boolean)
        .join(" ");
      break;
    }
    case "invalid_value": {
      const values = issue.values.map(String);
      const got = getIn(data, path);
      message =
        values.length === 1
          ? `expected '${values[0]}', got ${describe(got)}`
          : `expected one of ${values.join(", ")}; got ${describe(got)}`;
      const guess = typeof got === "string" ? closest(got, values) : undefined;
      hint = [guess ? `did you mean '${guess}'?` : undefined, fallbackHint(issue, path, schema, data)].filter(Boolean).join(" ");
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
      message =
        got === undefined ? `missing required field (expected ${issue.expected})` : `expected ${issue.expected}, got ${describe(got)}`;
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

  // Every problem says what is expected and gives an example, also where zod's own message does not.
  hint ??= fallbackHint(issue, path, schema, data);

  const pos = locate(doc, lc, path, keyNode);
  return { file, line: pos?.line, col: pos?.col, field: formatPath(path) || "(top level)", message, hint };
}

/**
 * A locator of fields in a YAML text: the 1-based line of the node at a path (or of its closest
 * existing ancestor), for messages that point into a file that has already been validated.
 */
export function fieldLocator(text: string): (path: PropertyKey[]) => number | undefined {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
  return (path) => locate(doc, lc, path)?.line;
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

/** What the field at `path` is: its description and default (an example to copy), if the schema has them. */
function fieldInfo(schema: z.ZodType, path: PropertyKey[], data: unknown): { description?: string; example?: unknown; values?: string[] } {
  // The top level is the file itself, not a field with a description to quote.
  const at = path.length > 0 ? schemaAt(schema, path, data) : undefined;
  if (!at) return {};
  let description: string | undefined;
  let example: unknown;
  let values: string[] | undefined;
  // The field as declared, through its wrappers: each may carry the description or the default.
  for (let cur: z.ZodType | undefined = at.declared; cur; cur = unwrapped(cur)) {
    description ??= cur.description;
    if (cur instanceof z.ZodDefault && example === undefined) {
      const v: unknown = cur.def.defaultValue;
      example = typeof v === "function" ? (v as () => unknown)() : v;
    }
    if (cur instanceof z.ZodEnum) values = cur.options.map(String);
  }
  // A list's entries share the list's description (e.g. host.sshSources[0]).
  if (description === undefined && at.parent instanceof z.ZodArray && path.length > 1)
    description = fieldInfo(schema, path.slice(0, -1), data).description;
  if (
    example === null ||
    (Array.isArray(example) && example.length === 0) ||
    (typeof example === "object" && example !== null && !Array.isArray(example))
  )
    example = undefined;
  return { description, example, values };
}

const TYPE_HINTS: Record<string, string> = {
  boolean: "write true or false, without quotes",
  number: "write a number, without quotes",
  string: "write text; quote it if it could be read as a number or true/false",
  array: "write a list, one '- item' per line or [a, b]",
  object: "write a mapping of 'field: value' lines, indented under the key",
};

/** A hint for an issue that has none: what is expected, and an example taken from the field's default. */
function fallbackHint(issue: Issue, path: PropertyKey[], schema: z.ZodType, data: unknown): string {
  const info = fieldInfo(schema, path, data);
  const key = [...path].reverse().find((p) => typeof p === "string");
  const sample =
    info.example !== undefined
      ? `${key ?? "value"}: ${typeof info.example === "string" ? info.example : JSON.stringify(info.example)}`
      : undefined;
  const parts: string[] = [];
  switch (issue.code) {
    case "invalid_type":
      parts.push(TYPE_HINTS[issue.expected] ?? `write a ${issue.expected}`);
      break;
    case "invalid_value":
      parts.push(`use one of ${(info.values ?? issue.values.map(String)).join(", ")}`);
      break;
    case "too_small":
      parts.push(
        `use ${issue.inclusive === false ? "more than" : "at least"} ${String(issue.minimum)}${issue.origin === "array" ? " entries" : issue.origin === "string" ? " characters" : ""}`,
      );
      break;
    case "too_big":
      parts.push(
        `use ${issue.inclusive === false ? "less than" : "at most"} ${String(issue.maximum)}${issue.origin === "array" ? " entries" : issue.origin === "string" ? " characters" : ""}`,
      );
      break;
    default:
      break;
  }
  if (sample) parts.push(`for example ${sample}`);
  if (info.description) parts.push(`(${info.description.replace(/\.$/, "")})`);
  if (parts.length === 0) parts.push("see the field's description in the editor or in stacks/spec.schema.json");
  return parts.join("; ").replace(/; \(/, " (");
}

/** The schema inside a wrapper that does not change the value's shape (a default, optional, a pipe's input …). */
function unwrapped(s: z.ZodType): z.ZodType | undefined {
  if (
    s instanceof z.ZodDefault ||
    s instanceof z.ZodPrefault ||
    s instanceof z.ZodOptional ||
    s instanceof z.ZodNullable ||
    s instanceof z.ZodReadonly ||
    s instanceof z.ZodCatch
  )
    return s.unwrap() as z.ZodType;
  if (s instanceof z.ZodPipe) return s.in as z.ZodType;
  return undefined;
}

/** The schema a value is checked against, without wrappers; a union's branch is the one the value's discriminator names. */
function resolved(s: z.ZodType, value: unknown): z.ZodType {
  const bare = (t: z.ZodType) => {
    let cur = t;
    for (let inner = unwrapped(cur); inner; inner = unwrapped(cur)) cur = inner;
    return cur;
  };
  const cur = bare(s);
  if (!(cur instanceof z.ZodUnion)) return cur;
  const options = (cur.options as z.ZodType[]).map(bare);
  const disc = (cur.def as { discriminator?: string }).discriminator;
  if (disc && value && typeof value === "object") {
    const want = (value as Record<string, unknown>)[disc];
    const branch = options.find((o) => {
      const tag = o instanceof z.ZodObject ? o.shape[disc] : undefined;
      return tag instanceof z.ZodLiteral && tag.values.has(want as never);
    });
    if (branch) return branch;
  }
  return options[0];
}

/** The schema one step down from an object, list or record. */
function child(s: z.ZodType, seg: PropertyKey): z.ZodType | undefined {
  if (s instanceof z.ZodObject) return s.shape[String(seg)] as z.ZodType | undefined;
  if (s instanceof z.ZodArray) return s.element as z.ZodType;
  if (s instanceof z.ZodRecord) return s.valueType as z.ZodType;
  return undefined;
}

interface SchemaAt {
  /** The field's schema as declared (wrappers included: they carry descriptions and defaults). */
  readonly declared: z.ZodType;
  /** What the value there is checked against: wrappers removed, the union's branch chosen. */
  readonly resolved: z.ZodType;
  /** The resolved schema of the object or list holding the field. */
  readonly parent?: z.ZodType;
}

/** The schema at `path` for this data, or undefined where the schema has no such field. */
function schemaAt(schema: z.ZodType, path: PropertyKey[], data: unknown): SchemaAt | undefined {
  let value = data;
  let at: SchemaAt = { declared: schema, resolved: resolved(schema, value) };
  for (const seg of path) {
    const declared = child(at.resolved, seg);
    if (!declared) return undefined;
    value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
    at = { declared, resolved: resolved(declared, value), parent: at.resolved };
  }
  return at;
}

/** Keys an object schema accepts at `path`. */
function allowedKeysAt(schema: z.ZodType, path: PropertyKey[], data: unknown): string[] {
  const at = schemaAt(schema, path, data)?.resolved;
  return at instanceof z.ZodObject ? Object.keys(at.shape) : [];
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
