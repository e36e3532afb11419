/**
 * The dynamic provider behind each domain block and allow: create, read, update, delete and
 * diff through Mastodon's admin API (admin-api.ts; the shapes in
 * test/oracles/mastodon-admin-domain-blocks.md).
 *
 * - create: POST; a 422 carrying `existing_domain_block` for the same domain (blocked by hand
 *   before) → that block is updated to what was decided and adopted; one for a parent domain
 *   is an error (updating it would change another decision's block);
 * - read (refresh): GET by id → what Mastodon holds now, so `pulumi preview --refresh` shows a
 *   block changed by hand as drift, and one lifted by hand (404) as gone;
 * - update: PUT (a block's domain cannot change: that is a replacement); a new token alone
 *   changes nothing at Mastodon;
 * - delete: DELETE; 404 means it was already lifted, which is what was asked.
 *
 * Pulumi serializes this object with everything it reaches into the state, and runs it in
 * its own process: it reaches only admin-api.ts and Node's globals (no closure over the
 * program, no SDK), and gets the token as an input (a secret), never from its surroundings.
 */
import { adminApiError, awaitMastodon, call, isAdminApiError, request, type AdminApi } from "./admin-api";

export const BLOCKS_PATH = "/api/v1/admin/domain_blocks";
export const ALLOWS_PATH = "/api/v1/admin/domain_allows";

/** The fields of a block members decide on (the spec's names). */
export const BLOCK_FIELDS = ["severity", "rejectMedia", "rejectReports", "publicComment", "privateComment", "obfuscate"] as const;

export interface BlockFields {
  readonly severity: "silence" | "suspend" | "noop";
  readonly rejectMedia: boolean;
  readonly rejectReports: boolean;
  readonly publicComment: string;
  readonly privateComment: string;
  readonly obfuscate: boolean;
}

export type FederationInputs =
  | ({ readonly kind: "block"; readonly url: string; readonly token: string; readonly domain: string } & BlockFields)
  | { readonly kind: "allow"; readonly url: string; readonly token: string; readonly domain: string };

/** Admin::DomainBlock as Mastodon answers it (the fields coop reads). */
interface BlockEntity {
  id: string;
  domain: string;
  severity: BlockFields["severity"];
  reject_media: boolean;
  reject_reports: boolean;
  private_comment: string | null;
  public_comment: string | null;
  obfuscate: boolean;
}

export function blockParams(b: BlockFields): Record<string, unknown> {
  return {
    severity: b.severity,
    reject_media: b.rejectMedia,
    reject_reports: b.rejectReports,
    private_comment: b.privateComment,
    public_comment: b.publicComment,
    obfuscate: b.obfuscate,
  };
}

/** What Mastodon holds, in the spec's names (a missing comment reads as empty, as the spec writes none). */
export function blockFieldsOf(e: BlockEntity): BlockFields & { domain: string } {
  return {
    domain: e.domain,
    severity: e.severity,
    rejectMedia: e.reject_media === true,
    rejectReports: e.reject_reports === true,
    publicComment: e.public_comment ?? "",
    privateComment: e.private_comment ?? "",
    obfuscate: e.obfuscate === true,
  };
}

function apiOf(i: { url: string; token: string }): AdminApi {
  return { url: i.url, token: i.token };
}

function outsOf(i: FederationInputs): Record<string, unknown> {
  return { ...i };
}

/** Which inputs differ, and which of them force a new object at Mastodon. */
export function federationDiff(olds: Record<string, unknown>, news: Record<string, unknown>): { changes: boolean; replaces: string[] } {
  const keys = ["kind", "url", "domain", "token", ...BLOCK_FIELDS];
  const changed = keys.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
  return { changes: changed.length > 0, replaces: changed.filter((k) => k === "kind" || k === "url" || k === "domain") };
}

async function createBlock(i: Extract<FederationInputs, { kind: "block" }>): Promise<string> {
  const api = apiOf(i);
  const a = await request(api, "POST", BLOCKS_PATH, { domain: i.domain, ...blockParams(i) });
  if (a.status >= 200 && a.status <= 299) return String((a.body as BlockEntity).id);
  const existing = a.status === 422 ? (a.body as { existing_domain_block?: BlockEntity } | null)?.existing_domain_block : undefined;
  if (!existing) throw adminApiError("POST", BLOCKS_PATH, a.status, a.body);
  if (existing.domain !== i.domain)
    throw new Error(
      `Mastodon refuses a block of ${i.domain}: the block of ${existing.domain} already covers it. ` +
        `Remove ${i.domain} from services.mastodon.federation.domainBlocks, or decide on ${existing.domain} instead.`,
    );
  await call(api, "PUT", `${BLOCKS_PATH}/${existing.id}`, blockParams(i));
  return String(existing.id);
}

export const federationProvider = {
  async create(inputs: FederationInputs): Promise<{ id: string; outs: Record<string, unknown> }> {
    await awaitMastodon(apiOf(inputs));
    if (inputs.kind === "block") return { id: await createBlock(inputs), outs: outsOf(inputs) };
    const body = (await call(apiOf(inputs), "POST", ALLOWS_PATH, { domain: inputs.domain })) as { id: string };
    return { id: String(body.id), outs: outsOf(inputs) };
  },

  async read(id: string, props: FederationInputs): Promise<{ id: string; props: Record<string, unknown> }> {
    const path = `${props.kind === "block" ? BLOCKS_PATH : ALLOWS_PATH}/${id}`;
    const a = await request(apiOf(props), "GET", path);
    if (a.status === 404) return { id: "", props: {} };
    if (a.status !== 200) throw adminApiError("GET", path, a.status, a.body);
    if (props.kind === "allow") return { id, props: { ...props, domain: (a.body as { domain: string }).domain } };
    return { id, props: { ...props, ...blockFieldsOf(a.body as BlockEntity) } };
  },

  async diff(
    _id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
    // Mastodon holds one block per domain: the old one goes before the new one comes.
    return { ...federationDiff(olds, news), deleteBeforeReplace: true };
  },

  async update(id: string, olds: FederationInputs, news: FederationInputs): Promise<{ outs: Record<string, unknown> }> {
    const fieldsChanged = federationDiff(olds as never, news as never).changes && news.kind === "block";
    if (news.kind === "block" && fieldsChanged && BLOCK_FIELDS.some((k) => (olds as never)[k] !== news[k])) {
      await awaitMastodon(apiOf(news));
      const path = `${BLOCKS_PATH}/${id}`;
      const a = await request(apiOf(news), "PUT", path, blockParams(news));
      if (a.status === 404)
        throw new Error(
          `the block of ${news.domain} was lifted at Mastodon by hand; run pulumi up --refresh to apply the decided block again`,
        );
      if (a.status < 200 || a.status > 299) throw adminApiError("PUT", path, a.status, a.body);
    }
    return { outs: outsOf(news) };
  },

  async delete(id: string, props: FederationInputs): Promise<void> {
    const path = `${props.kind === "block" ? BLOCKS_PATH : ALLOWS_PATH}/${id}`;
    try {
      await call(apiOf(props), "DELETE", path);
    } catch (e) {
      // Already lifted (by hand, or a run that stopped half-way): what was asked is true.
      if (isAdminApiError(e) && e.status === 404) return;
      throw e;
    }
  },
};
