/**
 * Areas of change with their own process in the bylaws, recognised from the change itself: a
 * decision falls in an area only if every resource it creates, changes or deletes belongs to
 * it, and every changed value is one the area decides. Anything else in the same decision
 * makes it an infrastructure change, judged by the co-op's general process — so nothing can be
 * slipped past the members inside a working group's decision.
 *
 * federation: the domain blocks and allows of Mastodon (components/mastodon/federation/): a
 * resource of type pulumi-nodejs:dynamic:Resource whose parent is the coop:mastodon:Federation
 * component. A block's decided fields may change; where it is applied (`url`, `kind`) may not:
 * pointing the blocks (and the admin token) at another server is an infrastructure change.
 */
import type { ChangeRecord } from "./change-records";
import type { ChangeArea } from "../records/rules";

const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";
const FEDERATION_COMPONENT = "coop:mastodon:Federation";
/** The inputs of a block or allow members decide on (stacks/federation.ts); `token` is masked in every lock. */
const FEDERATION_FIELDS = ["domain", "severity", "rejectMedia", "rejectReports", "publicComment", "privateComment", "obfuscate"];

/** The chain of types in a URN (`urn:pulumi:<stack>::<project>::<parent$…$type>::<name>`). */
function typeChain(urn: string): string[] {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts[2].split("$") : [];
}

interface Area {
  readonly resource: (urn: string) => boolean;
  /** Whether an update's changed path stays within what the area decides. */
  readonly path: (path: string) => boolean;
}

const AREAS: Record<ChangeArea, Area> = {
  federation: {
    resource: (urn) => {
      const chain = typeChain(urn);
      return chain.at(-1) === DYNAMIC_TYPE && chain.at(-2) === FEDERATION_COMPONENT;
    },
    path: (path) => FEDERATION_FIELDS.includes(path.split(/[.[]/)[0]),
  },
};

function within(area: Area, c: ChangeRecord): boolean {
  if (!area.resource(c.urn)) return false;
  return c.op !== "update" || (c.paths ?? []).every((p) => area.path(p.path));
}

/** The area every change falls in, or undefined (an infrastructure change, or no change). */
export function areaOf(changes: readonly ChangeRecord[]): ChangeArea | undefined {
  if (changes.length === 0) return undefined;
  for (const [name, area] of Object.entries(AREAS) as Array<[ChangeArea, Area]>) {
    if (changes.every((c) => within(area, c))) return name;
  }
  return undefined;
}
