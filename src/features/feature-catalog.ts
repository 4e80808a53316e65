/**
 * The point-in-time churn features: their keys (the column order of every FeatureBatch),
 * what each one means and which value it takes when the data behind it is missing.
 *
 * Every feature of a customer "as of T" uses only signals timed at or before T: activity
 * occurred_at, complaint opened_at (a resolution counts only when resolved_at ≤ T), spend
 * occurred_at. Windows are half-open at the old end: "(T−30d, T]" holds an event at exactly
 * T but not one at exactly T−30d, which belongs to the previous window. Days are 24 h,
 * durations are fractional days. Missing values are finite numbers, never NaN, so a model
 * can use every feature of every customer.
 */

export const FEATURE_KEYS = [
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
] as const;

export type FeatureKey = (typeof FEATURE_KEYS)[number];

/** Column of each key in a FeatureBatch row. */
export const FEATURE_INDEX: Readonly<Record<FeatureKey, number>> = Object.fromEntries(FEATURE_KEYS.map((k, i) => [k, i])) as Record<
  FeatureKey,
  number
>;

/** Complaint weights by severity: a critical complaint says far more about churn than a low one. */
export const SEVERITY_WEIGHTS = { low: 1, medium: 2, high: 3, critical: 5 } as const;

/** Cap of every "days since …" feature: beyond a year, "long ago" is all a model needs to know. */
export const MAX_DAYS = 365;
/** activity_ratio when the previous 30 days had no activity but the last 30 did ("3× or more"). */
export const ACTIVITY_RATIO_CAP = 3;
/** spend_change_90d cap when the previous quarter had no payments but this one did (+100 %). */
export const SPEND_CHANGE_CAP = 1;
/** mean_satisfaction without any rated resolved complaint: the middle of the 1..5 scale. */
export const NEUTRAL_SATISFACTION = 3;
/** days_to_renewal without a renewal date: as far away as an annual renewal can be. */
export const NO_RENEWAL_DAYS = 365;

export interface FeatureInfo {
  label: string;
  description: string;
  missing: string;
}

const SLOPE =
  'least-squares slope of the 12 weekly totals in (T−84d, T] (week 0 the oldest, weeks without events count as 0), ' +
  'per week; computed in closed form as Σ (w − 5.5)·x / 143';
const TREND =
  'the 12-week slope divided by the mean weekly total of the same 12 weeks: the weekly change as a share of the ' +
  'usual level, comparable between small and large customers (always within ±6/13)';

export const FEATURE_CATALOG: Readonly<Record<FeatureKey, FeatureInfo>> = {
  activity_30d: {
    label: 'Activity, last 30 days',
    description: 'sum of activity quantities (logins, report views, API calls) in (T−30d, T]',
    missing: '0',
  },
  activity_prev_30d: {
    label: 'Activity, previous 30 days',
    description: 'sum of activity quantities in (T−60d, T−30d]',
    missing: '0',
  },
  activity_ratio: {
    label: 'Activity ratio, 30 days on 30 days',
    description: `activity_30d / activity_prev_30d, capped at ${ACTIVITY_RATIO_CAP}`,
    missing: `1 when both windows are empty (no change); ${ACTIVITY_RATIO_CAP} (the cap) when only the previous one is`,
  },
  activity_30d_log: {
    label: 'Activity, last 30 days (log)',
    description:
      'ln(1 + activity_30d): activity volumes are heavy-tailed (a few API users log thousands), ' +
      'so a logistic model fits the log far better than the raw count',
    missing: '0',
  },
  days_since_activity: {
    label: 'Days since last activity',
    description: `days from the newest activity event at or before T to T, capped at ${MAX_DAYS}`,
    missing: `tenure_days capped at ${MAX_DAYS} (no activity since signup)`,
  },
  activity_slope_12w: {
    label: 'Activity trend, 12 weeks',
    description: `${SLOPE}; in activity units per week`,
    missing: '0 (no activity in 12 weeks: flat)',
  },
  activity_trend_12w: {
    label: 'Relative activity trend, 12 weeks',
    description: TREND,
    missing: '0 (no activity in 12 weeks)',
  },
  complaints_weighted_90d: {
    label: 'Complaints, last 90 days (severity-weighted)',
    description: `complaints opened in (T−90d, T], weighted low ${SEVERITY_WEIGHTS.low}, medium ${SEVERITY_WEIGHTS.medium}, high ${SEVERITY_WEIGHTS.high}, critical ${SEVERITY_WEIGHTS.critical}`,
    missing: '0',
  },
  complaints_open: {
    label: 'Open complaints',
    description: 'complaints opened at or before T and not resolved by T (one resolved after T was open at T)',
    missing: '0',
  },
  oldest_open_complaint_days: {
    label: 'Age of the oldest open complaint',
    description: `days from the opening of the oldest complaint open at T to T, capped at ${MAX_DAYS}`,
    missing: '0 (no open complaint)',
  },
  days_since_complaint: {
    label: 'Days since last complaint',
    description: `days from the newest complaint opened at or before T to T, capped at ${MAX_DAYS}`,
    missing: `${MAX_DAYS} (the cap: never having complained is good news, unlike never being active)`,
  },
  mean_satisfaction: {
    label: 'Mean satisfaction',
    description: 'mean satisfaction (1..5) of all complaints resolved at or before T that carry a rating',
    missing: `${NEUTRAL_SATISFACTION} (neutral, the middle of the scale)`,
  },
  spend_90d: {
    label: 'Payments, last 90 days',
    description: 'sum of payment amounts in (T−90d, T] (invoices and refunds not included)',
    missing: '0',
  },
  spend_prev_90d: {
    label: 'Payments, previous 90 days',
    description: 'sum of payment amounts in (T−180d, T−90d]',
    missing: '0',
  },
  spend_change_90d: {
    label: 'Payment change, quarter on quarter',
    description: `(spend_90d − spend_prev_90d) / spend_prev_90d, within [−1, ${SPEND_CHANGE_CAP}]`,
    missing: `0 when both quarters are empty; ${SPEND_CHANGE_CAP} (the cap) when only the previous one is`,
  },
  days_since_payment: {
    label: 'Days since last payment',
    description: `days from the newest payment at or before T to T, capped at ${MAX_DAYS}`,
    missing: `tenure_days capped at ${MAX_DAYS} (no payment since signup)`,
  },
  refund_share_180d: {
    label: 'Refund share, 180 days',
    description: 'refund amounts / payment amounts in (T−180d, T], within [0, 1]',
    missing: '0 when there is no payment in the window',
  },
  spend_slope_12w: {
    label: 'Payment trend, 12 weeks',
    description: `${SLOPE}; over payment amounts, in currency per week`,
    missing: '0 (no payment in 12 weeks: flat)',
  },
  spend_trend_12w: {
    label: 'Relative payment trend, 12 weeks',
    description: `${TREND}; over payment amounts`,
    missing: '0 (no payment in 12 weeks)',
  },
  tenure_days: {
    label: 'Tenure',
    description: 'days from signup_at to T (customers not signed up at T are not scored)',
    missing: 'never missing',
  },
  days_to_renewal: {
    label: 'Days to renewal',
    description:
      'days from T to the next renewal, within [0, 366): renewal_at moved by whole calendar years to the first ' +
      'anniversary after T. customers.renewal_at holds only the current renewal date, so without this a snapshot in ' +
      'the past would see a renewal years away (or, for a churned customer, the one after its churn: a leak), and a ' +
      'stale past date would give a negative number; annual terms are assumed',
    missing: `${NO_RENEWAL_DAYS} when renewal_at is null`,
  },
  monthly_revenue: {
    label: 'Monthly revenue',
    description: 'customers.monthly_revenue (the current value: the schema keeps no history of it)',
    missing: 'never missing',
  },
  monthly_revenue_log: {
    label: 'Monthly revenue (log)',
    description: 'ln(1 + monthly_revenue): revenue is log-normal across segments, the log suits a logistic model',
    missing: 'never missing',
  },
};
