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
 * `economics` (default off) adds each customer's acquisition channel, own costs and NPS /
 * CSAT answers (`./book/economics`, from PRNGs of their own: the signals are unchanged), and
 * `EconomicsTally` the book's pooled monthly costs from what the customers did.
 *
 * `eventRate` (default 1) scales how often customers are active, pay and complain, for
 * books of another event density than the demo's (scale-free scoring tests).
 *
 * All timestamps are whole-second ISO-8601 UTC strings, never after `asOf`; signals
 * are never before `signupAt`, before the window start, or at/after `churnedAt`.
 * Active customers get a renewal date (annual, from signup) after `asOf`; churned
 * customers the renewal date they did not reach.
 *
 * Module layout (`./book/`): `random` (PRNG, seeding), `profiles` (segments, seasonality,
 * noise, decline parameters), `context` (per-book precomputation), `customer` (one
 * customer: profile, then `life` (fate, signup, `decline` episode), then the `activity`,
 * `complaints` and `spend` rows), with `names`, `format`, `rows` and `time` helpers.
 */

import { buildContext } from './book/context';
import { generateCustomer } from './book/customer';
import { EconomicsTally } from './book/economics';
import type { GeneratedCustomer, BookOptions } from './book/types';

export type {
  BookOptions,
  CustomerRow,
  ActivityRow,
  ComplaintRow,
  SpendRow,
  CostRow,
  SurveyRow,
  CustomerTruth,
  GeneratedCustomer,
} from './book/types';
export { CHANNELS, EconomicsTally } from './book/economics';
export { MIN_MANAGERS, MAX_MANAGERS, CUSTOMERS_PER_MANAGER } from './book/names';

/** A tally for the book's pooled costs: add every customer generateBook yields, then ask for pooledCosts(). */
export function economicsTally(options: BookOptions): EconomicsTally {
  return new EconomicsTally(buildContext(options));
}

/** Yields customers one at a time (never builds the whole book in memory: N can be 1,000,000). */
export function* generateBook(options: BookOptions): Generator<GeneratedCustomer> {
  const ctx = buildContext(options);
  for (let i = 0; i < ctx.customers; i++) {
    yield generateCustomer(ctx, i);
  }
}
