/**
 * Changing a YAML document's text the way a careful person would: only the bytes of what
 * changes are rewritten — a value replaced in place, an item appended with the indentation of
 * its siblings, an item removed with its lines — and every other byte (comments, alignment,
 * flow style, blank lines, key order) stays as it was. Positions come from the yaml library's
 * node ranges; the new text is checked by parsing it again.
 */
import { isMap, isPair, isScalar, isSeq, type Node, parseDocument, stringify, type YAMLMap, type YAMLSeq } from "yaml";

export type Path = ReadonlyArray<string | number>;

export class SpliceError extends Error {}

interface Doc {
  text: string;
}

function parse(text: string) {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length) throw new SpliceError(`not valid YAML: ${doc.errors[0].message}`);
  return doc;
}

function nodeAt(text: string, path: Path): Node | undefined {
  const doc = parse(text);
  return path.length === 0 ? (doc.contents as Node) : (doc.getIn(path, true) as Node | undefined);
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf("\n", at - 1) + 1;
}

function indentOfLine(text: string, at: number): string {
  const start = lineStart(text, at);
  return /^[ ]*/.exec(text.slice(start))![0];
}

/** A value as YAML text on one line (flow style for collections). */
export function inlineYaml(value: unknown): string {
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object"))
    return `[${value.map((v) => inlineYaml(v)).join(", ")}]`;
  return stringify(value, { lineWidth: 0, flowCollectionPadding: false, collectionStyle: "flow" }).trimEnd();
}

/** Lists of long values (keys, sentences) read better one per line. */
function blockList(v: unknown): v is unknown[] {
  return Array.isArray(v) && v.some((x) => typeof x === "string" && x.length > 40);
}

/** A list of mappings (blocks of a block list) reads as one item per block, one field per line. */
function mappingList(v: unknown): v is Array<Record<string, unknown>> {
  return Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x));
}

/** `- ` items of a list of mappings, each prefixed with `indent`. */
function blockItems(v: Array<Record<string, unknown>>, indent: string): string[] {
  return v.flatMap((item) => {
    const body = blockMapping(item, `${indent}  `);
    return [`${indent}- ${body[0].trimStart()}`, ...body.slice(1)];
  });
}

/** A mapping as block YAML lines (flow style for short scalar lists), each prefixed with `indent`. */
function blockMapping(value: Record<string, unknown>, indent: string): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    blockList(v)
      ? [`${indent}${k}:`, ...v.map((x) => `${indent}  - ${inlineYaml(x)}`)]
      : mappingList(v)
        ? [`${indent}${k}:`, ...blockItems(v, `${indent}  `)]
        : v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0
          ? [`${indent}${k}:`, ...blockMapping(v as Record<string, unknown>, `${indent}  `)]
          : [`${indent}${k}: ${inlineYaml(v)}`],
  );
}

/** Replaces the value at `path` (a scalar or a flow collection), or adds the key to its mapping. */
export function setValue(d: Doc, path: Path, value: unknown): void {
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1];
  const parent = nodeAt(d.text, parentPath);
  if (!parent || !(isMap(parent) || isSeq(parent))) throw new SpliceError(`no mapping at ${parentPath.join(".") || "the top"}`);
  if (isSeq(parent)) {
    const item = parent.items[key as number] as Node | undefined;
    if (!item?.range) throw new SpliceError(`no item ${String(key)} at ${parentPath.join(".")}`);
    d.text = d.text.slice(0, item.range[0]) + inlineYaml(value) + d.text.slice(item.range[1]);
    return;
  }
  const pair = (parent as YAMLMap).items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
  if (pair && isPair(pair)) {
    const v = pair.value as Node | null;
    const emptyFlow = v?.range && !isScalar(v) && (v as YAMLSeq | YAMLMap).flow && (v as YAMLSeq | YAMLMap).items.length === 0;
    if (emptyFlow && mappingList(value)) {
      // `domainBlocks: []` gaining its first blocks: written out as a block list under the key.
      const k = pair.key as Node;
      const indent = `${indentOfLine(d.text, k.range![0])}  `;
      d.text = `${d.text.slice(0, k.range![1])}:\n${blockItems(value, indent).join("\n")}${d.text.slice(v!.range![1])}`;
      return;
    }
    if (v?.range && (isScalar(v) || (v as YAMLSeq | YAMLMap).flow)) {
      d.text = d.text.slice(0, v.range[0]) + inlineYaml(value) + d.text.slice(v.range[1]);
      return;
    }
    if (v === null || v === undefined) {
      const k = pair.key as Node;
      d.text = `${d.text.slice(0, k.range![1])}: ${inlineYaml(value)}${d.text.slice(k.range![1]).replace(/^:[ \t]*/, "")}`;
      return;
    }
    // A block collection: replace it whole, keeping the key's line.
    const indent = `${indentOfLine(d.text, (pair.key as Node).range![0])}  `;
    const rendered = Array.isArray(value)
      ? value.map((x) => `${indent}- ${inlineYaml(x)}`).join("\n")
      : blockMapping(value as Record<string, unknown>, indent).join("\n");
    const start = lineStart(d.text, v.range![0]);
    d.text = `${d.text.slice(0, start)}${rendered}\n${d.text.slice(lineEndAfter(d.text, v.range![1]))}`;
    return;
  }
  // A new key: appended after the mapping's last entry, with its indentation.
  const last = (parent as YAMLMap).items[(parent as YAMLMap).items.length - 1];
  if ((parent as YAMLMap).flow || !last) throw new SpliceError(`cannot add '${String(key)}' at ${parentPath.join(".") || "the top"}`);
  const indent = indentOfLine(d.text, (last.key as Node).range![0]);
  const end = lineEndAfter(d.text, ((last.value as Node | null)?.range ?? (last.key as Node).range!)[1]);
  // A new section (a mapping with fields, a list of mappings) in block style, as a person writes it.
  const lines = blockMapping({ [String(key)]: value }, indent);
  d.text = `${d.text.slice(0, end)}${lines.join("\n")}\n${d.text.slice(end)}`;
}

/** The offset just after the line that contains `at` (its newline included). */
function lineEndAfter(text: string, at: number): number {
  const nl = text.indexOf("\n", Math.max(0, at - 1));
  return nl < 0 ? text.length : nl + 1;
}

/** Appends an item (a mapping or a scalar) to the block sequence at `path`. */
export function appendItem(d: Doc, path: Path, value: unknown): void {
  const seq = nodeAt(d.text, path);
  if (!seq || !isSeq(seq)) throw new SpliceError(`no list at ${path.join(".")}`);
  if (seq.flow) {
    const close = d.text.lastIndexOf("]", seq.range![1]);
    d.text = `${d.text.slice(0, close)}${seq.items.length ? ", " : ""}${inlineYaml(value)}${d.text.slice(close)}`;
    return;
  }
  const last = seq.items[seq.items.length - 1] as Node | undefined;
  if (!last?.range) throw new SpliceError(`the list at ${path.join(".")} is empty; add its first item by hand`);
  const dash = d.text.lastIndexOf("-", last.range[0]);
  const indent = indentOfLine(d.text, dash);
  const end = lineEndAfter(d.text, last.range[1]);
  let lines: string[];
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const body = blockMapping(value as Record<string, unknown>, `${indent}  `);
    lines = [`${indent}- ${body[0].trimStart()}`, ...body.slice(1)];
  } else lines = [`${indent}- ${inlineYaml(value)}`];
  d.text = `${d.text.slice(0, end)}${lines.join("\n")}\n${d.text.slice(end)}`;
}

/** Removes item `index` of the block sequence at `path`, with its lines. */
export function removeItem(d: Doc, path: Path, index: number): void {
  const seq = nodeAt(d.text, path);
  if (!seq || !isSeq(seq)) throw new SpliceError(`no list at ${path.join(".")}`);
  const item = seq.items[index] as Node | undefined;
  if (!item?.range) throw new SpliceError(`no item ${index} at ${path.join(".")}`);
  if (seq.flow) {
    const before = index > 0 ? (seq.items[index - 1] as Node).range![1] : d.text.indexOf("[", seq.range![0]) + 1;
    const after = index + 1 < seq.items.length ? (seq.items[index + 1] as Node).range![0] : item.range[1];
    d.text =
      d.text.slice(0, before) + (index > 0 || index + 1 >= seq.items.length ? "" : "") + d.text.slice(index > 0 ? item.range[1] : after);
    return;
  }
  const start = lineStart(d.text, d.text.lastIndexOf("-", item.range[0]));
  const next = seq.items[index + 1] as Node | undefined;
  const end = next?.range ? lineStart(d.text, d.text.lastIndexOf("-", next.range[0])) : lineEndAfter(d.text, item.range[1]);
  d.text = d.text.slice(0, start) + d.text.slice(end);
}

/** Runs edits on `text`, checking the result still parses. */
export function splice(text: string, edit: (d: Doc) => void): string {
  const d = { text };
  edit(d);
  parse(d.text);
  return d.text;
}
