/**
 * Areas of change with their own process in the bylaws, recognised from the change itself: a
 * decision falls in an area only if every resource it creates, changes or deletes belongs to
 * it. Anything else in the same decision makes it an infrastructure change, judged by the
 * co-op's general process — so nothing can be slipped past the members inside a working
 * group's decision.
 *
 * federation: the resources of the Mastodon federation component (coop:mastodon:Federation),
 * the servers Mastodon blocks, limits or allows.
 */
import type { ChangeRecord } from "./change-records";
import type { ChangeArea } from "../records/rules";

const AREAS: Record<ChangeArea, (urn: string) => boolean> = {
  federation: (urn) => /::coop:mastodon:Federation\$/.test(urn) || /\$coop:mastodon:Federation\$/.test(urn),
};

/** The area every change falls in, or undefined (an infrastructure change, or no change). */
export function areaOf(changes: readonly ChangeRecord[]): ChangeArea | undefined {
  if (changes.length === 0) return undefined;
  for (const [area, within] of Object.entries(AREAS) as Array<[ChangeArea, (urn: string) => boolean]>) {
    if (changes.every((c) => within(c.urn))) return area;
  }
  return undefined;
}
