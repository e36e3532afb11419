/**
 * Reading Mastodon's block-list CSV and merging it into a spec's list (pure): Mastodon's import
 * defaults, names written by hand taken in the form Mastodon stores, and the rows that cannot
 * join the list.
 */
import { describe, expect, it } from "vitest";
import { mergeBlocks, readBlockListCsv } from "../../cli/federation/block-list";
import type { DomainBlock } from "../../stacks/federation";

const HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";

describe("reading the CSV", () => {
  it("takes Mastodon's defaults for missing cells (suspend, nothing rejected), and the stored form of a hand-written name", () => {
    const { blocks, bad } = readBlockListCsv(`#domain\nbad.example\nBücher.Example\n`);
    expect(bad).toEqual([]);
    expect(blocks.map((b) => b.block)).toEqual([
      { domain: "bad.example", severity: "suspend", rejectMedia: false, rejectReports: false, publicComment: "", obfuscate: false },
      {
        domain: "xn--bcher-kva.example",
        severity: "suspend",
        rejectMedia: false,
        rejectReports: false,
        publicComment: "",
        obfuscate: false,
      },
    ]);
    expect(blocks.map((b) => b.line)).toEqual([2, 3]);
  });

  it("a comment over two lines inside quotes is refused (the spec keeps one line), the rows after it still read", () => {
    const { blocks, bad } = readBlockListCsv(
      `${HEADER}\nbad.example,suspend,false,false,"two\nlines",false\nok.example,silence,false,false,,false\n`,
    );
    expect(bad).toEqual([{ line: 3, reason: "#public_comment spans lines; the spec keeps one line" }]);
    expect(blocks.map((b) => b.block.domain)).toEqual(["ok.example"]);
  });
});

describe("merging into the spec's list", () => {
  const current: DomainBlock[] = [
    {
      domain: "bad.example",
      severity: "suspend",
      rejectMedia: true,
      rejectReports: true,
      publicComment: "spam",
      privateComment: "decided 2026-03",
      obfuscate: false,
    },
  ];
  const row = (line: number, domain: string, over: Partial<DomainBlock> = {}) => ({
    line,
    block: { domain, severity: "suspend" as const, rejectMedia: false, rejectReports: false, publicComment: "", obfuscate: false, ...over },
  });

  it("adds new blocks with the note, changes only differing fields, never lifts what the file lacks", () => {
    const m = mergeBlocks(
      current,
      [],
      [row(2, "bad.example", { rejectMedia: true, rejectReports: true, publicComment: "spam, bots" }), row(3, "new.example")],
      "from list X",
    );
    expect(m.changed).toEqual([{ index: 0, domain: "bad.example", fields: { publicComment: "spam, bots" } }]);
    expect(m.added).toEqual([{ ...row(3, "new.example").block, privateComment: "from list X" }]);
    expect(m.unchanged).toEqual([]);
  });

  it("a block under or over one in the list, or of an allowed server, cannot join it", () => {
    const m = mergeBlocks(current, ["friends.example"], [row(2, "cdn.bad.example"), row(3, "example"), row(4, "friends.example")], "x");
    expect(m.added).toEqual([]);
    expect(m.conflicts).toEqual([
      { line: 2, reason: "cdn.bad.example is already covered by the block of bad.example" },
      { line: 3, reason: "a block of example would cover the block of bad.example: decide on one of them" },
      { line: 4, reason: "friends.example is in domainAllows" },
    ]);
  });
});
