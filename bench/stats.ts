/** Median and range of repeated measurements: what every row of the bench reports. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** The q-quantile (0..1) of values, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `2.41 (2.30–2.77)` with the given number of decimals; a single sample prints alone. */
export function formatSpread(s: Spread, decimals = 2): string {
  if (s.n === 0 || !Number.isFinite(s.median)) return '–';
  if (s.n === 1) return s.median.toFixed(decimals);
  return `${s.median.toFixed(decimals)} (${s.min.toFixed(decimals)}–${s.max.toFixed(decimals)})`;
}
