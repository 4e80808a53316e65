/**
 * Plain-English sentences for churn-risk drivers ("activity down 64 % vs the previous 30
 * days"), read by account managers in alert emails and on the dashboard. A sentence may use
 * the customer's other features (the raw windows behind a ratio, the count behind an age) so
 * that it shows the numbers a person can check, not the model's transformed value.
 */
import { type FeatureKey, MAX_DAYS, NEUTRAL_CSAT, NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN, SEVERITY_WEIGHTS } from './feature-catalog';

type Features = Record<FeatureKey, number>;

/** Features are finite by construction; this guards sentences against a partial or odd record. */
const fin = (x: number | undefined, fallback = 0): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

/** 12,345 for large numbers, one decimal below 10 (2.5, not 2.50 or 3), no "-0". */
export function formatNumber(x: number): string {
  const v = fin(x);
  const abs = Math.abs(v);
  const rounded = abs >= 10 ? Math.round(abs) : Math.round(abs * 10) / 10;
  if (rounded === 0) return '0';
  const [int, dec] = String(rounded).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (v < 0 ? '-' : '') + grouped + (dec ? `.${dec}` : '');
}

const plural = (n: number, one: string, many: string) => `${formatNumber(n)} ${Math.round(n) === 1 ? one : many}`;
const days = (d: number) => plural(Math.round(fin(d)), 'day', 'days');
const percent = (x: number) => `${formatNumber(Math.round(Math.abs(fin(x)) * 100))} %`;

/** "activity down 64 % vs the previous 30 days (120 vs 340)", from the raw windows. */
function change(what: string, cur: number, prev: number, vs: string, bothNone: string, fromNone: string): string {
  if (prev <= 0 && cur <= 0) return bothNone;
  if (prev <= 0) return `${what} up from none to ${formatNumber(cur)} ${fromNone}`;
  const rel = cur / prev - 1;
  const detail = `(${formatNumber(cur)} vs ${formatNumber(prev)})`;
  if (Math.abs(rel) < 0.005) return `${what} unchanged ${vs} ${detail}`;
  return `${what} ${rel < 0 ? 'down' : 'up'} ${percent(rel)} ${vs} ${detail}`;
}

function slope(what: string, perWeek: number): string {
  const s = fin(perWeek);
  if (formatNumber(Math.abs(s)) === '0') return `${what} flat over the last 12 weeks`;
  return `${what} trending ${s < 0 ? 'down' : 'up'} by ${formatNumber(Math.abs(s))} a week over the last 12 weeks`;
}

function trend(what: string, rel: number): string {
  const r = fin(rel);
  if (Math.abs(r) < 0.005) return `${what} flat over the last 12 weeks`;
  return `${what} ${r < 0 ? 'falling' : 'rising'} by ${percent(r)} of its weekly average each week over the last 12 weeks`;
}

function since(what: string, d: number, never: string): string {
  const v = fin(d, MAX_DAYS);
  if (v >= MAX_DAYS) return `${never} for over a year`;
  if (v < 1) return `last ${what} less than a day ago`;
  return `${never} for ${days(v)}`;
}

function openComplaints(f: Features): string {
  const n = Math.round(fin(f.complaints_open));
  const age = fin(f.oldest_open_complaint_days);
  if (n <= 0) return 'no open complaints';
  const ageText = age >= MAX_DAYS ? 'over a year' : days(age);
  if (n === 1) return `1 complaint open for ${ageText}`;
  return `${n} complaints open, the oldest for ${ageText}`;
}

function tenure(d: number): string {
  const v = fin(d);
  if (v < 60) return `customer for ${days(v)}`;
  if (v < 730) return `customer for ${plural(Math.round(v / 30.44), 'month', 'months')}`;
  return `customer for ${formatNumber(Math.round((v / 365.25) * 10) / 10)} years`;
}

/**
 * Survey sentences read the response counts first: without a response the scores hold
 * neutral values, which must not read as answers (a score stored before the survey
 * features existed reads its counts as NaN, i.e. no response).
 */
const NO_NPS = 'no NPS response in the last year';
const npsScore = (f: Features) => Math.round(fin(f.nps_latest));
const npsCategory = (score: number) =>
  score <= NPS_DETRACTOR_MAX ? 'a detractor' : score >= NPS_PROMOTER_MIN ? 'a promoter' : 'a passive';

function npsLatest(f: Features): string {
  if (fin(f.nps_responses_365d) <= 0) return NO_NPS;
  const score = npsScore(f);
  return `latest NPS ${score} of 10 (${npsCategory(score)})`;
}

/** "NPS fell from 9 to 3 in the last survey". */
function npsChange(f: Features): string {
  if (fin(f.nps_responses_365d) <= 0) return NO_NPS;
  const score = npsScore(f);
  if (fin(f.nps_responses_365d) < 2) return `NPS ${score} in the only survey of the last year`;
  const change = Math.round(fin(f.nps_change));
  if (change === 0) return `NPS unchanged at ${score} in the last survey`;
  return `NPS ${change < 0 ? 'fell' : 'rose'} from ${score - change} to ${score} in the last survey`;
}

function npsDetractor(f: Features): string {
  if (fin(f.nps_responses_365d) <= 0) return NO_NPS;
  const score = npsScore(f);
  return fin(f.nps_detractor) > 0
    ? `a detractor: NPS ${score} in the last survey (0–${NPS_DETRACTOR_MAX} are detractors)`
    : `not a detractor: NPS ${score} in the last survey`;
}

/** "CSAT averaged 2.1 over the last 90 days (3 responses)". */
function csat(f: Features): string {
  const n = Math.round(fin(f.csat_responses_90d));
  if (n <= 0) return 'no CSAT response in the last 90 days';
  const mean = formatNumber(Math.round(fin(f.csat_mean_90d, NEUTRAL_CSAT) * 10) / 10);
  if (n === 1) return `CSAT ${mean} of 5 in the only response of the last 90 days`;
  return `CSAT averaged ${mean} over the last 90 days (${n} responses)`;
}

const money = (x: number) => formatNumber(Math.round(fin(x)));
const SEVERITY_TEXT = Object.entries(SEVERITY_WEIGHTS)
  .map(([s, w]) => `${s} ${w}`)
  .join(', ');

const SENTENCES: Record<FeatureKey, (f: Features) => string> = {
  activity_30d: (f) =>
    fin(f.activity_30d) <= 0
      ? 'no activity in the last 30 days'
      : `activity of ${formatNumber(f.activity_30d)} in the last 30 days (previous 30 days: ${formatNumber(fin(f.activity_prev_30d))})`,
  activity_prev_30d: (f) =>
    `activity of ${formatNumber(fin(f.activity_prev_30d))} in the previous 30 days, ${formatNumber(fin(f.activity_30d))} in the last 30`,
  activity_ratio: (f) =>
    change(
      'activity',
      fin(f.activity_30d),
      fin(f.activity_prev_30d),
      'vs the previous 30 days',
      'no activity in the last 60 days',
      'in the last 30 days',
    ),
  activity_30d_log: (f) => SENTENCES.activity_30d(f),
  days_since_activity: (f) => since('activity', f.days_since_activity, 'no activity'),
  activity_slope_12w: (f) => slope('activity', f.activity_slope_12w),
  activity_trend_12w: (f) => trend('activity', f.activity_trend_12w),
  complaints_weighted_90d: (f) =>
    fin(f.complaints_weighted_90d) <= 0
      ? 'no complaints in the last 90 days'
      : `complaints in the last 90 days weigh ${formatNumber(f.complaints_weighted_90d)} by severity (${SEVERITY_TEXT})`,
  complaints_open: openComplaints,
  oldest_open_complaint_days: openComplaints,
  days_since_complaint: (f) => {
    const d = fin(f.days_since_complaint, MAX_DAYS);
    if (d >= MAX_DAYS) return 'no complaint in the last year';
    return d < 1 ? 'a complaint opened less than a day ago' : `last complaint ${days(d)} ago`;
  },
  mean_satisfaction: (f) => `average satisfaction ${formatNumber(Math.round(fin(f.mean_satisfaction, 3) * 10) / 10)} of 5`,
  spend_90d: (f) =>
    fin(f.spend_90d) <= 0
      ? 'no payments in the last 90 days'
      : `payments of ${money(f.spend_90d)} in the last 90 days (previous 90 days: ${money(f.spend_prev_90d)})`,
  spend_prev_90d: (f) => `payments of ${money(f.spend_prev_90d)} in the previous 90 days, ${money(f.spend_90d)} in the last 90`,
  spend_change_90d: (f) =>
    change('spend', fin(f.spend_90d), fin(f.spend_prev_90d), 'quarter on quarter', 'no payments in the last 180 days', 'this quarter'),
  days_since_payment: (f) => since('payment', f.days_since_payment, 'no payment'),
  refund_share_180d: (f) =>
    fin(f.refund_share_180d) <= 0
      ? 'no refunds in the last 180 days'
      : `refunds worth ${percent(f.refund_share_180d)} of payments over the last 180 days`,
  spend_slope_12w: (f) => slope('payments', f.spend_slope_12w),
  spend_trend_12w: (f) => trend('payments', f.spend_trend_12w),
  tenure_days: (f) => tenure(f.tenure_days),
  days_to_renewal: (f) => {
    const d = fin(f.days_to_renewal, 365);
    if (d >= 365) return 'no renewal due within a year';
    return d < 1 ? 'renewal due today' : `renewal in ${days(d)}`;
  },
  monthly_revenue: (f) => `monthly revenue ${money(f.monthly_revenue)}`,
  monthly_revenue_log: (f) =>
    `monthly revenue ${money(Number.isFinite(f.monthly_revenue) ? f.monthly_revenue : Math.expm1(fin(f.monthly_revenue_log)))}`,
  nps_latest: npsLatest,
  nps_change: npsChange,
  nps_detractor: npsDetractor,
  csat_mean_90d: csat,
  days_since_survey: (f) => since('survey response', f.days_since_survey, 'no survey response'),
  nps_responses_365d: (f) => {
    const n = Math.round(fin(f.nps_responses_365d));
    return n <= 0 ? NO_NPS : `${plural(n, 'NPS response', 'NPS responses')} in the last year`;
  },
  csat_responses_90d: (f) => {
    const n = Math.round(fin(f.csat_responses_90d));
    return n <= 0 ? 'no CSAT response in the last 90 days' : `${plural(n, 'CSAT response', 'CSAT responses')} in the last 90 days`;
  },
};

/** A driver explanation for `key`, with the customer's numbers in it; never NaN or Infinity. */
export function describeDriver(key: FeatureKey, f: Features): string {
  return SENTENCES[key](f);
}
