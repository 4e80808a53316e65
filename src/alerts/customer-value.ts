import type { AlertsConfig } from '../config/alerting-config.schema';
import { FEATURE_INDEX, FEATURE_KEYS, type FeatureKey } from '../features/feature-catalog';
import { float8Literal } from '../database/sql-literals';

const WIDTH = FEATURE_KEYS.length;

/**
 * What a customer is worth, in the book's currency, for value at risk (probability ×
 * value) and expected savings. annualRevenue: 12 × monthly revenue. clv: mean payment ×
 * payments a year × expected lifetime; mean × count is the sum, so the last 90 days'
 * payments × 4 × lifetimeYears.
 */
export function customerValue(values: Float64Array, row: number, config: AlertsConfig['value']): number {
  if (config.basis === 'clv') return (values[row * WIDTH + FEATURE_INDEX.spend_90d] as number) * 4 * config.lifetimeYears;
  return 12 * (values[row * WIDTH + FEATURE_INDEX.monthly_revenue] as number);
}

/** customerValue() as a SQL expression over feature columns named by key (same operations, same order). */
export function customerValueSql(config: AlertsConfig['value'], column: (key: FeatureKey) => string): string {
  if (config.basis === 'clv') return `(${column('spend_90d')} * 4 * ${float8Literal(config.lifetimeYears)})`;
  return `(12 * ${column('monthly_revenue')})`;
}
