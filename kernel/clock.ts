/**
 * The time every check and every record uses. No environment variable, flag or file can set it:
 * the only override is `setClockForTests`, a function that code in the same process must call,
 * so `coop verify`, `coop gate` and the policy pack always judge by the machine's clock. The test
 * suite calls it in-process (test/helpers/clock.ts); scripts that must write records at a fixed
 * instant (the bundled example ledger) pass their instant explicitly instead.
 */
let override: (() => Date) | undefined;

export function now(): Date {
  return override ? override() : new Date();
}

export function nowIso(): string {
  return now().toISOString();
}

/** For tests only: fixes the clock (undefined restores the machine's). */
export function setClockForTests(at: Date | string | undefined): void {
  if (at === undefined) {
    override = undefined;
    return;
  }
  const t = typeof at === "string" ? new Date(at) : at;
  if (Number.isNaN(t.getTime())) throw new Error(`setClockForTests: not a time: ${String(at)}`);
  override = () => new Date(t.getTime());
}
