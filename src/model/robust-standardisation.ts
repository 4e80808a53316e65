/**
 * Robust standardisation of the default (hand-set) model by the scored book's own feature
 * statistics: z = (x − median) / scale, scale = 1.4826 · MAD (the standard deviation of a
 * normal distribution with that MAD), bounded to ±zLimit.
 *
 * Why: the default model's own means and spreads are those of the demo book. On a book
 * whose customers log in, pay and complain ten times more or less often, every customer
 * sits several "demo standard deviations" away from the demo's mean and the model puts the
 * whole book into the critical tier. Standardised by the book's own median and MAD, a
 * weight reads as "log-odds per usual spread of this book", whatever its event rates: the
 * customers who stand out from their own book are the ones at risk.
 */
import { ABSOLUTE_SCALE_KEYS } from '../features/feature-catalog';
import type { LogisticModelSpec } from './logistic-model';

/** 1.4826 · MAD estimates the standard deviation of normal data (1 / Φ⁻¹(3/4)). */
export const MAD_TO_SD = 1.4826;
/** √(π/2) · mean absolute deviation estimates it too; used where more than half the book shares one value (MAD 0). */
export const MEAN_AD_TO_SD = 1.2533;
/** Below this a spread is taken as none: z is 0 at the median and bounded by zLimit elsewhere, never a division by 0. */
export const MIN_SCALE = 1e-9;

export interface FeatureStatistic {
  median: number;
  /** median absolute deviation from the median */
  mad: number;
  /** mean absolute deviation from the median */
  meanAbsDeviation: number;
  /** the spread z divides by (robustScale) */
  scale: number;
}

/** What a run stores (scoring_runs.feature_statistics) and every chunk and explanation of it uses. */
export interface RunFeatureStatistics {
  method: 'robust';
  /** customers the statistics were computed over (all alive at the run's as-of, or a sample of them) */
  customers: number;
  /** customers alive at the run's as-of */
  population: number;
  zLimit: number;
  features: Record<string, FeatureStatistic>;
}

/**
 * The spread of a feature: 1.4826 · MAD; where more than half the customers share the
 * median (MAD 0: a count that is 0 for most of the book), 1.2533 · mean absolute deviation,
 * which still measures how far the others are; never below MIN_SCALE.
 */
export function robustScale(mad: number, meanAbsDeviation: number): number {
  const fromMad = MAD_TO_SD * mad;
  if (fromMad >= MIN_SCALE) return fromMad;
  return Math.max(MEAN_AD_TO_SD * meanAbsDeviation, MIN_SCALE);
}

/**
 * The spec as a run scores it: each feature's mean and std replaced by the run's median and
 * scale, z bounded. Features on a scale of their own (survey scores, ABSOLUTE_SCALE_KEYS)
 * keep the spec's: the reason for robust standardisation, event rates that differ from
 * book to book, does not apply to a 0–10 answer, and their mean is the neutral value of a
 * customer without a response, whom they must leave exactly as scored without them (a
 * median would move whenever most of the book has answered).
 */
export function robustSpec(spec: LogisticModelSpec, stats: RunFeatureStatistics): LogisticModelSpec {
  return {
    intercept: spec.intercept,
    zLimit: stats.zLimit,
    features: spec.features.map((f) => {
      const s = ABSOLUTE_SCALE_KEYS.has(f.key) ? undefined : stats.features[f.key];
      // a feature the statistics lack (none should) keeps the spec's own standardisation
      return s ? { key: f.key, mean: s.median, std: s.scale, weight: f.weight } : f;
    }),
  };
}

/** percentile_cont(0.5) of sorted finite values, interpolated as Postgres does (a + (b − a) · 0.5). */
function medianOfSorted(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = (n - 1) * 0.5;
  const lo = Math.floor(pos);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, n - 1)] as number;
  return lo === pos ? a : a + (b - a) * (pos - lo);
}

/**
 * The same statistics in Node, over a row-major table (n × width, columns[key] the column
 * of each key): for model evaluation on labelled snapshots and for tests of the SQL.
 */
export function featureStatisticsOf(
  values: Float64Array,
  n: number,
  width: number,
  columns: Record<string, number>,
  zLimit: number,
): RunFeatureStatistics {
  const features: Record<string, FeatureStatistic> = {};
  for (const [key, j] of Object.entries(columns)) {
    const finite: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = values[i * width + j] as number;
      if (Number.isFinite(x)) finite.push(x);
    }
    const sorted = Float64Array.from(finite).sort();
    const median = medianOfSorted(sorted);
    const deviations = sorted.map((x) => Math.abs(x - median)).sort();
    const mad = medianOfSorted(deviations);
    let sum = 0;
    for (const d of deviations) sum += d;
    const meanAbsDeviation = deviations.length > 0 ? sum / deviations.length : 0;
    features[key] = { median, mad, meanAbsDeviation, scale: robustScale(mad, meanAbsDeviation) };
  }
  return { method: 'robust', customers: n, population: n, zLimit, features };
}

/** A float8 column's value when it is finite, else NULL (percentile_cont and avg skip NULLs; the scorer skips non-finite values). */
const finite = (x: string) => `CASE WHEN ${x} > '-Infinity'::float8 AND ${x} < 'Infinity'::float8 THEN ${x} END`;

/**
 * One statement over a feature query's parts (featureRowsSql): per key its median, the
 * median and the mean of the absolute deviations from that median, and the row count, as
 * columns n, med_<key>, mad_<key>, mad_mean_<key>. Two ordered-set aggregates per feature
 * over the materialised rows, so the features are computed once.
 */
export function featureStatisticsSql(parts: { ctes: string; rows: string }, keys: readonly string[]): string {
  const medians = keys.map((k) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${finite(`f.${k}`)}) AS med_${k}`).join(',\n    ');
  const deviations = keys
    .map((k) => {
      const d = `abs(${finite(`f.${k}`)} - m.med_${k})`;
      return `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${d}) AS mad_${k}, avg(${d}) AS mad_mean_${k}`;
    })
    .join(',\n    ');
  return `${parts.ctes},
f AS MATERIALIZED (${parts.rows}),
m AS (SELECT ${medians} FROM f)
SELECT count(*)::float8 AS n, ${keys.map((k) => `min(m.med_${k}) AS med_${k}`).join(', ')},
    ${deviations}
  FROM f CROSS JOIN m`;
}

/** Reads featureStatisticsSql()'s row (a book without customers gives zeros: every z is then 0). */
export function readFeatureStatistics(
  row: Record<string, number | string | null>,
  keys: readonly string[],
  population: number,
  zLimit: number,
): RunFeatureStatistics {
  const num = (v: number | string | null | undefined) => (v === null || v === undefined ? 0 : Number(v));
  const features: Record<string, FeatureStatistic> = {};
  for (const k of keys) {
    const mad = num(row[`mad_${k}`]);
    const meanAbsDeviation = num(row[`mad_mean_${k}`]);
    features[k] = { median: num(row[`med_${k}`]), mad, meanAbsDeviation, scale: robustScale(mad, meanAbsDeviation) };
  }
  return { method: 'robust', customers: num(row.n), population, zLimit, features };
}
