/** Score distributions of runs and the population stability index between two of them. */

export const HISTOGRAM_BINS = 20;

export interface ScoreDistribution {
  bins: number;
  /** Customers per equal-width probability bin [k/bins, (k+1)/bins). */
  counts: number[];
  count: number;
  mean: number;
  /** Customers per tier name ("none" below every tier). */
  tiers: Record<string, number>;
}

export function histogram(probabilities: ArrayLike<number>, bins = HISTOGRAM_BINS): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < probabilities.length; i++) {
    const k = Math.min(bins - 1, Math.floor((probabilities[i] as number) * bins));
    counts[k] = (counts[k] as number) + 1;
  }
  return counts;
}

/** Adds histograms bin by bin. */
export function sumCounts(parts: number[][], bins = HISTOGRAM_BINS): number[] {
  const total = new Array<number>(bins).fill(0);
  for (const part of parts) part.forEach((c, k) => (total[k] = (total[k] as number) + c));
  return total;
}

/**
 * Population stability index Σ (a − e)·ln(a / e) over bin shares, with empty bins
 * floored at a small share so one empty bin does not make it infinite. Rules of thumb:
 * < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.
 */
export function psi(expected: readonly number[], actual: readonly number[]): number | null {
  const e = expected.reduce((s, c) => s + c, 0);
  const a = actual.reduce((s, c) => s + c, 0);
  if (e === 0 || a === 0 || expected.length !== actual.length) return null;
  const floor = 1e-4;
  let sum = 0;
  for (let k = 0; k < expected.length; k++) {
    const pe = Math.max(floor, (expected[k] as number) / e);
    const pa = Math.max(floor, (actual[k] as number) / a);
    sum += (pa - pe) * Math.log(pa / pe);
  }
  return sum;
}
