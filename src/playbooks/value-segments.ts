import type { PlaybooksConfig, ValueSegment } from '../config/alerting-config.schema';

type ValueSegmentsConfig = PlaybooksConfig['valueSegments'];

/** Monthly revenue cut-offs: at or above `high` a customer is high value, at or above `mid` mid value. */
export interface ValueBands {
  high: number;
  mid: number;
}

/**
 * Value segment of a customer. Cut-offs are inclusive ("at and above", as the config says),
 * so a customer exactly at the 80th percentile is high value.
 */
export function valueSegmentOf(monthlyRevenue: number, bands: ValueBands): ValueSegment {
  if (monthlyRevenue >= bands.high) return 'high';
  if (monthlyRevenue >= bands.mid) return 'mid';
  return 'low';
}

/**
 * The query that turns percentile settings into monthly revenue bands, or null when the
 * config already holds fixed bands (use fixedBands then). Percentiles are taken over
 * active customers only: churned ones no longer belong to the book being protected.
 *
 * The row is `{ high, mid }`; both are null when there is no active customer (see
 * bandsFromRow). monthly_revenue is cast to float8 because percentile_cont interpolates
 * only over double precision and interval.
 */
export function valueBandsSql(config: ValueSegmentsConfig): { sql: string; params: unknown[] } | null {
  if (config.basis === 'bands') return null;
  const sql =
    'SELECT percentile_cont($1::float8) WITHIN GROUP (ORDER BY monthly_revenue::float8) AS high, ' +
    'percentile_cont($2::float8) WITHIN GROUP (ORDER BY monthly_revenue::float8) AS mid ' +
    "FROM customers WHERE status = 'active'";
  return { sql, params: [config.high, config.mid] };
}

/**
 * Bands from a valueBandsSql row; null when the book has no active customer (the
 * percentiles are null), so the caller decides rather than every customer silently
 * becoming high value against 0/0 bands. Accepts strings because a driver may return
 * numeric columns as text.
 */
export function bandsFromRow(row: { high: string | number | null; mid: string | number | null } | undefined): ValueBands | null {
  if (!row || row.high === null || row.mid === null) return null;
  const high = Number(row.high);
  const mid = Number(row.mid);
  return Number.isFinite(high) && Number.isFinite(mid) ? { high, mid } : null;
}

/**
 * Bands of a `basis: bands` config: its numbers already are monthly revenues. Throws for
 * a percentile config, whose 0..1 numbers read as revenues would make nearly everyone
 * high value.
 */
export function fixedBands(config: ValueSegmentsConfig): ValueBands {
  if (config.basis !== 'bands') throw new Error(`fixedBands needs basis "bands", got "${config.basis}"`);
  return { high: config.high, mid: config.mid };
}
