import { describe, expect, it } from 'vitest';
import { FEATURE_CATALOG, FEATURE_KEYS, type FeatureKey } from '../../src/features/feature-catalog';
import { describeDriver, formatNumber } from '../../src/features/feature-sentences';

/** A customer in decline (the numbers the sentences should show). */
const declining: Record<FeatureKey, number> = {
  activity_30d: 120,
  activity_prev_30d: 340,
  activity_ratio: 120 / 340,
  activity_30d_log: Math.log1p(120),
  days_since_activity: 23.4,
  activity_slope_12w: -12.345,
  activity_trend_12w: -0.0812,
  complaints_weighted_90d: 11,
  complaints_open: 2,
  oldest_open_complaint_days: 12.2,
  days_since_complaint: 4.9,
  mean_satisfaction: 2.125,
  spend_90d: 1200,
  spend_prev_90d: 1940,
  spend_change_90d: 1200 / 1940 - 1,
  days_since_payment: 45.5,
  refund_share_180d: 0.25,
  spend_slope_12w: -120.4,
  spend_trend_12w: -0.05,
  tenure_days: 1000,
  days_to_renewal: 14.2,
  monthly_revenue: 12500.5,
  monthly_revenue_log: Math.log1p(12500.5),
  nps_latest: 3,
  nps_change: -6,
  nps_detractor: 1,
  csat_mean_90d: 32 / 15,
  days_since_survey: 12.4,
  nps_responses_365d: 2,
  csat_responses_90d: 3,
};

/** What a customer without any signal gets (the catalog's missing values). */
const empty: Record<FeatureKey, number> = {
  ...Object.fromEntries(FEATURE_KEYS.map((k) => [k, 0])),
  activity_ratio: 1,
  days_since_activity: 100,
  days_since_complaint: 365,
  mean_satisfaction: 3,
  days_since_payment: 100,
  tenure_days: 100,
  days_to_renewal: 365,
  nps_latest: 7.5,
  csat_mean_90d: 3,
  days_since_survey: 365,
} as Record<FeatureKey, number>;

describe('describeDriver', () => {
  it.each<[FeatureKey, string]>([
    ['activity_ratio', 'activity down 65 % vs the previous 30 days (120 vs 340)'],
    ['activity_30d', 'activity of 120 in the last 30 days (previous 30 days: 340)'],
    ['activity_30d_log', 'activity of 120 in the last 30 days (previous 30 days: 340)'],
    ['days_since_activity', 'no activity for 23 days'],
    ['activity_slope_12w', 'activity trending down by 12 a week over the last 12 weeks'],
    ['activity_trend_12w', 'activity falling by 8 % of its weekly average each week over the last 12 weeks'],
    ['complaints_open', '2 complaints open, the oldest for 12 days'],
    ['oldest_open_complaint_days', '2 complaints open, the oldest for 12 days'],
    ['days_since_complaint', 'last complaint 5 days ago'],
    ['mean_satisfaction', 'average satisfaction 2.1 of 5'],
    ['spend_change_90d', 'spend down 38 % quarter on quarter (1,200 vs 1,940)'],
    ['spend_90d', 'payments of 1,200 in the last 90 days (previous 90 days: 1,940)'],
    ['days_since_payment', 'no payment for 46 days'],
    ['refund_share_180d', 'refunds worth 25 % of payments over the last 180 days'],
    ['spend_slope_12w', 'payments trending down by 120 a week over the last 12 weeks'],
    ['tenure_days', 'customer for 2.7 years'],
    ['days_to_renewal', 'renewal in 14 days'],
    ['monthly_revenue', 'monthly revenue 12,501'],
    ['monthly_revenue_log', 'monthly revenue 12,501'],
    ['nps_change', 'NPS fell from 9 to 3 in the last survey'],
    ['nps_latest', 'latest NPS 3 of 10 (a detractor)'],
    ['nps_detractor', 'a detractor: NPS 3 in the last survey (0–6 are detractors)'],
    ['csat_mean_90d', 'CSAT averaged 2.1 over the last 90 days (3 responses)'],
    ['days_since_survey', 'no survey response for 12 days'],
    ['nps_responses_365d', '2 NPS responses in the last year'],
    ['csat_responses_90d', '3 CSAT responses in the last 90 days'],
  ])('%s: %s', (key, sentence) => {
    expect(describeDriver(key, declining)).toBe(sentence);
  });

  it('says what the missing values mean for a customer without signals', () => {
    expect(describeDriver('activity_ratio', empty)).toBe('no activity in the last 60 days');
    expect(describeDriver('activity_30d', empty)).toBe('no activity in the last 30 days');
    expect(describeDriver('complaints_open', empty)).toBe('no open complaints');
    expect(describeDriver('days_since_complaint', empty)).toBe('no complaint in the last year');
    expect(describeDriver('spend_change_90d', empty)).toBe('no payments in the last 180 days');
    expect(describeDriver('refund_share_180d', empty)).toBe('no refunds in the last 180 days');
    expect(describeDriver('activity_slope_12w', empty)).toBe('activity flat over the last 12 weeks');
    expect(describeDriver('days_to_renewal', empty)).toBe('no renewal due within a year');
    expect(describeDriver('tenure_days', empty)).toBe('customer for 3 months');
    // Without a response the neutral values (7.5, 3) must not read as answers.
    for (const key of ['nps_latest', 'nps_change', 'nps_detractor', 'nps_responses_365d'] as const)
      expect(describeDriver(key, empty)).toBe('no NPS response in the last year');
    expect(describeDriver('csat_mean_90d', empty)).toBe('no CSAT response in the last 90 days');
    expect(describeDriver('days_since_survey', empty)).toBe('no survey response for over a year');
  });

  it('tells a rise, no change and a single response apart in the NPS sentences', () => {
    const one = { ...declining, nps_latest: 9, nps_change: 0, nps_detractor: 0, nps_responses_365d: 1 };
    expect(describeDriver('nps_change', one)).toBe('NPS 9 in the only survey of the last year');
    expect(describeDriver('nps_latest', one)).toBe('latest NPS 9 of 10 (a promoter)');
    expect(describeDriver('nps_detractor', one)).toBe('not a detractor: NPS 9 in the last survey');
    expect(describeDriver('nps_change', { ...one, nps_responses_365d: 4, nps_change: 2 })).toBe('NPS rose from 7 to 9 in the last survey');
    expect(describeDriver('nps_change', { ...one, nps_latest: 7, nps_responses_365d: 4 })).toBe('NPS unchanged at 7 in the last survey');
    expect(describeDriver('nps_latest', { ...one, nps_latest: 8 })).toBe('latest NPS 8 of 10 (a passive)');
    expect(describeDriver('csat_mean_90d', { ...declining, csat_mean_90d: 4, csat_responses_90d: 1 })).toBe(
      'CSAT 4 of 5 in the only response of the last 90 days',
    );
    expect(describeDriver('days_since_survey', { ...declining, days_since_survey: 0.5 })).toBe('last survey response less than a day ago');
  });

  it('handles caps, growth from nothing, singulars and the edges of rounding', () => {
    const f = { ...declining, activity_prev_30d: 0, activity_30d: 9, spend_prev_90d: 0, spend_90d: 10 };
    expect(describeDriver('activity_ratio', f)).toBe('activity up from none to 9 in the last 30 days');
    expect(describeDriver('spend_change_90d', f)).toBe('spend up from none to 10 this quarter');
    expect(describeDriver('activity_ratio', { ...declining, activity_30d: 340 })).toBe(
      'activity unchanged vs the previous 30 days (340 vs 340)',
    );
    expect(describeDriver('complaints_open', { ...declining, complaints_open: 1, oldest_open_complaint_days: 1 })).toBe(
      '1 complaint open for 1 day',
    );
    expect(describeDriver('complaints_open', { ...declining, oldest_open_complaint_days: 365 })).toBe(
      '2 complaints open, the oldest for over a year',
    );
    expect(describeDriver('days_since_activity', { ...declining, days_since_activity: 365 })).toBe('no activity for over a year');
    expect(describeDriver('days_since_payment', { ...declining, days_since_payment: 0.2 })).toBe('last payment less than a day ago');
    expect(describeDriver('days_to_renewal', { ...declining, days_to_renewal: 0.3 })).toBe('renewal due today');
    expect(describeDriver('tenure_days', { ...declining, tenure_days: 200 })).toBe('customer for 7 months');
    expect(describeDriver('activity_slope_12w', { ...declining, activity_slope_12w: 0.04 })).toBe('activity flat over the last 12 weeks');
    expect(describeDriver('activity_trend_12w', { ...declining, activity_trend_12w: 0.2 })).toBe(
      'activity rising by 20 % of its weekly average each week over the last 12 weeks',
    );
  });

  it('has a sentence for every key, with no NaN or Infinity even for odd input', () => {
    const odd = Object.fromEntries(FEATURE_KEYS.map((k, i) => [k, [NaN, Infinity, -Infinity][i % 3]])) as Record<FeatureKey, number>;
    for (const key of FEATURE_KEYS) {
      for (const f of [declining, empty, odd, {} as Record<FeatureKey, number>]) {
        const s = describeDriver(key, f);
        expect(s.length, key).toBeGreaterThan(10);
        expect(s, key).not.toMatch(/NaN|Infinity|undefined|null|-0\b/);
      }
      expect(FEATURE_CATALOG[key].missing.length, key).toBeGreaterThan(0);
    }
  });

  it('formats numbers for people', () => {
    expect(formatNumber(1234567.8)).toBe('1,234,568');
    expect(formatNumber(2.125)).toBe('2.1');
    expect(formatNumber(-0.01)).toBe('0');
    expect(formatNumber(-12.5)).toBe('-13');
    expect(formatNumber(NaN)).toBe('0');
  });
});
