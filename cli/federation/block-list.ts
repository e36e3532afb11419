/**
 * Mastodon's block-list CSV (Moderation → Federation → Export; the header
 * `#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`) read into the
 * spec's block entries, and merged with the blocks a spec already has. Pure: the command reads
 * the file and writes the spec.
 *
 * As Mastodon's own import does (Admin::ExportDomainBlocksController): a missing severity is
 * `suspend`, a missing flag false; the file carries no private comment, so each new block gets
 * one naming where it came from. Unlike Mastodon, which skips what it cannot read, every row
 * that is not a valid block is reported with its line and why, and the import writes nothing
 * unless told to skip them.
 */
import { parse } from "csv-parse/sync";
import { COMMENT_MAX, type DomainBlock, federationDomainProblem, SEVERITIES, type Severity } from "../../stacks/federation";

export const CSV_HEADER = ["#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"] as const;

export interface CsvBlock {
  readonly line: number;
  readonly block: Omit<DomainBlock, "privateComment">;
}

export interface BadRow {
  readonly line: number;
  readonly reason: string;
}

function flag(v: string | undefined, column: string): boolean {
  const t = (v ?? "").trim().toLowerCase();
  if (t === "" || t === "false" || t === "0") return false;
  if (t === "true" || t === "1") return true;
  throw new Error(`${column} is '${v}', not true or false`);
}

/** The blocks of a Mastodon block-list export, and the rows that are none. */
export function readBlockListCsv(text: string): { blocks: CsvBlock[]; bad: BadRow[] } {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // Line ends as any editor leaves them, even mixed (a list pasted together from two sources).
    records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      record_delimiter: ["\r\n", "\n"],
    }) as never;
  } catch (e) {
    throw new Error(`it is not a CSV file: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new Error("it is empty");
  const header = records[0].record.map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col("#domain") < 0) throw new Error(`its first line has no #domain column (a Mastodon export starts with ${CSV_HEADER.join(",")})`);
  const blocks: CsvBlock[] = [];
  const bad: BadRow[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    const cell = (name: string) => (col(name) >= 0 ? record[col(name)] : undefined);
    try {
      if (record.length > header.length) throw new Error(`it has ${record.length} fields, the header ${header.length}`);
      const raw = (cell("#domain") ?? "").trim();
      const problem = federationDomainProblem(raw);
      // Mastodon exports domains as it stores them; a list written by hand may not: take the stored form it names.
      const domain = problem?.fix && !problem.message.includes("address") ? problem.fix : raw;
      if (federationDomainProblem(domain)) throw new Error(federationDomainProblem(domain)!.message);
      const severity = ((cell("#severity") ?? "").trim() || "suspend") as Severity;
      if (!SEVERITIES.includes(severity)) throw new Error(`#severity is '${severity}', not one of ${SEVERITIES.join(", ")}`);
      const publicComment = (cell("#public_comment") ?? "").trim();
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
      if (/[\u0000-\u001f\u007f]/.test(publicComment)) throw new Error("#public_comment spans lines; the spec keeps one line");
      if (publicComment.length > COMMENT_MAX) throw new Error(`#public_comment is longer than ${COMMENT_MAX} characters`);
      const first = seen.get(domain);
      if (first !== undefined) throw new Error(`${domain} was already on line ${first}`);
      seen.set(domain, line);
      blocks.push({
        line,
        block: {
          domain,
          severity,
          rejectMedia: flag(cell("#reject_media"), "#reject_media"),
          rejectReports: flag(cell("#reject_reports"), "#reject_reports"),
          publicComment,
          obfuscate: flag(cell("#obfuscate"), "#obfuscate"),
        },
      });
    } catch (e) {
      bad.push({ line, reason: (e as Error).message });
    }
  }
  return { blocks, bad };
}

const COMPARED = ["severity", "rejectMedia", "rejectReports", "publicComment", "obfuscate"] as const;

export interface Merge {
  /** New entries, in file order, with the private comment they get. */
  readonly added: DomainBlock[];
  /** Existing entries (by index in the spec) whose fields change; their private comment stays. */
  readonly changed: Array<{ index: number; domain: string; fields: Partial<DomainBlock> }>;
  readonly unchanged: string[];
  /** Rows that cannot join this spec's list (a block under or over another, an allowed server). */
  readonly conflicts: BadRow[];
}

/** What importing `rows` into a spec's `current` blocks and `allows` changes; blocks only in the spec stay as they are. */
export function mergeBlocks(
  current: readonly DomainBlock[],
  allows: readonly string[],
  rows: readonly CsvBlock[],
  privateComment: string,
): Merge {
  const added: DomainBlock[] = [];
  const changed: Merge["changed"] = [];
  const unchanged: string[] = [];
  const conflicts: BadRow[] = [];
  const all = () => [...current.map((b) => b.domain), ...added.map((b) => b.domain)];
  for (const { line, block } of rows) {
    const index = current.findIndex((b) => b.domain === block.domain);
    if (index >= 0) {
      const fields: Partial<DomainBlock> = {};
      for (const k of COMPARED) if (current[index][k] !== block[k]) (fields as Record<string, unknown>)[k] = block[k];
      if (Object.keys(fields).length) changed.push({ index, domain: block.domain, fields });
      else unchanged.push(block.domain);
      continue;
    }
    const over = all().find((d) => block.domain.endsWith(`.${d}`) || d.endsWith(`.${block.domain}`));
    if (over) {
      conflicts.push({
        line,
        reason: block.domain.endsWith(`.${over}`)
          ? `${block.domain} is already covered by the block of ${over}`
          : `a block of ${block.domain} would cover the block of ${over}: decide on one of them`,
      });
      continue;
    }
    if (allows.includes(block.domain)) {
      conflicts.push({ line, reason: `${block.domain} is in domainAllows` });
      continue;
    }
    added.push({ ...block, privateComment });
  }
  return { added, changed, unchanged, conflicts };
}
