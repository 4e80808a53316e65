/** One customer: profile, fate, signals and the customer row, all from the customer's own PRNG. */
import { generateActivity } from './activity';
import { generateComplaints } from './complaints';
import { generateCustomerEconomics } from './economics';
import type { BookContext } from './context';
import { iso, money } from './format';
import { type Fate, type Life, drawFate, drawLife } from './life';
import { type CompanyName, drawCompanyName } from './names';
import { CURRENCY, SEGMENTS, type Segment, type SegmentProfile, segmentAt } from './profiles';
import { Rng, customerSeed } from './random';
import { generateSpend } from './spend';
import { anniversaryAfter } from './time';
import type { AccountManager, CustomerRow, GeneratedCustomer } from './types';

/** Who the customer is (drawn first, in this order). */
interface Profile {
  segment: Segment;
  prof: SegmentProfile;
  plan: string;
  revenue: number;
  company: CompanyName;
  hasEmail: boolean;
  manager: AccountManager;
}

export function generateCustomer(ctx: BookContext, index: number): GeneratedCustomer {
  const rng = new Rng(customerSeed(ctx.seed, index));
  const num = String(index + 1);
  const id = 'cus-' + (num.length < ctx.idWidth ? '0'.repeat(ctx.idWidth - num.length) + num : num);

  const profile = drawProfile(ctx, rng);
  const fate = drawFate(ctx, rng, profile.prof);
  const life = drawLife(ctx, rng, id, profile.revenue, fate);
  const activity = generateActivity(ctx, rng, profile.prof, life);
  const complaints = generateComplaints(ctx, rng, life);
  const spend = generateSpend(ctx, rng, life);
  const customer = customerRow(ctx, index, profile, fate, life);
  // Last, from a PRNG of its own: the signals above are the same with or without.
  const economics = ctx.economics
    ? generateCustomerEconomics(ctx, index, profile.segment, life, fate.churns ? fate.churnedAtMs : -1)
    : null;
  if (economics) customer.acquisitionChannel = economics.channel;

  return {
    customer,
    activity,
    complaints,
    spend,
    costs: economics?.costs ?? [],
    surveys: economics?.surveys ?? [],
    truth: { externalId: id, churnedAt: fate.churns ? new Date(fate.churnedAtMs) : null, pattern: fate.pattern },
  };
}

function drawProfile(ctx: BookContext, rng: Rng): Profile {
  const segment = segmentAt(rng.next());
  const prof = SEGMENTS[segment];
  const plan = rng.pick(prof.plans);
  const revenue = Math.max(5, prof.revenueMedian * Math.exp(prof.revenueSigma * rng.normal()));
  const company = drawCompanyName(rng);
  const hasEmail = rng.chance(0.95);
  const manager = ctx.managers[Math.floor(rng.next() * ctx.managers.length)] as AccountManager;
  return { segment, prof, plan, revenue, company, hasEmail, manager };
}

function customerRow(ctx: BookContext, index: number, profile: Profile, fate: Fate, life: Life): CustomerRow {
  const { company, manager } = profile;
  const { churns, churnedAtMs } = fate;
  const { signupMs } = life;
  const slug = `${company.adjective}-${company.noun}-${index + 1}`.toLowerCase();
  const renewalMs = churns ? anniversaryAfter(signupMs, churnedAtMs, false) : anniversaryAfter(signupMs, ctx.asOfMs, true);
  const customer: CustomerRow = {
    externalId: life.id,
    name: company.name,
    segment: profile.segment,
    plan: profile.plan,
    monthlyRevenue: money(profile.revenue),
    currency: CURRENCY,
    signupAt: iso(ctx, signupMs),
    renewalAt: iso(ctx, renewalMs),
    accountManager: { email: manager.email, name: manager.name },
    status: churns ? 'churned' : 'active',
  };
  if (profile.hasEmail) customer.email = `billing@${slug}.example`;
  if (churns) customer.churnedAt = iso(ctx, churnedAtMs);
  return customer;
}
