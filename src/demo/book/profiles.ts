/** Behaviour profiles: segments, seasonality, noise of ordinary behaviour and decline episodes. */

export const CURRENCY = 'USD';
/** customers who signed up before the window did so up to this many years earlier */
export const SIGNUP_HISTORY_YEARS = 4;

export type Segment = 'enterprise' | 'mid-market' | 'smb';

export interface SegmentProfile {
  share: number;
  revenueMedian: number;
  revenueSigma: number;
  churnProbability: number;
  plans: readonly string[];
  /** mean quantity on an active day, per activity type */
  intensity: readonly [number, number, number];
  /** probability the customer uses the API at all */
  apiShare: number;
}

export const SEGMENTS: Record<Segment, SegmentProfile> = {
  enterprise: {
    share: 0.1,
    revenueMedian: 9000,
    revenueSigma: 0.6,
    churnProbability: 0.12,
    plans: ['enterprise', 'enterprise-plus'],
    intensity: [14, 9, 400],
    apiShare: 0.8,
  },
  'mid-market': {
    share: 0.3,
    revenueMedian: 1500,
    revenueSigma: 0.55,
    churnProbability: 0.18,
    plans: ['business', 'growth', 'professional'],
    intensity: [5, 4, 120],
    apiShare: 0.5,
  },
  smb: {
    share: 0.6,
    revenueMedian: 120,
    revenueSigma: 0.6,
    churnProbability: 0.22,
    plans: ['starter', 'basic', 'growth'],
    intensity: [2, 2, 30],
    apiShare: 0.25,
  },
};

/** Segment for a uniform draw `u` in [0, 1), according to the segment shares. */
export function segmentAt(u: number): Segment {
  return u < SEGMENTS.enterprise.share ? 'enterprise' : u < SEGMENTS.enterprise.share + SEGMENTS['mid-market'].share ? 'mid-market' : 'smb';
}

/** per-type probability of activity on an ordinary weekday, before engagement scaling */
export const BASE_DAILY_PROBABILITY: readonly [number, number, number] = [0.32, 0.13, 0.55];

/** Sunday..Saturday */
export const WEEKDAY_FACTOR: readonly number[] = [0.1, 1.0, 1.05, 1.05, 1.0, 0.85, 0.16];
export const HOLIDAY_FACTOR = 0.35;
/** API traffic is automated: weekends and holidays dip much less */
export const API_WEEKDAY_FACTOR: readonly number[] = [0.6, 1.0, 1.0, 1.0, 1.0, 0.95, 0.65];
export const API_HOLIDAY_FACTOR = 0.8;

/**
 * Noise of ordinary behaviour. The churn signal must be learnable but not trivial
 * (a point-in-time logistic model should land around AUC 0.8-0.9, not 0.99), so
 * these are deliberately comparable in size to the declines below.
 */
export const NOISE = {
  /** weekly AR(1) wobble of engagement, log scale */
  weeklyAr: 0.7,
  weeklyArSd: 0.1,
  /** per-week probability (customer-specific, uniform in [min, max]) of a quiet week */
  quietWeekMin: 0.01,
  quietWeekMax: 0.03,
  quietWeekFactor: 0.3,
  /** slow per-customer drift of engagement, log scale per year */
  driftSdPerYear: 0.3,
  /** daily quantity ~ mean x Gamma(shape)/shape */
  quantityShape: 6,
} as const;

/** Share of churners who give no warning at all (`silent-churn`). */
export const SILENT_CHURN_SHARE = 0.14;

/**
 * Decline episodes: 8-20 weeks of gradual disengagement down to a floor (multiplier of
 * engagement), linear to accelerating (see `declineMultiplier`). Churners' episode
 * lengths are skewed towards the long end (minDays + span x sqrt(U), median ~16 weeks)
 * so that most of them are visible a quarter ahead; declining-stays' are uniform.
 */
export const DECLINE = {
  minDays: 56,
  maxDays: 140,
  /** weight of the quadratic (accelerating) part of the curve, uniform in [0, max] */
  accelMax: 0.5,
  /** extra complaints per month during an episode with the complaint symptom */
  surgeMin: 1,
  surgeMax: 3,
  /** declining-churn: probability of each symptom, and the activity floor at churn */
  churn: {
    activity: 0.92,
    complaints: 0.8,
    spend: 0.7,
    floorMin: 0.03,
    floorMax: 0.4,
    /** fraction of the episode spent idle at the floor before cancelling, up to */
    idleFractionMax: 0.35,
    /** with the spend symptom: probability of a downgrade, and its factor */
    downgrade: 0.6,
    downgradeMin: 0.3,
    downgradeMax: 0.7,
  },
  /** declining-stays */
  stays: {
    activity: 0.9,
    complaints: 0.45,
    spend: 0.35,
    floorMin: 0.15,
    floorMax: 0.75,
    /** probability the customer recovers (otherwise stays low until asOf) */
    recovers: 0.5,
    downgrade: 0.3,
    downgradeMin: 0.5,
    downgradeMax: 0.85,
  },
  /** invoices during a spend-stressed episode: probability the payment never comes */
  missedPayment: 0.4,
} as const;
