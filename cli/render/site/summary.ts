/**
 * The rulebook's plain-words summaries are the Markdown members read in a proposal: lines of
 * **bold** headings, "- " items, "  - " sub-items and blank lines. This renders exactly that
 * subset to HTML, escaping every character of the text first; anything else stays plain text.
 */
import { esc, type Markup, raw } from "./html";

function inline(text: string): string {
  return esc(text)
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/`([^`]+)`/g, "<code>$1</code>");
}

/** `level`: the heading level of bold-only lines (one below the section that holds the summary). */
export function summaryHtml(markdown: string, level: 3 | 4 = 3): Markup {
  const out: string[] = [];
  let depth = 0; // open lists: 0 none, 1 a list, 2 a list with a sub-list open in its last item
  const close = (to: number) => {
    while (depth > to) {
      out.push(depth === 2 ? "</ul></li>" : "</ul>");
      depth--;
    }
  };
  for (const line of markdown.split(/\r?\n/)) {
    const sub = /^ {2,}- (.*)$/.exec(line);
    const item = /^- (.*)$/.exec(line);
    const heading = /^\*\*([^*]+)\*\*$/.exec(line.trim());
    if (sub && depth >= 1) {
      if (depth === 1) {
        // Re-open the last item to hold the sub-list.
        out[out.length - 1] = out[out.length - 1].replace(/<\/li>$/, "");
        out.push("<ul>");
        depth = 2;
      }
      out.push(`<li>${inline(sub[1])}</li>`);
    } else if (item) {
      close(1);
      if (depth === 0) {
        out.push("<ul>");
        depth = 1;
      }
      out.push(`<li>${inline(item[1])}</li>`);
    } else if (line.trim() === "") {
      close(0);
    } else if (heading) {
      close(0);
      out.push(`<h${level}>${esc(heading[1])}</h${level}>`);
    } else {
      close(0);
      out.push(`<p>${inline(line.trim())}</p>`);
    }
  }
  close(0);
  return raw(out.join("\n"));
}
