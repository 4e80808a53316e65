/**
 * Synthetic customer book generator (demo data, benchmarks, model training).
 *
 * Pure TypeScript: no Nest, no database. Rows have exactly the shapes accepted by
 * the "Signals in" endpoints (see API.md). Generation is deterministic for a given
 * (seed, asOf, customers, months) and streams one customer at a time, so a book of
 * 1,000,000 customers never sits in memory.
 *
 * Model of the book
 * -----------------
 * - Every customer has a private PRNG (mulberry32) seeded from (seed, index), so
 *   customer i's data does not depend on how many customers precede it (only the
 *   account-manager pool size depends on the book size).
 * - Activity: per day and per type (`login`, `report_view`, `api_call`) the customer is
 *   active with a customer-specific probability, scaled by weekday seasonality
 *   (people: weekends much lower and a year-end holiday dip; API traffic: smaller
 *   dips), a slow per-customer drift, a weekly AR(1) wobble, occasional quiet weeks
 *   and, for decliners, a decline curve. An active day yields one row (on a whole
 *   minute) whose `quantity` is the count that day. ~16 rows per customer-month.
 * - Complaints: Poisson arrivals at a customer-specific base rate (~0.1/month), plus a
 *   surge (1-3/month) of severe, often unresolved, poorly rated complaints during a
 *   decline; for churners the surge builds up towards the cancellation.
 * - Spend: a monthly invoice (= monthlyRevenue, until a plan change) on the billing
 *   day, a payment some days later (late or missing when the customer is unhealthy),
 *   occasional partial refunds; some customers change plan during the window.
 * - Ground truth: ~20 % of customers churn inside the window (segment-dependent:
 *   enterprise 12 %, mid-market 18 %, smb 22 %). ~86 % of churners show, with noise,
 *   a gradual disengagement that starts 8–20 weeks before churn (skewed towards the
 *   long end: median ~16 weeks) (`declining-churn`): activity falls, linearly or
 *   accelerating towards the end, to a low floor (sometimes idling there for the last
 *   weeks before cancelling), complaints build up and/or payments get late or missing
 *   and plans get downgraded from the start of the episode; the other ~14 % churn with
 *   no warning (`silent-churn`). ~10 % of stayers go through a similar 8–20 week
 *   decline and recover or stay low without churning (`declining-stays`, the false
 *   alarms); the rest are `stable`.
 *
 * Signal strength (measured on 20,000-40,000 customers, 12 months, several seeds): the
 * activity ratio "last 30 days / previous 30 days" as of the day before churn
 * separates churners from stayers with AUC ~0.72 (~0.62 already 60 days before
 * churn). A point-in-time L2 logistic model (activity level, ratio, recency and
 * 12-week slope; severity-weighted complaints in 90 days, open complaints and their
 * age, satisfaction; payments in the last 90 vs the previous 90 days, days since the
 * last payment, refunds; tenure, days to renewal, revenue, segment) trained on as-of
 * dates 4–9 months before `asOf` and tested on a later one scores AUC ~0.85 (0.84–0.86)
 * for churn within 90 days, ~0.88 within 60 and ~0.89 within 30 days. It stays well
 * short of perfect: silent churners are invisible, declines are noisy and
 * `declining-stays` make about a third of the highest-scored decile.
 *
 * All timestamps are whole-second ISO-8601 UTC strings, never after `asOf`; signals
 * are never before `signupAt`, before the window start, or at/after `churnedAt`.
 * Active customers get a renewal date (annual, from signup) after `asOf`; churned
 * customers the renewal date they did not reach.
 */

export interface BookOptions {
  customers: number;
  months: number;
  seed: number;
  asOf: Date;
}

export interface CustomerRow {
  externalId: string;
  name: string;
  email?: string;
  segment: string;
  plan: string;
  monthlyRevenue: string;
  currency: string;
  signupAt: string;
  renewalAt?: string;
  accountManager: { email: string; name: string };
  status: 'active' | 'churned';
  churnedAt?: string;
}

export interface ActivityRow {
  externalId: string;
  customerId: string;
  type: string;
  occurredAt: string;
  quantity: number;
}

export interface ComplaintRow {
  externalId: string;
  customerId: string;
  openedAt: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  category: string;
  status: 'open' | 'resolved';
  resolvedAt?: string;
  satisfaction?: number;
}

export interface SpendRow {
  externalId: string;
  customerId: string;
  occurredAt: string;
  amount: string;
  kind: 'invoice' | 'payment' | 'refund';
  currency: string;
}

export interface CustomerTruth {
  externalId: string;
  churnedAt: Date | null;
  pattern: 'stable' | 'declining-churn' | 'silent-churn' | 'declining-stays';
}

export interface GeneratedCustomer {
  customer: CustomerRow;
  activity: ActivityRow[];
  complaints: ComplaintRow[];
  spend: SpendRow[];
  truth: CustomerTruth;
}

// ---------------------------------------------------------------------------
// constants

const SEC = 1000;
const DAY = 86_400_000;
const MONTH = 30.4375 * DAY;
const YEAR = 365.25 * DAY;
const CURRENCY = 'USD';
/** customers who signed up before the window did so up to this many years earlier */
const SIGNUP_HISTORY_YEARS = 4;

type Segment = 'enterprise' | 'mid-market' | 'smb';
type Severity = ComplaintRow['severity'];
type Pattern = CustomerTruth['pattern'];

interface SegmentProfile {
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

const SEGMENTS: Record<Segment, SegmentProfile> = {
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

/** per-type probability of activity on an ordinary weekday, before engagement scaling */
const BASE_DAILY_PROBABILITY: readonly [number, number, number] = [0.32, 0.13, 0.55];

/** Sunday..Saturday */
const WEEKDAY_FACTOR: readonly number[] = [0.1, 1.0, 1.05, 1.05, 1.0, 0.85, 0.16];
const HOLIDAY_FACTOR = 0.35;
/** API traffic is automated: weekends and holidays dip much less */
const API_WEEKDAY_FACTOR: readonly number[] = [0.6, 1.0, 1.0, 1.0, 1.0, 0.95, 0.65];
const API_HOLIDAY_FACTOR = 0.8;

/**
 * Noise of ordinary behaviour. The churn signal must be learnable but not trivial
 * (a point-in-time logistic model should land around AUC 0.8-0.9, not 0.99), so
 * these are deliberately comparable in size to the declines below.
 */
const NOISE = {
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
const SILENT_CHURN_SHARE = 0.14;

/**
 * Decline episodes: 8-20 weeks of gradual disengagement down to a floor (multiplier of
 * engagement), linear to accelerating (see `declineMultiplier`). Churners' episode
 * lengths are skewed towards the long end (minDays + span x sqrt(U), median ~16 weeks)
 * so that most of them are visible a quarter ahead; declining-stays' are uniform.
 */
const DECLINE = {
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

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
const SEVERITY_CDF_HEALTHY = cdf([0.45, 0.35, 0.15, 0.05]);
const SEVERITY_CDF_STRESSED = cdf([0.12, 0.3, 0.36, 0.22]);
/** median hours to resolve, by severity index */
const RESOLVE_MEDIAN_HOURS: readonly number[] = [60, 36, 18, 6];

const CATEGORIES: readonly string[] = ['billing', 'outage', 'bug', 'support', 'onboarding'];
const CATEGORY_CDF_HEALTHY = cdf([0.2, 0.1, 0.25, 0.3, 0.15]);
const CATEGORY_CDF_STRESSED = cdf([0.25, 0.25, 0.25, 0.2, 0.05]);

const SATISFACTION_CDF_HEALTHY = cdf([0.04, 0.08, 0.18, 0.35, 0.35]);
const SATISFACTION_CDF_STRESSED = cdf([0.3, 0.3, 0.22, 0.12, 0.06]);

const NAME_ADJECTIVES: readonly string[] = [
  'Acme', 'Blue', 'Bright', 'Cedar', 'Clear', 'Copper', 'Crimson', 'Delta', 'Eagle', 'Evergreen',
  'First', 'Golden', 'Granite', 'Green', 'Harbor', 'Highland', 'Iron', 'Lakeside', 'Maple', 'Meridian',
  'North', 'Nova', 'Oak', 'Pacific', 'Pine', 'Prime', 'Quantum', 'Red', 'River', 'Silver',
  'Solar', 'Summit', 'Swift', 'True', 'Union', 'Urban', 'Vertex', 'West', 'Willow', 'Zenith',
];
const NAME_NOUNS: readonly string[] = [
  'Analytics', 'Bakery', 'Bridge', 'Builders', 'Capital', 'Cloud', 'Consulting', 'Dental', 'Design', 'Devices',
  'Energy', 'Foods', 'Freight', 'Health', 'Hotels', 'Industries', 'Insurance', 'Labs', 'Legal', 'Logistics',
  'Media', 'Medical', 'Motors', 'Networks', 'Outdoor', 'Partners', 'Pharma', 'Retail', 'Robotics', 'Security',
  'Software', 'Studios', 'Supply', 'Systems', 'Telecom', 'Textiles', 'Travel', 'Ventures', 'Wellness', 'Works',
];
const NAME_SUFFIXES: readonly string[] = ['Inc', 'LLC', 'Ltd', 'Co', 'Group', 'GmbH', 'SA', 'Corp'];

const MANAGER_FIRST: readonly string[] = [
  'Ava', 'Ben', 'Chloe', 'Daniel', 'Emma', 'Felix', 'Grace', 'Hugo', 'Isla', 'Jack',
  'Kara', 'Liam', 'Maya', 'Noah', 'Olivia', 'Pablo', 'Quinn', 'Ruby', 'Sam', 'Tara',
  'Umar', 'Vera', 'Will', 'Xena', 'Yusuf', 'Zoe', 'Aria', 'Bruno', 'Clara', 'Dev',
  'Elena', 'Finn', 'Gita', 'Hana', 'Ivan', 'Jade', 'Kofi', 'Lena', 'Marco', 'Nina',
  'Omar', 'Priya', 'Rosa', 'Sven', 'Tomas', 'Uma', 'Victor', 'Wen', 'Yara', 'Zane',
];
const MANAGER_LAST: readonly string[] = [
  'Adams', 'Brown', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Hughes', 'Ito', 'Jones',
  'Khan', 'Lopez', 'Muller', 'Nguyen', 'Okafor', 'Patel', 'Quinn', 'Rossi', 'Silva', 'Tanaka',
  'Usman', 'Varga', 'Walker', 'Xu', 'Young', 'Zhang', 'Andersen', 'Berg', 'Costa', 'Dubois',
  'Eriksen', 'Ferreira', 'Gupta', 'Hansen', 'Ibrahim', 'Jensen', 'Kim', 'Larsen', 'Moreau', 'Novak',
  'Olsen', 'Petrov', 'Ramos', 'Schmidt', 'Torres', 'Ueda', 'Vogel', 'Weber', 'Yilmaz', 'Zimmer',
];

export const MIN_MANAGERS = 3;
export const MAX_MANAGERS = 50;
export const CUSTOMERS_PER_MANAGER = 40;

// ---------------------------------------------------------------------------
// PRNG (mulberry32) and seeding

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Sub-seed for customer `index`: depends only on (seed, index). */
function customerSeed(seed: number, index: number): number {
  const s = Math.trunc(seed);
  const lo = s >>> 0;
  const hi = Math.floor(s / 4294967296) >>> 0;
  const base = fmix32(fmix32(lo ^ 0x9e3779b9) ^ Math.imul(hi, 0x27d4eb2f));
  const ilo = index >>> 0;
  const ihi = Math.floor(index / 4294967296) >>> 0;
  return fmix32((base + Math.imul(ilo, 0x9e3779b9)) ^ fmix32(ihi + 0x632be5ab)) >>> 0;
}

class Rng {
  private state: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** uniform 32-bit unsigned integer */
  nextU32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** uniform in [lo, hi) */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** standard normal (Box–Muller, caching the spare) */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * v;
    this.spare = r * Math.sin(a);
    this.hasSpare = true;
    return r * Math.cos(a);
  }

  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 40) {
      return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    }
    const l = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > l) {
      k++;
      p *= this.next();
    }
    return k;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** index drawn from a cumulative distribution */
  fromCdf(c: readonly number[]): number {
    const u = this.next();
    for (let i = 0; i < c.length - 1; i++) if (u < (c[i] as number)) return i;
    return c.length - 1;
  }
}

function cdf(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc += w / total;
    out.push(acc);
  }
  return out;
}

// ---------------------------------------------------------------------------
// fast whole-second ISO timestamps

// Small tables (they stay in CPU cache): a timestamp is dayPrefix + "HH:MM:" + "SS.000Z".

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** "HH:MM:" for every minute of a day */
const HOUR_MINUTE: readonly string[] = Array.from(
  { length: 1440 },
  (_, m) => `${pad2(Math.floor(m / 60))}:${pad2(m % 60)}:`,
);
/** "SS.000Z" for every second of a minute */
const SECOND_SUFFIX: readonly string[] = Array.from({ length: 60 }, (_, s) => `${pad2(s)}.000Z`);
/** "HH:MM:00.000Z" for every minute of a day (activity happens on whole minutes) */
const MINUTE_SUFFIX: readonly string[] = HOUR_MINUTE.map((hm) => `${hm}00.000Z`);

// ---------------------------------------------------------------------------
// book context (computed once per generateBook call)

interface BookContext {
  seed: number;
  customers: number;
  asOfMs: number;
  windowStartMs: number;
  /** first whole day (epoch day number) fully inside the window */
  firstDay: number;
  /** exclusive: the day containing asOf (whole days before it end at or before asOf) */
  endDay: number;
  nDays: number;
  /** per-day seasonality multiplier, index = day - firstDay */
  dayFactor: Float64Array;
  /** same for API traffic */
  apiDayFactor: Float64Array;
  /** "YYYY-MM-DDT" for every day from the oldest possible signup to a year after asOf */
  dayPrefix: string[];
  prefixBaseDay: number;
  managers: { email: string; name: string }[];
  idWidth: number;
  /** scratch buffers, reused for every customer */
  trend: Float64Array;
}

function buildContext(options: BookOptions): BookContext {
  const { customers, months, seed, asOf } = options;
  if (!Number.isInteger(customers) || customers < 0) {
    throw new RangeError(`customers must be a non-negative integer, got ${customers}`);
  }
  if (!Number.isInteger(months) || months < 1) {
    throw new RangeError(`months must be a positive integer, got ${months}`);
  }
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const asOfMs = asOf instanceof Date ? asOf.getTime() : NaN;
  if (!Number.isFinite(asOfMs)) throw new RangeError('asOf must be a valid Date');

  const ws = new Date(asOfMs);
  ws.setUTCMonth(ws.getUTCMonth() - months);
  const windowStartMs = Math.ceil(ws.getTime() / SEC) * SEC;
  const firstDay = Math.ceil(windowStartMs / DAY);
  const endDay = Math.floor(asOfMs / DAY);
  const nDays = Math.max(0, endDay - firstDay);

  const dayFactor = new Float64Array(nDays);
  const apiDayFactor = new Float64Array(nDays);
  for (let k = 0; k < nDays; k++) {
    const d = firstDay + k;
    const date = new Date(d * DAY);
    const month = date.getUTCMonth();
    const dom = date.getUTCDate();
    const holiday = (month === 11 && dom >= 24) || (month === 0 && dom === 1);
    dayFactor[k] = (WEEKDAY_FACTOR[date.getUTCDay()] as number) * (holiday ? HOLIDAY_FACTOR : 1);
    apiDayFactor[k] = (API_WEEKDAY_FACTOR[date.getUTCDay()] as number) * (holiday ? API_HOLIDAY_FACTOR : 1);
  }

  const prefixBaseDay = Math.floor((windowStartMs - SIGNUP_HISTORY_YEARS * YEAR) / DAY) - 1;
  const prefixEndDay = Math.ceil((asOfMs + YEAR) / DAY) + 2;
  const dayPrefix: string[] = [];
  for (let d = prefixBaseDay; d <= prefixEndDay; d++) {
    dayPrefix.push(new Date(d * DAY).toISOString().slice(0, 11));
  }

  const managerCount = Math.min(
    MAX_MANAGERS,
    Math.max(MIN_MANAGERS, Math.round(customers / CUSTOMERS_PER_MANAGER)),
  );
  const managers: { email: string; name: string }[] = [];
  for (let m = 0; m < managerCount; m++) {
    const n = m + 1;
    managers.push({
      email: `am${n < 10 ? '0' : ''}${n}@example.com`,
      name: `${MANAGER_FIRST[m % MANAGER_FIRST.length]} ${MANAGER_LAST[(m * 7) % MANAGER_LAST.length]}`,
    });
  }

  return {
    seed,
    customers,
    asOfMs,
    windowStartMs,
    firstDay,
    endDay,
    nDays,
    dayFactor,
    apiDayFactor,
    dayPrefix,
    prefixBaseDay,
    managers,
    idWidth: Math.max(7, String(customers).length),
    trend: new Float64Array(nDays),
  };
}

/** "-a-<n>" style externalId suffixes, shared across customers. */
const activitySuffixes: string[] = [];
const complaintSuffixes: string[] = [];
const spendSuffixes: string[] = [];
function rowSuffix(cache: string[], kind: string, n: number): string {
  const v = cache[n];
  if (v !== undefined) return v;
  for (let i = cache.length; i <= n; i++) cache.push(`-${kind}-${i}`);
  return cache[n] as string;
}

/**
 * Multiplicative noise for daily quantities: Gamma(shape)/shape (mean 1), as a sorted
 * table of samples drawn once from a fixed seed; a row picks a uniform entry.
 */
const QTY_NOISE: Float64Array = (() => {
  const rng = new Rng(0x5eed);
  const t = new Float64Array(4096);
  const shape = NOISE.quantityShape;
  for (let i = 0; i < 4096; i++) {
    let x = 0;
    for (let j = 0; j < shape; j++) x -= Math.log(1 - rng.next());
    t[i] = x / shape;
  }
  return t.sort();
})();

/** ISO string of a whole-second timestamp, using the per-day prefix table when possible. */
function iso(ctx: BookContext, ms: number): string {
  const day = Math.floor(ms / DAY);
  const k = day - ctx.prefixBaseDay;
  if (k >= 0 && k < ctx.dayPrefix.length) {
    const sec = Math.floor((ms - day * DAY) / SEC);
    const minute = Math.floor(sec / 60);
    return (
      (ctx.dayPrefix[k] as string) +
      (HOUR_MINUTE[minute] as string) +
      (SECOND_SUFFIX[sec - minute * 60] as string)
    );
  }
  return new Date(ms).toISOString();
}

/** Insertion sort by `at` (stable; the lists are short and nearly sorted). */
function sortByAt<T extends { at: number }>(items: T[]): void {
  for (let i = 1; i < items.length; i++) {
    const item = items[i] as T;
    let j = i - 1;
    while (j >= 0 && (items[j] as T).at > item.at) {
      items[j + 1] = items[j] as T;
      j--;
    }
    items[j + 1] = item;
  }
}

/** Non-negative amount as a decimal string with 2 decimals (faster than toFixed). */
function money(x: number): string {
  const cents = Math.round(x * 100);
  const whole = Math.floor(cents / 100);
  const frac = cents - whole * 100;
  return `${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

function floorSec(ms: number): number {
  return Math.floor(ms / SEC) * SEC;
}

/** First anniversary of `signupMs` at or after `atLeastMs` (strictly after when `strict`). */
function anniversaryAfter(signupMs: number, atLeastMs: number, strict: boolean): number {
  const s = new Date(signupMs);
  let year = Math.max(s.getUTCFullYear() + 1, new Date(atLeastMs).getUTCFullYear() - 1);
  for (;;) {
    const t = Date.UTC(
      year,
      s.getUTCMonth(),
      Math.min(s.getUTCDate(), 28),
      s.getUTCHours(),
      s.getUTCMinutes(),
      s.getUTCSeconds(),
    );
    if (strict ? t > atLeastMs : t >= atLeastMs) return t;
    year++;
  }
}

// ---------------------------------------------------------------------------
// per-customer generation

/** Episode of decline (and possibly recovery), in epoch ms. */
interface Decline {
  startMs: number;
  /** time at which the floor is reached */
  bottomMs: number;
  floor: number;
  /** 0 = linear fall to the floor, 1 = quadratic (slow start, accelerating) */
  accel: number;
  /** churners: the complaint surge grows over the episode (otherwise it stays flat) */
  escalates: boolean;
  /** recovery end (back to ~1), or Infinity when the customer stays low */
  recoverEndMs: number;
  activity: boolean;
  complaints: boolean;
  spend: boolean;
  downgradeMs: number;
  downgradeFactor: number;
}

function declineMultiplier(dec: Decline, ms: number): number {
  if (!dec.activity || ms < dec.startMs) return 1;
  if (ms < dec.bottomMs) {
    const x = (ms - dec.startMs) / (dec.bottomMs - dec.startMs);
    return 1 - (1 - dec.floor) * x * (1 - dec.accel + dec.accel * x);
  }
  if (!Number.isFinite(dec.recoverEndMs)) return dec.floor;
  if (ms >= dec.recoverEndMs) return 0.95;
  const recoverStart = dec.bottomMs + 14 * DAY;
  if (ms < recoverStart) return dec.floor;
  return dec.floor + (0.95 - dec.floor) * ((ms - recoverStart) / (dec.recoverEndMs - recoverStart));
}

function inStress(dec: Decline | null, ms: number): boolean {
  if (!dec || ms < dec.startMs) return false;
  if (!Number.isFinite(dec.recoverEndMs)) return true;
  return ms < dec.recoverEndMs;
}

/** What the signal generators need to know about one customer's life. */
interface Life {
  id: string;
  revenue: number;
  signupMs: number;
  /** signals at or after */
  lowerMs: number;
  /** signals strictly before (churn day start, or the start of asOf's day) */
  cutoffMs: number;
  /** first epoch day with activity (whole day at/after signup and window start) */
  firstActDay: number;
  /** exclusive */
  lastActDayExcl: number;
  decline: Decline | null;
}

/**
 * Fills ctx.trend[k0..k1) with the customer's engagement multiplier per day: slow
 * drift, weekly AR(1) wobble, quiet weeks and the decline episode if any.
 */
function fillTrend(ctx: BookContext, rng: Rng, life: Life, k0: number, k1: number): void {
  const trend = ctx.trend;
  const decline = life.decline;
  const drift = NOISE.driftSdPerYear * rng.normal();
  const quietWeekP = rng.uniform(NOISE.quietWeekMin, NOISE.quietWeekMax);
  const arStationarySd = NOISE.weeklyArSd / Math.sqrt(1 - NOISE.weeklyAr * NOISE.weeklyAr);
  let ar = arStationarySd * rng.normal();
  let weekMult = 1;
  // drift factor exp(drift * (t - asOf) / YEAR), advanced multiplicatively day by day
  let driftMult = Math.exp((drift * ((ctx.firstDay + k0) * DAY - ctx.asOfMs)) / YEAR);
  const driftStep = Math.exp((drift * DAY) / YEAR);
  let dayInWeek = 0;
  for (let k = k0; k < k1; k++) {
    if (dayInWeek === 0) {
      ar = NOISE.weeklyAr * ar + NOISE.weeklyArSd * rng.normal();
      weekMult = Math.exp(ar) * (rng.next() < quietWeekP ? NOISE.quietWeekFactor : 1);
    }
    if (++dayInWeek === 7) dayInWeek = 0;
    let m = weekMult * driftMult;
    driftMult *= driftStep;
    if (decline !== null) m *= declineMultiplier(decline, (ctx.firstDay + k) * DAY + DAY / 2);
    trend[k] = m;
  }
}

function generateActivity(ctx: BookContext, rng: Rng, prof: SegmentProfile, life: Life): ActivityRow[] {
  const activity: ActivityRow[] = [];
  const engagement = Math.max(0.25, Math.exp(0.5 * rng.normal() - 0.12));
  const apiUser = rng.next() < prof.apiShare;
  const q0 = (BASE_DAILY_PROBABILITY[0] as number) * engagement;
  const q1 = (BASE_DAILY_PROBABILITY[1] as number) * engagement * Math.exp(0.4 * rng.normal());
  const q2 = apiUser ? (BASE_DAILY_PROBABILITY[2] as number) * Math.exp(0.4 * rng.normal()) : 0;
  const i0 = (prof.intensity[0] as number) * Math.exp(0.5 * rng.normal());
  const i1 = (prof.intensity[1] as number) * Math.exp(0.5 * rng.normal());
  const i2 = (prof.intensity[2] as number) * Math.exp(0.7 * rng.normal());
  if (life.firstActDay >= life.lastActDayExcl) return activity;

  const k0 = life.firstActDay - ctx.firstDay;
  const k1 = life.lastActDayExcl - ctx.firstDay;
  fillTrend(ctx, rng, life, k0, k1);

  const id = life.id;
  const trend = ctx.trend;
  const dayFactor = ctx.dayFactor;
  const apiDayFactor = ctx.apiDayFactor;
  const dayPrefix = ctx.dayPrefix;
  const prefixOffset = ctx.firstDay - ctx.prefixBaseDay;
  // activity happens on whole minutes: business hours for people, any time for the API
  const workStart = 7 * 60;
  const workSpan = 14 * 60;
  let n = 0;
  for (let k = k0; k < k1; k++) {
    const m = trend[k] as number;
    const f = (dayFactor[k] as number) * m;
    // one 32-bit draw gives three 10-bit uniforms, one per activity type
    const p0 = Math.min(0.95, q0 * f) * 1024;
    const p1 = Math.min(0.95, q1 * f) * 1024;
    const p2 = Math.min(0.95, q2 * (apiDayFactor[k] as number) * m) * 1024;
    const bits = rng.nextU32();
    const r0 = bits & 1023;
    const r1 = (bits >>> 10) & 1023;
    const r2 = (bits >>> 20) & 1023;
    if (r0 >= p0 && r1 >= p1 && r2 >= p2) continue;
    const prefix = dayPrefix[k + prefixOffset] as string;
    // per row, one 32-bit draw: low 12 bits pick the quantity noise, high 20 bits the minute
    if (r0 < p0) {
      const x = rng.nextU32();
      activity.push({
        externalId: id + rowSuffix(activitySuffixes, 'a', ++n),
        customerId: id,
        type: 'login',
        occurredAt: prefix + (MINUTE_SUFFIX[workStart + (((x >>> 12) * workSpan) >>> 20)] as string),
        quantity: 1 + Math.floor(i0 * m * (QTY_NOISE[x & 4095] as number)),
      });
    }
    if (r1 < p1) {
      const x = rng.nextU32();
      activity.push({
        externalId: id + rowSuffix(activitySuffixes, 'a', ++n),
        customerId: id,
        type: 'report_view',
        occurredAt: prefix + (MINUTE_SUFFIX[workStart + (((x >>> 12) * workSpan) >>> 20)] as string),
        quantity: 1 + Math.floor(i1 * m * (QTY_NOISE[x & 4095] as number)),
      });
    }
    if (r2 < p2) {
      const x = rng.nextU32();
      activity.push({
        externalId: id + rowSuffix(activitySuffixes, 'a', ++n),
        customerId: id,
        type: 'api_call',
        occurredAt: prefix + (MINUTE_SUFFIX[((x >>> 12) * 1440) >>> 20] as string),
        quantity: 1 + Math.floor(i2 * m * (QTY_NOISE[x & 4095] as number)),
      });
    }
  }
  return activity;
}

function generateComplaints(ctx: BookContext, rng: Rng, life: Life): ComplaintRow[] {
  const complaints: ComplaintRow[] = [];
  const { id, lowerMs, cutoffMs, decline } = life;
  if (lowerMs >= cutoffMs) return complaints;
  const pending: { at: number; stressed: boolean }[] = [];
  const baseRate = 0.1 * Math.exp(0.6 * rng.normal() - 0.18);
  const nBase = rng.poisson((baseRate * (cutoffMs - lowerMs)) / MONTH);
  for (let c = 0; c < nBase; c++) {
    const at = floorSec(rng.uniform(lowerMs, cutoffMs));
    pending.push({ at, stressed: inStress(decline, at) && rng.chance(0.5) });
  }
  if (decline && decline.complaints) {
    const from = Math.max(lowerMs, decline.startMs);
    const to = Math.min(cutoffMs, Number.isFinite(decline.recoverEndMs) ? decline.recoverEndMs : cutoffMs);
    if (from < to) {
      const rate = rng.uniform(DECLINE.surgeMin, DECLINE.surgeMax);
      const nSurge = rng.poisson((rate * (to - from)) / MONTH);
      for (let c = 0; c < nSurge; c++) {
        // ramped: density grows linearly over the episode, from 1/2 to 3/2 of the mean
        const u = rng.next();
        const x = decline.escalates ? Math.sqrt(0.25 + 2 * u) - 0.5 : u;
        const at = floorSec(from + (to - from) * x);
        pending.push({ at, stressed: true });
      }
    }
  }
  sortByAt(pending);
  let n = 0;
  for (const pc of pending) {
    const sevIdx = rng.fromCdf(pc.stressed ? SEVERITY_CDF_STRESSED : SEVERITY_CDF_HEALTHY);
    const category = CATEGORIES[
      rng.fromCdf(pc.stressed ? CATEGORY_CDF_STRESSED : CATEGORY_CDF_HEALTHY)
    ] as string;
    const row: ComplaintRow = {
      externalId: id + rowSuffix(complaintSuffixes, 'c', ++n),
      customerId: id,
      openedAt: iso(ctx, pc.at),
      severity: SEVERITIES[sevIdx] as Severity,
      category,
      status: 'open',
    };
    if (rng.chance(pc.stressed ? 0.45 : 0.93)) {
      const hours =
        (RESOLVE_MEDIAN_HOURS[sevIdx] as number) * (pc.stressed ? 2.5 : 1) * Math.exp(0.8 * rng.normal());
      const resolvedMs = floorSec(pc.at + Math.max(60 * SEC, hours * 3600 * SEC));
      if (resolvedMs < cutoffMs && resolvedMs <= ctx.asOfMs) {
        row.status = 'resolved';
        row.resolvedAt = iso(ctx, resolvedMs);
        if (rng.chance(0.85)) {
          row.satisfaction =
            1 + rng.fromCdf(pc.stressed ? SATISFACTION_CDF_STRESSED : SATISFACTION_CDF_HEALTHY);
        }
      }
    }
    complaints.push(row);
  }
  return complaints;
}

function generateSpend(ctx: BookContext, rng: Rng, life: Life): SpendRow[] {
  const spend: SpendRow[] = [];
  const { id, revenue, signupMs, lowerMs, cutoffMs, decline } = life;
  const signupDate = new Date(signupMs);
  const billDay = Math.min(28, signupDate.getUTCDate());
  const billSec = rng.int(1 * 3600, 6 * 3600);
  const payDelayDays = Math.min(40, 4 * Math.exp(0.6 * rng.normal()));
  // ordinary plan changes for customers without a decline episode
  let changeMs = Infinity;
  let changeFactor = 1;
  if (!decline) {
    const u = rng.next();
    if (u < 0.08) {
      changeMs = rng.uniform(ctx.windowStartMs, ctx.asOfMs);
      changeFactor = u < 0.04 ? rng.uniform(0.6, 0.9) : rng.uniform(1.1, 1.5);
    }
  } else {
    changeMs = decline.downgradeMs;
    changeFactor = decline.downgradeFactor;
  }
  const pendingSpend: { at: number; amount: number; kind: SpendRow['kind'] }[] = [];
  const ws = new Date(ctx.windowStartMs);
  let y = ws.getUTCFullYear();
  let mo = ws.getUTCMonth();
  for (;;) {
    const invMs = Date.UTC(y, mo, billDay) + billSec * SEC;
    if (invMs >= cutoffMs) break;
    mo++;
    if (mo === 12) {
      mo = 0;
      y++;
    }
    if (invMs < lowerMs) continue;
    const amount = Math.max(1, revenue * (invMs >= changeMs ? changeFactor : 1));
    pendingSpend.push({ at: invMs, amount, kind: 'invoice' });
    const stressed = decline !== null && decline.spend && inStress(decline, invMs);
    let payMs = -1;
    if (stressed) {
      if (!rng.chance(DECLINE.missedPayment)) payMs = invMs + (payDelayDays + rng.uniform(15, 45)) * DAY;
    } else {
      const u = rng.next();
      if (u < 0.03) payMs = invMs + (payDelayDays + rng.uniform(20, 40)) * DAY;
      else if (u >= 0.035) payMs = invMs + (payDelayDays + rng.uniform(0, 4)) * DAY;
    }
    if (payMs >= 0) {
      payMs = floorSec(payMs + rng.int(8 * 3600, 18 * 3600) * SEC);
      if (payMs < cutoffMs) pendingSpend.push({ at: payMs, amount, kind: 'payment' });
    }
    if (rng.chance(stressed ? 0.12 : 0.02)) {
      const refMs = floorSec(invMs + rng.uniform(3, 25) * DAY);
      if (refMs < cutoffMs) {
        pendingSpend.push({ at: refMs, amount: Math.max(0.01, amount * rng.uniform(0.1, 0.5)), kind: 'refund' });
      }
    }
  }
  sortByAt(pendingSpend);
  let n = 0;
  for (const ps of pendingSpend) {
    spend.push({
      externalId: id + rowSuffix(spendSuffixes, 's', ++n),
      customerId: id,
      occurredAt: iso(ctx, ps.at),
      amount: money(ps.amount),
      kind: ps.kind,
      currency: CURRENCY,
    });
  }
  return spend;
}

function generateCustomer(ctx: BookContext, index: number): GeneratedCustomer {
  const rng = new Rng(customerSeed(ctx.seed, index));
  const num = String(index + 1);
  const id = 'cus-' + (num.length < ctx.idWidth ? '0'.repeat(ctx.idWidth - num.length) + num : num);

  // --- profile -----------------------------------------------------------
  const us = rng.next();
  const segment: Segment =
    us < SEGMENTS.enterprise.share
      ? 'enterprise'
      : us < SEGMENTS.enterprise.share + SEGMENTS['mid-market'].share
        ? 'mid-market'
        : 'smb';
  const prof = SEGMENTS[segment];
  const plan = rng.pick(prof.plans);
  const revenue = Math.max(5, prof.revenueMedian * Math.exp(prof.revenueSigma * rng.normal()));
  const adjective = rng.pick(NAME_ADJECTIVES);
  const noun = rng.pick(NAME_NOUNS);
  const suffix = rng.pick(NAME_SUFFIXES);
  const name = `${adjective} ${noun} ${suffix}`;
  const hasEmail = rng.chance(0.95);
  const manager = ctx.managers[Math.floor(rng.next() * ctx.managers.length)] as {
    email: string;
    name: string;
  };

  // --- fate ----------------------------------------------------------------
  const canChurn = ctx.endDay - 1 >= ctx.firstDay + 1;
  const churns = canChurn && rng.chance(prof.churnProbability);
  let pattern: Pattern;
  if (churns) pattern = rng.chance(1 - SILENT_CHURN_SHARE) ? 'declining-churn' : 'silent-churn';
  else pattern = rng.chance(0.1) ? 'declining-stays' : 'stable';

  let churnDay = -1;
  let churnedAtMs = -1;
  if (churns) {
    churnDay = rng.int(ctx.firstDay + 1, ctx.endDay - 1);
    churnedAtMs = churnDay * DAY + rng.int(8 * 3600, 20 * 3600) * SEC;
  }

  // --- signup --------------------------------------------------------------
  let signupMs: number;
  if (rng.chance(0.25)) {
    const latest = Math.max(ctx.windowStartMs, ctx.asOfMs - 14 * DAY);
    signupMs = rng.uniform(ctx.windowStartMs, latest);
  } else {
    signupMs = ctx.windowStartMs - rng.next() * SIGNUP_HISTORY_YEARS * YEAR;
  }
  if (churns && signupMs > churnDay * DAY - 30 * DAY) {
    // a churner needs some tenure: redraw among earlier signups
    const latest = churnDay * DAY - 30 * DAY;
    signupMs = latest - rng.next() * (latest - (ctx.windowStartMs - SIGNUP_HISTORY_YEARS * YEAR));
  }
  signupMs = floorSec(Math.min(signupMs, ctx.asOfMs));

  const cutoffMs = churns ? churnDay * DAY : ctx.endDay * DAY; // signals strictly before
  const lowerMs = Math.max(ctx.windowStartMs, signupMs); // signals at or after
  const firstActDay = Math.max(ctx.firstDay, Math.ceil(signupMs / DAY));
  const lastActDayExcl = churns ? churnDay : ctx.endDay;

  // --- decline episode -----------------------------------------------------
  let decline: Decline | null = null;
  if (pattern === 'declining-churn') {
    // skewed towards long episodes: most churners drift away over a quarter or more
    const span = DECLINE.maxDays - DECLINE.minDays;
    const len = Math.round(DECLINE.minDays + span * Math.sqrt(rng.next())) * DAY;
    const activity = rng.chance(DECLINE.churn.activity);
    const complaints = rng.chance(DECLINE.churn.complaints);
    let spend = rng.chance(DECLINE.churn.spend);
    if (!activity && !complaints && !spend) spend = true;
    decline = {
      startMs: churnDay * DAY - len,
      // usage falls over most of the episode, then the account idles until it cancels
      bottomMs: churnDay * DAY - len * rng.uniform(0, DECLINE.churn.idleFractionMax),
      floor: rng.uniform(DECLINE.churn.floorMin, DECLINE.churn.floorMax),
      accel: rng.uniform(0, DECLINE.accelMax),
      escalates: true,
      recoverEndMs: Infinity,
      activity,
      complaints,
      spend,
      downgradeMs: spend && rng.chance(DECLINE.churn.downgrade) ? churnDay * DAY - rng.next() * len : Infinity,
      downgradeFactor: rng.uniform(DECLINE.churn.downgradeMin, DECLINE.churn.downgradeMax),
    };
  } else if (pattern === 'declining-stays') {
    const len = rng.int(DECLINE.minDays, DECLINE.maxDays) * DAY;
    const startMs = ctx.firstDay * DAY + rng.next() * Math.max(DAY, (ctx.nDays - 14) * DAY);
    const recovers = rng.chance(DECLINE.stays.recovers);
    const spend = rng.chance(DECLINE.stays.spend);
    decline = {
      startMs,
      bottomMs: startMs + len,
      floor: rng.uniform(DECLINE.stays.floorMin, DECLINE.stays.floorMax),
      accel: rng.uniform(0, DECLINE.accelMax),
      escalates: false,
      recoverEndMs: recovers ? startMs + len + rng.int(28, 70) * DAY : Infinity,
      activity: rng.chance(DECLINE.stays.activity),
      complaints: rng.chance(DECLINE.stays.complaints),
      spend,
      downgradeMs: spend && rng.chance(DECLINE.stays.downgrade) ? startMs + rng.next() * len : Infinity,
      downgradeFactor: rng.uniform(DECLINE.stays.downgradeMin, DECLINE.stays.downgradeMax),
    };
  }

  const life: Life = { id, revenue, signupMs, lowerMs, cutoffMs, firstActDay, lastActDayExcl, decline };
  const activity = generateActivity(ctx, rng, prof, life);
  const complaints = generateComplaints(ctx, rng, life);
  const spend = generateSpend(ctx, rng, life);

  // --- customer row --------------------------------------------------------
  const slug = `${adjective}-${noun}-${index + 1}`.toLowerCase();
  const renewalMs = churns
    ? anniversaryAfter(signupMs, churnedAtMs, false)
    : anniversaryAfter(signupMs, ctx.asOfMs, true);
  const customer: CustomerRow = {
    externalId: id,
    name,
    segment,
    plan,
    monthlyRevenue: money(revenue),
    currency: CURRENCY,
    signupAt: iso(ctx, signupMs),
    renewalAt: iso(ctx, renewalMs),
    accountManager: { email: manager.email, name: manager.name },
    status: churns ? 'churned' : 'active',
  };
  if (hasEmail) customer.email = `billing@${slug}.example`;
  if (churns) customer.churnedAt = iso(ctx, churnedAtMs);

  return {
    customer,
    activity,
    complaints,
    spend,
    truth: { externalId: id, churnedAt: churns ? new Date(churnedAtMs) : null, pattern },
  };
}

/** Yields customers one at a time (never builds the whole book in memory: N can be 1,000,000). */
export function* generateBook(options: BookOptions): Generator<GeneratedCustomer> {
  const ctx = buildContext(options);
  for (let i = 0; i < ctx.customers; i++) {
    yield generateCustomer(ctx, i);
  }
}
