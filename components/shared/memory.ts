/**
 * Splitting a service's memory (stacks/catalog.ts serviceMemoryMb) among its containers: each gets
 * what it needs, and a share of anything beyond in proportion to that, so a bigger server gives
 * every part more room and the parts never add up to more than the service's share.
 */
export function splitMemory<K extends string>(budgetMb: number, needsMb: Readonly<Record<K, number>>): Record<K, number> {
  const parts = Object.entries(needsMb) as Array<[K, number]>;
  const needed = parts.reduce((sum, [, mb]) => sum + mb, 0);
  if (!Number.isInteger(budgetMb) || budgetMb < needed) {
    throw new Error(
      `internal: ${budgetMb} MB is less than the ${needed} MB the containers need (the spec's memory check should have refused this)`,
    );
  }
  return Object.fromEntries(parts.map(([k, mb]) => [k, Math.floor((mb * budgetMb) / needed)])) as Record<K, number>;
}
