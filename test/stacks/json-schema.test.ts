import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SPEC_SCHEMA_FILE, renderSpecJsonSchema } from "../../stacks/json-schema";
import { REPO_ROOT } from "../helpers/repo";

type Schema = {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  const?: unknown;
};

/** Fields that name the co-op itself: a default would deploy someone else's identity. */
const NO_DEFAULT_ON_PURPOSE = new Set([
  // The co-op's own Matrix room: only inside alerts.matrix, which defaults to null (no Matrix).
  "alerts.matrix.homeserverUrl",
  "alerts.matrix.roomId",
  "coop",
  "coop.name",
  "domain",
  "host.target",
  "host.admins[].name",
  "host.admins[].sshPublicKey",
  "mailboxes[].localPart",
  "mailboxes[].name",
  // Which server to block: a default would block a server nobody named.
  "services.mastodon.federation.domainBlocks[].domain",
  // A placed host is a deliberate act (a server more to pay for): what it is called and what runs
  // on it are said in the spec, like a mailbox's owner.
  "placement.hosts[].name",
  "placement.hosts[].roles",
]);

function fields(s: Schema, path: string, out: Array<{ path: string; schema: Schema }>): void {
  for (const variant of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) fields(variant, path, out);
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    const p = path ? `${path}.${k}` : k;
    out.push({ path: p, schema: v });
    fields(v, p, out);
  }
  if (s.items) fields(s.items, `${path}[]`, out);
}

describe("the spec's JSON Schema", () => {
  it("is committed exactly as generated from the zod schema (run `npm run schema` after changing it)", () => {
    expect(readFileSync(join(REPO_ROOT, SPEC_SCHEMA_FILE), "utf8")).toBe(renderSpecJsonSchema());
  });

  const all: Array<{ path: string; schema: Schema }> = [];
  fields(JSON.parse(renderSpecJsonSchema()) as Schema, "", all);

  it("describes every field", () => {
    const undocumented = all.filter(({ schema }) => !schema.description && !schema.oneOf && schema.const === undefined).map((f) => f.path);
    expect(undocumented).toEqual([]);
  });

  it("gives every field a default, except those naming the co-op", () => {
    const missing = all
      .filter(({ path, schema }) => schema.default === undefined && schema.const === undefined && !NO_DEFAULT_ON_PURPOSE.has(path))
      .map((f) => f.path);
    expect(missing).toEqual([]);
  });

  it("is referenced by every bundled spec so editors autocomplete it", () => {
    const specs = readdirSync(join(REPO_ROOT, "stacks")).filter((f) => f.endsWith(".yaml"));
    expect(specs.length).toBeGreaterThanOrEqual(2);
    for (const f of specs) {
      expect(readFileSync(join(REPO_ROOT, "stacks", f), "utf8").split("\n")[0], f).toBe(
        "# yaml-language-server: $schema=./spec.schema.json",
      );
    }
  });
});
