import { describe, expect, it } from 'vitest';
import { customerValue } from '../../src/alerts/customer-value';
import { FEATURE_INDEX, FEATURE_KEYS } from '../../src/features/feature-catalog';

/** Two customers' feature rows with only revenue and payments set. */
function rows(customers: Array<{ revenue: number; payments90d: number }>): Float64Array {
  const values = new Float64Array(customers.length * FEATURE_KEYS.length);
  customers.forEach((c, i) => {
    values[i * FEATURE_KEYS.length + FEATURE_INDEX.monthly_revenue] = c.revenue;
    values[i * FEATURE_KEYS.length + FEATURE_INDEX.spend_90d] = c.payments90d;
  });
  return values;
}

describe('customer value (value at risk = probability × value)', () => {
  const book = rows([
    { revenue: 1000, payments90d: 2700 },
    { revenue: 50, payments90d: 0 },
  ]);

  it('annualRevenue: 12 × monthly revenue', () => {
    expect(customerValue(book, 0, { basis: 'annualRevenue', lifetimeYears: 3 })).toBe(12_000);
    expect(customerValue(book, 1, { basis: 'annualRevenue', lifetimeYears: 3 })).toBe(600);
  });

  it('clv: mean payment × payments a year × lifetime, i.e. 90 days of payments × 4 × years', () => {
    // 3 payments of 900 in 90 days: 900 × 12 a year × 3 years = 32,400
    expect(customerValue(book, 0, { basis: 'clv', lifetimeYears: 3 })).toBe(32_400);
    // no payments: nothing to lose
    expect(customerValue(book, 1, { basis: 'clv', lifetimeYears: 3 })).toBe(0);
  });
});
