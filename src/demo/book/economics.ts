/**
 * The book's economics (BookOptions.economics): each customer's acquisition channel, its own
 * costs and its NPS / CSAT survey answers, and the book's pooled monthly costs (channel ad
 * spend, segment teams, win-back campaigns), so the economics figures and the survey
 * drivers have real inputs.
 *
 * Drawn from PRNGs of their own (a per-customer one seeded from (seed, index) on another
 * stream, and one for the book), never from the customer's signal PRNG: a book with
 * economics has exactly the signals of the same book without them.
 *
 * Pooled amounts follow what happened in the book (a channel's monthly spend ≈ its target
 * CAC × its sign-ups that month, with noise; a segment's team costs ≈ a rate × its active
 * customers), so CAC, CRC and CSC land near the targets below. A channel month without
 * sign-ups still spends a little: the economics page shows that as unallocated.
 */
import type { BookContext } from './context';
import { inStress } from './decline';
import { iso, money } from './format';
import type { Life } from './life';
import { CURRENCY, type Segment } from './profiles';
import { Rng, cdf, customerSeed } from './random';
import { DAY, SEC, floorSec } from './time';
import type { CostRow, CustomerRow, SurveyRow } from './types';

export const CHANNELS = ['search', 'referral', 'partner', 'events', 'outbound'] as const;
export type Channel = (typeof CHANNELS)[number];

/** How each segment's customers are won (weights in CHANNELS order). */
const CHANNEL_CDF: Record<Segment, number[]> = {
  enterprise: cdf([0.05, 0.1, 0.3, 0.2, 0.35]),
  'mid-market': cdf([0.3, 0.15, 0.25, 0.1, 0.2]),
  smb: cdf([0.6, 0.25, 0.1, 0.03, 0.02]),
};

/** Target pooled acquisition spend per sign-up, by channel. */
const CHANNEL_CAC: Record<Channel, number> = { search: 700, referral: 250, partner: 2500, events: 5000, outbound: 4000 };

/** Pooled monthly team costs per active customer of a segment. */
const SEGMENT_RATES: Record<Segment, { retention: number; service: number }> = {
  enterprise: { retention: 45, service: 70 },
  'mid-market': { retention: 12, service: 18 },
  smb: { retention: 1.5, service: 4 },
};

/** Sales commission (the customer's own acquisition cost) as months of its revenue. */
const COMMISSION_MONTHS: Record<Segment, number> = { enterprise: 2, 'mid-market': 1, smb: 0 };
/** Onboarding (the customer's own service cost) at sign-up. */
const ONBOARDING: Record<Segment, number> = { enterprise: 900, 'mid-market': 150, smb: 0 };

const NPS_HEALTHY = cdf([0.01, 0.01, 0.01, 0.02, 0.02, 0.03, 0.05, 0.12, 0.23, 0.25, 0.25]);
const NPS_STRESSED = cdf([0.08, 0.08, 0.1, 0.12, 0.12, 0.12, 0.12, 0.1, 0.08, 0.05, 0.03]);
const CSAT_HEALTHY = cdf([0.03, 0.05, 0.15, 0.4, 0.37]);
const CSAT_STRESSED = cdf([0.25, 0.3, 0.25, 0.15, 0.05]);
const COMMENTS_LOW: readonly string[] = [
  'Too many outages lately.',
  'Support takes days to answer.',
  'We use it less and less.',
  'Hard to justify the price.',
];
const COMMENTS_HIGH: readonly string[] = ['Works well for our team.', 'Great support.', 'Reports save us hours.'];

/** A stream other than the customer's signal PRNG (customerSeed of the seed xor this). */
const CUSTOMER_STREAM = 0x0ec0_5eed;
const BOOK_STREAM = 0x0b00_c057;

export interface CustomerEconomics {
  channel: Channel;
  costs: CostRow[];
  surveys: SurveyRow[];
}

/** The customer's channel, own costs and survey answers. */
export function generateCustomerEconomics(
  ctx: BookContext,
  index: number,
  segment: Segment,
  life: Life,
  churnedAtMs: number,
): CustomerEconomics {
  const rng = new Rng(customerSeed(ctx.seed ^ CUSTOMER_STREAM, index));
  const channel = CHANNELS[rng.fromCdf(CHANNEL_CDF[segment])] as Channel;
  const costs: CostRow[] = [];
  const cost = (category: CostRow['category'], atMs: number, amount: number, note: string) => {
    if (amount <= 0 || atMs < ctx.windowStartMs || atMs > ctx.asOfMs) return;
    costs.push({
      externalId: `${life.id}-k-${costs.length + 1}`,
      category,
      amount: money(amount),
      currency: CURRENCY,
      occurredAt: iso(ctx, floorSec(atMs)),
      customerId: life.id,
      note,
    });
  };
  const churns = churnedAtMs >= 0;
  const aliveAt = (ms: number) => ms >= life.signupMs && (!churns || ms < churnedAtMs);
  cost('acquisition', life.signupMs + DAY, COMMISSION_MONTHS[segment] * life.revenue * rng.uniform(0.8, 1.2), 'sales commission');
  const onboardingAt = life.signupMs + 7 * DAY;
  if (aliveAt(onboardingAt)) cost('service', onboardingAt, ONBOARDING[segment] * rng.uniform(0.8, 1.2), 'onboarding');
  if (segment === 'enterprise') {
    // A quarterly business review by customer success, while the customer stays.
    for (let at = life.signupMs + 90 * DAY; at <= ctx.asOfMs; at += 91 * DAY) {
      if (aliveAt(at)) cost('retention', at, rng.uniform(200, 350), 'quarterly business review');
    }
  }
  if (churns && segment !== 'smb' && rng.chance(0.6)) cost('winback', churnedAtMs + 14 * DAY, rng.uniform(150, 400), 'win-back offer');
  return { channel, costs, surveys: surveys(ctx, rng, life) };
}

/** NPS about every quarter and CSAT pulses about every other month, answered by some; low while under stress. */
function surveys(ctx: BookContext, rng: Rng, life: Life): SurveyRow[] {
  const out: SurveyRow[] = [];
  const answers = rng.uniform(0.2, 0.8);
  const add = (kind: SurveyRow['kind'], gapDays: number) => {
    let at = Math.max(life.lowerMs, life.signupMs + 30 * DAY) + rng.uniform(0, gapDays) * DAY;
    for (; at < life.cutoffMs && at <= ctx.asOfMs; at += gapDays * DAY * rng.uniform(0.85, 1.15)) {
      if (!rng.chance(answers)) continue;
      const stressed = inStress(life.decline, at);
      const score =
        kind === 'nps' ? rng.fromCdf(stressed ? NPS_STRESSED : NPS_HEALTHY) : 1 + rng.fromCdf(stressed ? CSAT_STRESSED : CSAT_HEALTHY);
      const row: SurveyRow = { externalId: '', customerId: life.id, kind, score, respondedAt: iso(ctx, floorSec(at)) };
      const low = kind === 'nps' ? score <= 6 : score <= 2;
      if (rng.chance(0.3)) row.comment = rng.pick(low ? COMMENTS_LOW : COMMENTS_HIGH);
      out.push(row);
    }
  };
  add('nps', 91);
  add('csat', 61);
  out.sort((a, b) => (a.respondedAt < b.respondedAt ? -1 : a.respondedAt > b.respondedAt ? 1 : 0));
  out.forEach((row, i) => (row.externalId = `${life.id}-v-${i + 1}`));
  return out;
}

/** What the pooled costs follow: per UTC month of the window, sign-ups by channel, active and churned customers by segment. */
export class EconomicsTally {
  readonly months: number[];
  private readonly signups = new Map<string, number>();
  private readonly active = new Map<string, number>();
  private readonly churned: number[];

  constructor(private readonly ctx: Pick<BookContext, 'windowStartMs' | 'asOfMs' | 'seed' | 'dayPrefix' | 'prefixBaseDay'>) {
    this.months = monthStarts(ctx.windowStartMs, ctx.asOfMs);
    this.churned = this.months.map(() => 0);
  }

  add(c: CustomerRow): void {
    const signup = Date.parse(c.signupAt);
    const churn = c.churnedAt ? Date.parse(c.churnedAt) : Infinity;
    this.months.forEach((start, i) => {
      const end = nextMonth(start);
      if (signup >= start && signup < end && c.acquisitionChannel) bump(this.signups, `${i}|${c.acquisitionChannel}`);
      if (signup < end && churn >= start) bump(this.active, `${i}|${c.segment}`);
      if (churn >= start && churn < end) this.churned[i] = (this.churned[i] ?? 0) + 1;
    });
  }

  /** The book's pooled costs: no customerId, one per channel, segment and category, and month. */
  pooledCosts(): CostRow[] {
    const rng = new Rng(customerSeed(this.ctx.seed ^ BOOK_STREAM, 0));
    const noise = () => Math.exp(0.15 * rng.normal());
    const rows: CostRow[] = [];
    this.months.forEach((start, i) => {
      const ym = new Date(start).toISOString().slice(0, 7);
      // Mid-month, inside the window and not after asOf.
      const at = iso(
        this.ctx,
        floorSec(Math.max(this.ctx.windowStartMs, Math.min(start + 14 * DAY + 12 * 3600 * SEC, this.ctx.asOfMs - 60 * SEC))),
      );
      const add = (id: string, category: CostRow['category'], amount: number, tag: Partial<CostRow>, note: string) =>
        rows.push({
          externalId: `demo-pooled-${id}-${ym}`,
          category,
          amount: money(amount),
          currency: CURRENCY,
          occurredAt: at,
          ...tag,
          note,
        });
      for (const channel of CHANNELS) {
        const n = this.signups.get(`${i}|${channel}`) ?? 0;
        add(`acquisition-${channel}`, 'acquisition', CHANNEL_CAC[channel] * (n + 0.3) * noise(), { channel }, `${channel} spend`);
      }
      for (const segment of Object.keys(SEGMENT_RATES) as Segment[]) {
        const n = this.active.get(`${i}|${segment}`) ?? 0;
        if (n === 0) continue;
        add(
          `retention-${segment}`,
          'retention',
          SEGMENT_RATES[segment].retention * n * noise(),
          { segment },
          `${segment} customer success`,
        );
        add(`service-${segment}`, 'service', SEGMENT_RATES[segment].service * n * noise(), { segment }, `${segment} support team`);
      }
      add('winback', 'winback', 40 * ((this.churned[i] ?? 0) + 1) * noise(), {}, 'win-back campaign');
    });
    return rows;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

const nextMonth = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

/** Starts of the UTC months from the one holding `fromMs` to the one holding `toMs`. */
function monthStarts(fromMs: number, toMs: number): number[] {
  const d = new Date(fromMs);
  const out: number[] = [];
  for (let m = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); m <= toMs; m = nextMonth(m)) out.push(m);
  return out;
}
