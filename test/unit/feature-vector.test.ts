import { describe, expect, it } from 'vitest';
import { FEATURE_KEYS } from '../../src/features/feature-catalog';
import { unpackFeatures } from '../../src/features/feature-vector';

describe('stored feature vectors', () => {
  it('are read by position, so the catalogue only ever grows at its end', () => {
    // Scores stored by earlier versions hold their features in this order. Reordering or
    // removing a key would make every stored score read another feature's number: add new
    // keys after these, and keep a retired key's slot.
    expect(FEATURE_KEYS.slice(0, 23)).toEqual([
      'activity_30d',
      'activity_prev_30d',
      'activity_ratio',
      'activity_30d_log',
      'days_since_activity',
      'activity_slope_12w',
      'activity_trend_12w',
      'complaints_weighted_90d',
      'complaints_open',
      'oldest_open_complaint_days',
      'days_since_complaint',
      'mean_satisfaction',
      'spend_90d',
      'spend_prev_90d',
      'spend_change_90d',
      'days_since_payment',
      'refund_share_180d',
      'spend_slope_12w',
      'spend_trend_12w',
      'tenure_days',
      'days_to_renewal',
      'monthly_revenue',
      'monthly_revenue_log',
    ]);
  });

  it('read big-endian float8s by key', () => {
    const bytes = Buffer.alloc(8 * FEATURE_KEYS.length);
    FEATURE_KEYS.forEach((_, i) => bytes.writeDoubleBE(i / 4 - 1, 8 * i));
    const record = unpackFeatures(bytes);
    expect(record.activity_30d).toBe(-1);
    expect(record.complaints_open).toBe(1);
    expect(record.monthly_revenue_log).toBe(22 / 4 - 1);
  });
});
