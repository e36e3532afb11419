/**
 * A scratch co-op whose record spans two years (2026 and 2027), for `coop site` and `coop
 * report`: a founding and a first state in February 2026, a voted bigger server in March, an
 * emergency in September ratified five days later, one in December 2026 ratified after its
 * deadline, a change decided by a general assembly in January 2027, a standing decision for
 * patch upgrades in February and a routine patch upgrade under it in March, and an emergency in
 * May 2027 still awaiting ratification. Titles and reasons carry markup, as an insider could write them.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LedgerFixture } from "../helpers/ledger";

export const HOSTILE_TITLE = `<script>alert("title")</script> A bigger server & more`;
export const HOSTILE_REASON = `the disk filled up <img src=x onerror=alert(1)>`;

export interface TwoYears {
  readonly f: LedgerFixture;
  readonly ids: {
    readonly bigger: string;
    readonly e1: string;
    readonly ratify1: string;
    readonly e2: string;
    readonly ratify2: string;
    readonly back: string;
    readonly standing: string;
    readonly routine: string;
    readonly e3: string;
  };
  /** The clock the tests verify at: 2027-06-01, when e3 is pending but not overdue. */
  readonly at: string;
}

export function twoYearLedger(spec = "coop:\n  name: River Co-op\n"): TwoYears {
  const f = LedgerFixture.create(["prod"]);
  writeFileSync(join(f.root, "stacks", "prod.yaml"), spec);
  const w = (d: Parameters<LedgerFixture["write"]>[0]) => f.write(d).id;
  const bigger = w(
    f.vote("prod", f.lock("prod", "0", { serverType: "cx43" }), {
      recordedAt: "2026-03-10T12:00:00.000Z",
      poll: { poll: { title: HOSTILE_TITLE } },
    }),
  );
  const e1 = w(
    f.emergency("prod", f.lock("prod", "0", { serverType: "cx53" }), HOSTILE_REASON, { recordedAt: "2026-09-01T10:00:00.000Z" }),
  );
  const ratify1 = w(f.vote("prod", f.head("prod").lock, { recordedAt: "2026-09-06T10:00:00.000Z", ratifies: [e1] }));
  const e2 = w(
    f.emergency("prod", f.lock("prod", "0", { serverType: "cx53", mastodon: "v4.6.4" }), "a Mastodon security release", {
      recordedAt: "2026-12-01T10:00:00.000Z",
    }),
  );
  const ratify2 = w(f.vote("prod", f.head("prod").lock, { recordedAt: "2026-12-20T10:00:00.000Z", ratifies: [e2] }));
  const back = w(
    f.vote("prod", f.lock("prod", "0", { serverType: "cx43", mastodon: "v4.6.4" }), {
      recordedAt: "2027-01-10T12:00:00.000Z",
      meeting: { decidedOn: "2027-01-09" },
    }),
  );
  const standing = w(f.standing({ classes: ["image-patch"], stacks: ["*"], until: null }, { recordedAt: "2027-02-01T12:00:00.000Z" }));
  const routine = w(
    f.routine("prod", f.lock("prod", "0", { serverType: "cx43", mastodon: "v4.6.5" }), standing, {
      recordedAt: "2027-03-01T12:00:00.000Z",
    }),
  );
  const e3 = w(
    f.emergency("prod", f.lock("prod", "0", { serverType: "cx43", mastodon: "v4.6.6" }), "another Mastodon security release", {
      recordedAt: "2027-05-25T10:00:00.000Z",
    }),
  );
  return { f, ids: { bigger, e1, ratify1, e2, ratify2, back, standing, routine, e3 }, at: "2027-06-01T00:00:00.000Z" };
}
