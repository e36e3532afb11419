/**
 * The federation part of a stack spec: the servers the co-op's Mastodon blocks, limits or
 * allows (services.mastodon.federation). Each entry becomes one Mastodon admin-API object
 * (components/mastodon/federation/), so the rules here are Mastodon's own, checked before a
 * proposal rather than refused by Mastodon after the vote:
 * - a domain is a host name as Mastodon stores it (app/validators/domain_validator.rb: labels
 *   of 1–63 letters, digits and hyphens, under 256 characters; DomainNormalizable lower-cases
 *   and converts to punycode). A spec holds exactly that stored form, so the plan, the vote and
 *   Mastodon all show the same text: upper case, a URL, a trailing dot or an internationalised
 *   name is refused with the stored form as the fix (a homograph in a proposal would hide
 *   which server is meant; punycode shows it);
 * - a block of a subdomain under a blocked domain is refused: Mastodon's create answers 422
 *   with the parent's block (DomainBlock.rule_for matches parent domains), and updating that
 *   one would change the parent's block;
 * - comments: Mastodon stores them as unbounded text; coop keeps each to one line of at most
 *   COMMENT_MAX characters, because members read every one in the proposal.
 */
import { domainToASCII } from "node:url";
import { z } from "zod";

export const SEVERITIES = ["silence", "suspend", "noop"] as const;
export type Severity = (typeof SEVERITIES)[number];
/** Ours, not Mastodon's (it has none): a reason members read in a proposal. */
export const COMMENT_MAX = 1000;
/** Mastodon's DomainValidator::MAX_DOMAIN_LENGTH: the normalised host is shorter than this. */
const DOMAIN_MAX = 255;
const FEDERATION_LABEL = /^[a-z0-9-]{1,63}$/;

/** Why `text` is not a domain as Mastodon stores it, with the stored form when there is one; undefined when it is. */
export function federationDomainProblem(text: string): { message: string; fix?: string } | undefined {
  const t = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t) || t.includes("/") || t.includes("@") || t.includes(":")) {
    const host = hostOfUrlish(t);
    return { message: `'${text}' is an address, not a domain`, ...(host ? { fix: host } : {}) };
  }
  const stored = domainToASCII(t.replace(/\.$/, "").toLowerCase());
  if (stored === "" || stored.length > DOMAIN_MAX || !stored.split(".").every((l) => FEDERATION_LABEL.test(l)))
    return { message: `'${text}' is not a domain name (labels of letters, digits and hyphens, separated by dots)` };
  if (!stored.includes(".")) return { message: `'${text}' is a single label; a server on the fediverse has a domain such as bad.example` };
  if (stored !== text) {
    const idn = stored.split(".").some((l) => l.startsWith("xn--")) && stored !== t.toLowerCase();
    return {
      message: idn
        ? `'${text}' is an internationalised name; Mastodon stores and shows it as '${stored}'`
        : `Mastodon stores '${text}' as '${stored}'`,
      fix: stored,
    };
  }
  return undefined;
}

function hostOfUrlish(t: string): string | undefined {
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `https://${t.replace(/^.*@/, "")}`);
    const host = domainToASCII(u.hostname.replace(/\.$/, ""));
    return host && federationDomainProblem(host) === undefined ? host : undefined;
  } catch {
    return undefined;
  }
}

const federationDomain = z.string().superRefine((d, ctx) => {
  const p = federationDomainProblem(d);
  if (p)
    ctx.addIssue({
      code: "custom",
      message: p.message,
      params: { hint: p.fix ? `write it as ${p.fix}` : "write the server's domain only, e.g. bad.example" },
    });
});

const comment = (what: string) =>
  z
    .string()
    .max(COMMENT_MAX, { message: `at most ${COMMENT_MAX} characters: members read it in the proposal` })
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    .regex(/^[^\u0000-\u001f\u007f]*$/, { message: "one line of text, without line breaks or control characters" })
    .default("")
    .describe(what);

export const DomainBlockSchema = z
  .object({
    domain: federationDomain.describe(
      "The server's domain as Mastodon stores it (lower case, punycode), e.g. bad.example. Its subdomains are covered too.",
    ),
    severity: z
      .enum(SEVERITIES)
      .default("silence")
      .describe(
        "suspend: no federation at all (its posts, accounts and follows here are removed); silence (Mastodon's 'Limit'): its posts only reach people who follow its accounts; noop: only the reject options below.",
      ),
    rejectMedia: z.boolean().default(false).describe("Do not store its media files (images, videos) on this server."),
    rejectReports: z.boolean().default(false).describe("Ignore moderation reports coming from it."),
    publicComment: comment("The reason Mastodon publishes on this server's About page (when it shows moderated servers)."),
    privateComment: comment("A note only this server's moderators see in Mastodon, e.g. the Loomio discussion."),
    obfuscate: z.boolean().default(false).describe("Show the domain partly hidden (bad.ex***le) in the public list."),
  })
  .strict()
  .describe("A server this co-op's Mastodon blocks or limits, decided by the members (or the federation area's process).");
export type DomainBlock = z.output<typeof DomainBlockSchema>;

export const FederationSchema = z
  .object({
    domainBlocks: z.array(DomainBlockSchema).default([]).describe("Servers Mastodon suspends, limits or restricts."),
    domainAllows: z
      .array(federationDomain)
      .default([])
      .describe(
        "Servers Mastodon federates with when it runs in limited-federation mode (LIMITED_FEDERATION_MODE); ignored by Mastodon otherwise.",
      ),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.domainBlocks.forEach((b, i) => {
      const first = seen.get(b.domain);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["domainBlocks", i, "domain"],
          message: `${b.domain} is already blocked by entry ${first + 1}`,
          params: { hint: "keep one entry per domain: merge the two" },
        });
      else seen.set(b.domain, i);
    });
    f.domainBlocks.forEach((b, i) => {
      const parent = [...seen.keys()].find((p) => b.domain.endsWith(`.${p}`));
      if (parent)
        ctx.addIssue({
          code: "custom",
          path: ["domainBlocks", i, "domain"],
          message: `${b.domain} is already covered by the block of ${parent}: Mastodon applies a block to every subdomain, and refuses a second one under it`,
          params: { hint: `remove this entry, or change the block of ${parent}` },
        });
    });
    const allowed = new Set<string>();
    f.domainAllows.forEach((d, i) => {
      if (allowed.has(d))
        ctx.addIssue({
          code: "custom",
          path: ["domainAllows", i],
          message: `${d} is listed twice`,
          params: { hint: "remove one of them" },
        });
      allowed.add(d);
      if (seen.has(d))
        ctx.addIssue({
          code: "custom",
          path: ["domainAllows", i],
          message: `${d} is both allowed and blocked`,
          params: { hint: "decide one: remove it from domainAllows or from domainBlocks" },
        });
    });
  })
  .describe(
    "Which other servers this Mastodon blocks, limits or allows: applied through Mastodon's admin API, decided like any change (or by the bylaws' federation area).",
  );
export type Federation = z.output<typeof FederationSchema>;
