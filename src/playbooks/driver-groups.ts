import type { DriverGroup } from '../config/alerting-config.schema';
import type { FeatureKey } from '../features/feature-catalog';

/**
 * The driver group of every model feature. Playbook actions answer a kind of problem
 * (falling usage, complaints, money, the contract itself), not a single feature, so an
 * alert's top drivers are folded into these four groups before actions are matched.
 *
 * A full Record over FeatureKey (not prefix rules) so that adding a feature to the catalog
 * fails to compile until someone decides which group it belongs to.
 */
const GROUP_OF_FEATURE: Readonly<Record<FeatureKey, DriverGroup>> = {
  activity_30d: 'activity',
  activity_prev_30d: 'activity',
  activity_ratio: 'activity',
  activity_30d_log: 'activity',
  days_since_activity: 'activity',
  activity_slope_12w: 'activity',
  activity_trend_12w: 'activity',
  complaints_weighted_90d: 'complaints',
  complaints_open: 'complaints',
  oldest_open_complaint_days: 'complaints',
  days_since_complaint: 'complaints',
  mean_satisfaction: 'complaints',
  spend_90d: 'spend',
  spend_prev_90d: 'spend',
  spend_change_90d: 'spend',
  days_since_payment: 'spend',
  refund_share_180d: 'spend',
  spend_slope_12w: 'spend',
  spend_trend_12w: 'spend',
  tenure_days: 'account',
  days_to_renewal: 'account',
  monthly_revenue: 'account',
  monthly_revenue_log: 'account',
  // Dissatisfaction is answered as complaints are (service recovery, follow-ups), like mean_satisfaction.
  nps_latest: 'complaints',
  nps_change: 'complaints',
  nps_detractor: 'complaints',
  csat_mean_90d: 'complaints',
  days_since_survey: 'complaints',
  nps_responses_365d: 'complaints',
  csat_responses_90d: 'complaints',
};

/**
 * Driver group of a feature key. A key outside the catalog (e.g. one of a model trained
 * before a feature was renamed) falls back to 'account', the most general group, so an
 * old model still gets suggestions instead of an error.
 */
export function driverGroupOf(featureKey: string): DriverGroup {
  // hasOwn, not `in`: a key such as "constructor" must not reach Object.prototype.
  return Object.hasOwn(GROUP_OF_FEATURE, featureKey) ? GROUP_OF_FEATURE[featureKey as FeatureKey] : 'account';
}

/**
 * The distinct driver groups of an alert's drivers, strongest driver's group first, so
 * the order still says which kind of problem dominates.
 */
export function driverGroups(drivers: ReadonlyArray<{ key: string }>): DriverGroup[] {
  return [...new Set(drivers.map((d) => driverGroupOf(d.key)))];
}
