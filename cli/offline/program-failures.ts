/**
 * Failures the program raises while it declares the stack, outside any await of ours.
 */

/**
 * Collects the failures the program raises outside any await of ours (a check inside an apply
 * rejects a promise nobody holds). Such a failure may leave the SDK's RPC queue waiting forever,
 * so `firstFailure` settles at the first one: whoever waits on the queue races it.
 */
export function trapProgramFailures(failures: unknown[]): { firstFailure: Promise<void>; release(): void } {
  let failed: () => void = () => undefined;
  const firstFailure = new Promise<void>((resolve) => (failed = resolve));
  const onRejection = (e: unknown) => {
    failures.push(e);
    failed();
  };
  process.on("unhandledRejection", onRejection);
  return { firstFailure, release: () => void process.off("unhandledRejection", onRejection) };
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
