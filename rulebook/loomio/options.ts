/**
 * A proposal counts only if it offered exactly the four options the bylaws count, each once,
 * each meaning what its icon means. Votes are counted by icon (co-ops translate option names),
 * so a poll whose "Block" option carries the agree icon, or that adds a fifth option, would turn
 * the members' votes into something else.
 *
 * Names and meanings are compared with the other icons' English names and Loomio's default
 * meanings (loomio/loomio, config/poll_templates.yml, the proposal and consensus templates): a
 * translated name passes; another icon's name or meaning does not.
 */
import { COUNTED_ICONS, type PollOptionFacts } from "./poll-facts";

type Icon = (typeof COUNTED_ICONS)[number];

const WORDS: Record<Icon, readonly string[]> = {
  agree: ["agree", "yes", "consent", "i support the proposal"],
  abstain: ["abstain", "stand aside", "choosing not to, or unable to vote in this decision."],
  disagree: ["disagree", "no", "something in this proposal needs to be changed before i can support it."],
  block: ["block", "object", "objection", "i block this proposal and think it should not proceed"],
};

function norm(s: string | null): string {
  return (s ?? "").trim().toLowerCase().replace(/\s+/g, " ");
}

/** What is wrong with the options, in words; empty when they are exactly the four counted ones. */
export function optionProblems(options: readonly PollOptionFacts[]): string[] {
  const problems: string[] = [];
  const icons = options.map((o) => o.icon ?? "");
  for (const icon of COUNTED_ICONS) {
    const n = icons.filter((i) => i === icon).length;
    if (n === 0) problems.push(`it offered no '${icon}' option`);
    if (n > 1) problems.push(`it offered ${n} '${icon}' options`);
  }
  for (const o of options) {
    if (!(COUNTED_ICONS as readonly string[]).includes(o.icon ?? "")) {
      problems.push(`it offered an option with icon '${o.icon ?? "none"}', which the bylaws do not count`);
      continue;
    }
    const icon = o.icon as Icon;
    for (const other of COUNTED_ICONS) {
      if (other === icon) continue;
      if (WORDS[other].includes(norm(o.name)))
        problems.push(`its '${icon}' option is named '${o.name}', which is the '${other}' option's name`);
      if (o.meaning && WORDS[other].includes(norm(o.meaning)))
        problems.push(`its '${icon}' option means '${o.meaning}', which is what '${other}' means`);
    }
  }
  return problems;
}
