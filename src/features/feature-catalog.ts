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
 *
 * Survey features (NPS and CSAT responses, responded_at ≤ T) read only the last year's
 * responses, (T−365d, T]. A customer without a response gets each one's neutral value, the
 * one the default model centres the feature at (see absoluteScale), so its score is exactly
 * what it would be without survey features (docs/surveys.md).
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
  'nps_latest',
  'nps_change',
  'nps_detractor',
  'csat_mean_90d',
  'days_since_survey',
  'nps_responses_365d',
  'csat_responses_90d',
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

/** nps_latest without an NPS response in the last year: between the passive answers 7 and 8, never a real answer. */
export const NEUTRAL_NPS = 7.5;
/** csat_mean_90d without a CSAT response in the last 90 days: the middle of the 1..5 scale. */
export const NEUTRAL_CSAT = 3;
/** NPS answers at or below this make a detractor (0–6), as the NPS method defines them. */
export const NPS_DETRACTOR_MAX = 6;
/** …and at or above this a promoter (9–10). */
export const NPS_PROMOTER_MIN = 9;
/** How far back survey features look: older responses say little about today. */
export const SURVEY_WINDOW_DAYS = MAX_DAYS;

export interface FeatureInfo {
  label: string;
  description: string;
  missing: string;
  /**
   * On a scale of its own (a survey's 0–10 or 1–5) rather than one that follows the book's
   * event rates: the default model keeps its configured mean and std for it even under
   * robust standardisation, and that mean is the neutral value of a customer without the
   * data, so such a customer's contribution is exactly 0 whatever the book.
   */
  absoluteScale?: true;
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
  nps_latest: {
    label: 'Latest NPS',
    description:
      `score (0–10) of the newest NPS response in (T−${SURVEY_WINDOW_DAYS}d, T]; of two at the same instant, the lower ` +
      '(the cautious reading)',
    missing: `${NEUTRAL_NPS} (neutral: between the passive answers 7 and 8, never a real answer)`,
    absoluteScale: true,
  },
  nps_change: {
    label: 'NPS change',
    description: `nps_latest minus the score of the NPS response before it, both in (T−${SURVEY_WINDOW_DAYS}d, T]`,
    missing: '0 (no change) with fewer than two NPS responses in the window',
    absoluteScale: true,
  },
  nps_detractor: {
    label: 'NPS detractor',
    description: `1 when nps_latest is a detractor's answer (0–${NPS_DETRACTOR_MAX}), else 0`,
    missing: '0 (not a detractor) without an NPS response in the window',
    absoluteScale: true,
  },
  csat_mean_90d: {
    label: 'CSAT, last 90 days',
    description: 'mean score (1–5) of the CSAT responses in (T−90d, T]',
    missing: `${NEUTRAL_CSAT} (neutral, the middle of the scale) without a CSAT response in the window`,
    absoluteScale: true,
  },
  days_since_survey: {
    label: 'Days since last survey response',
    description: `days from the newest NPS or CSAT response at or before T to T, capped at ${MAX_DAYS}`,
    missing: `${MAX_DAYS} (the cap: no response in the last year)`,
    absoluteScale: true,
  },
  nps_responses_365d: {
    label: 'NPS responses, last year',
    description: `NPS responses in (T−${SURVEY_WINDOW_DAYS}d, T]: tells a real answer from the neutral values`,
    missing: '0',
  },
  csat_responses_90d: {
    label: 'CSAT responses, last 90 days',
    description: 'CSAT responses in (T−90d, T]: tells a real mean from the neutral value',
    missing: '0',
  },
};

/** Keys the default model standardises by its own mean and std under robust standardisation too (FeatureInfo.absoluteScale). */
export const ABSOLUTE_SCALE_KEYS: ReadonlySet<string> = new Set(FEATURE_KEYS.filter((k) => FEATURE_CATALOG[k].absoluteScale));
