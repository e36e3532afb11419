/**
 * Editing a YAML file as a careful person would: the text is changed only where the value
 * changes (yaml-splice.ts) — comments, alignment, flow style and key order of everything else
 * stay byte for byte — validated against its schema, and written atomically. Nothing is written
 * when the result would not be valid.
 */
import { join } from "node:path";
import type { z } from "zod";
import { InputError } from "../../kernel/errors";
import { writeFileAtomic } from "../../kernel/fs-atomic";
import { readRegularText, SIZE_LIMITS } from "../../kernel/safe-read";
import { parseYamlText } from "../../kernel/yaml-file";
import { type Path, SpliceError, appendItem, removeItem, setValue, splice } from "./yaml-splice";

export interface EditedFile<T> {
  readonly file: string;
  /** The text as read. */
  readonly text: string;
  /** The value before the edit, validated. */
  readonly before: T;
}

export function openYaml<S extends z.ZodType>(root: string, file: string, schema: S): EditedFile<z.output<S>> {
  const text = readRegularText(join(root, file), SIZE_LIMITS.config, file);
  return { file, text, before: parseYamlText(text, schema, file) };
}

export type Edit = { set: Path; value: unknown } | { append: Path; value: unknown } | { remove: Path; index: number };

/** Applies `edits` to the text, validates the result against `schema` and writes it; returns the new value. */
export function saveYaml<S extends z.ZodType>(
  root: string,
  edited: EditedFile<z.output<S>>,
  schema: S,
  edits: readonly Edit[],
): z.output<S> {
  let text: string;
  try {
    text = splice(edited.text, (d) => {
      for (const e of edits) {
        if ("set" in e) setValue(d, e.set, e.value);
        else if ("append" in e) appendItem(d, e.append, e.value);
        else removeItem(d, e.remove, e.index);
      }
    });
  } catch (e) {
    if (e instanceof SpliceError)
      throw new InputError(`${edited.file} cannot be changed automatically: ${e.message}`, "make the change by hand; nothing was written");
    throw e;
  }
  let value: z.output<S>;
  try {
    value = parseYamlText(text, schema, edited.file);
  } catch (e) {
    throw new InputError(
      `the change would make ${edited.file} invalid: ${(e as Error).message.split("\n").slice(-2).join(" ").trim()}`,
      "nothing was written; check the values you gave",
    );
  }
  writeFileAtomic(join(root, edited.file), text);
  return value;
}
