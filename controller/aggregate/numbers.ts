// Number formatting shared by the aggregator: milliseconds with 3 decimals, no -0.
export function roundMs(ms: number): number {
  const r = Math.round(ms * 1000) / 1000;
  return r === 0 ? 0 : r;
}

/** ns (CLOCK_MONOTONIC) between two instants, as ms with 3 decimals. */
export function nsToMs(fromNs: number, toNs: number): number {
  return roundMs((toNs - fromNs) / 1e6);
}

/** Total order for the sorts of the aggregator (strings by code unit, nulls first). */
export function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
