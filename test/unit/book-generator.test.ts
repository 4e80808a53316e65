import { describe, it, expect } from 'vitest';
import { CHANNELS, economicsTally, generateBook, type BookOptions, type GeneratedCustomer } from '../../src/demo/book-generator';

const DAY = 86_400_000;
const AS_OF = new Date('2025-06-30T12:00:00.000Z');
const BASE: BookOptions = { customers: 2000, months: 12, seed: 42, asOf: AS_OF };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function take(options: BookOptions, n = Infinity): GeneratedCustomer[] {
  const out: GeneratedCustomer[] = [];
  for (const c of generateBook(options)) {
    if (out.length >= n) break;
    out.push(c);
  }
  return out;
}

function windowStart(asOf: Date, months: number): number {
  const d = new Date(asOf.getTime());
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

/** Probability that a random positive scores higher than a random negative (ties count 1/2). */
function auc(positives: number[], negatives: number[]): number {
  const all = [...positives.map((v) => ({ v, p: 1 })), ...negatives.map((v) => ({ v, p: 0 }))].sort((a, b) => a.v - b.v);
  let rankSumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p === 1) rankSumPos += avgRank;
    i = j;
  }
  const nP = positives.length;
  const nN = negatives.length;
  return (rankSumPos - (nP * (nP + 1)) / 2) / (nP * nN);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

describe('generateBook', () => {
  const book = take(BASE);
  const asOfMs = AS_OF.getTime();
  const wsMs = windowStart(AS_OF, BASE.months);

  it('yields the requested number of customers lazily', () => {
    expect(book).toHaveLength(2000);
    const it1 = generateBook({ ...BASE, customers: 1_000_000 });
    const first = it1.next();
    expect(first.done).toBe(false);
    expect(first.value?.customer.externalId).toBe(book[0]!.customer.externalId);
  });

  it('is deterministic and seed-sensitive', () => {
    const a = take(BASE, 50);
    const b = take(BASE, 50);
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).toBe(JSON.stringify(book.slice(0, 50)));

    const c = take({ ...BASE, seed: 43 }, 50);
    expect(c.map((x) => x.customer.externalId)).toEqual(a.map((x) => x.customer.externalId));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
    // most customers differ, not just one field somewhere
    const differing = a.filter((x, i) => JSON.stringify(x.activity) !== JSON.stringify(c[i]!.activity)).length;
    expect(differing).toBeGreaterThan(40);
  });

  it("customer i's data does not depend on the book size", () => {
    const small = take({ ...BASE, customers: 120 });
    const big = take({ ...BASE, customers: 5000 }, 120);
    // the manager pool depends on the book size; everything else must match
    const strip = (g: GeneratedCustomer) => ({
      ...g,
      customer: { ...g.customer, accountManager: null },
    });
    expect(small.map(strip)).toEqual(big.map(strip));
  });

  it('produces valid, consistent rows', () => {
    // Plain checks collected into a list (one expect per row would be far too slow).
    const problems: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok && problems.length < 20) problems.push(what);
    };
    const ids = new Set<string>();
    const addId = (id: string) => {
      check(!ids.has(id), `duplicate externalId ${id}`);
      ids.add(id);
    };
    const managers = new Set<string>();
    let activityRows = 0;
    let customerMonths = 0;
    let resolved = 0;
    let open = 0;

    for (const { customer, activity, complaints, spend, truth } of book) {
      const cid = customer.externalId;
      addId(cid);
      managers.add(customer.accountManager.email);
      check(/^am\d{2}@example\.com$/.test(customer.accountManager.email), `${cid} manager email`);
      check(customer.accountManager.name.length > 0, `${cid} manager name`);
      check(customer.currency === 'USD', `${cid} currency`);
      check(/^\d+\.\d{2}$/.test(customer.monthlyRevenue), `${cid} monthlyRevenue format`);
      check(Number(customer.monthlyRevenue) > 0, `${cid} monthlyRevenue > 0`);
      if (customer.email !== undefined) {
        check(/^billing@[a-z0-9-]+\.example$/.test(customer.email), `${cid} email`);
      }
      check(ISO.test(customer.signupAt), `${cid} signupAt format`);
      const signupMs = Date.parse(customer.signupAt);
      check(signupMs <= asOfMs, `${cid} signupAt after asOf`);

      // status / churnedAt / truth consistency
      check(truth.externalId === cid, `${cid} truth id`);
      const churned = customer.status === 'churned';
      check(churned || customer.status === 'active', `${cid} status`);
      check(churned === (customer.churnedAt !== undefined), `${cid} status vs churnedAt`);
      check(churned === (truth.churnedAt !== null), `${cid} status vs truth`);
      check(churned === (truth.pattern === 'declining-churn' || truth.pattern === 'silent-churn'), `${cid} status vs pattern`);
      let endMs = asOfMs;
      if (churned && customer.churnedAt !== undefined && truth.churnedAt) {
        check(ISO.test(customer.churnedAt), `${cid} churnedAt format`);
        const churnMs = Date.parse(customer.churnedAt);
        check(churnMs === truth.churnedAt.getTime(), `${cid} churnedAt vs truth`);
        check(churnMs <= asOfMs, `${cid} churnedAt after asOf`);
        check(churnMs >= wsMs, `${cid} churnedAt before window`);
        check(churnMs > signupMs, `${cid} churnedAt before signup`);
        endMs = churnMs;
      } else {
        check(
          customer.renewalAt !== undefined && Date.parse(customer.renewalAt) > asOfMs,
          `${cid} active customer renewalAt in the future`,
        );
      }
      const lower = Math.max(signupMs, wsMs);
      const inRange = (ts: string, what: string): number => {
        const t = Date.parse(ts);
        check(ISO.test(ts), `${what} format ${ts}`);
        check(t <= asOfMs, `${what} after asOf`);
        check(t <= endMs, `${what} after churnedAt`);
        check(t >= lower, `${what} before signup/window`);
        return t;
      };

      for (const a of activity) {
        addId(a.externalId);
        check(a.customerId === cid, `${a.externalId} customerId`);
        check(a.type === 'login' || a.type === 'report_view' || a.type === 'api_call', `${a.externalId} type`);
        check(Number.isInteger(a.quantity) && a.quantity >= 1, `${a.externalId} quantity`);
        inRange(a.occurredAt, a.externalId);
      }
      for (const c of complaints) {
        addId(c.externalId);
        check(c.customerId === cid, `${c.externalId} customerId`);
        check(['low', 'medium', 'high', 'critical'].includes(c.severity), `${c.externalId} severity`);
        check(['billing', 'outage', 'bug', 'support', 'onboarding'].includes(c.category), `${c.externalId} category`);
        const opened = inRange(c.openedAt, c.externalId);
        if (c.status === 'resolved') {
          resolved++;
          check(c.resolvedAt !== undefined, `${c.externalId} resolved without resolvedAt`);
          if (c.resolvedAt !== undefined) {
            check(inRange(c.resolvedAt, c.externalId) >= opened, `${c.externalId} resolvedAt < openedAt`);
          }
          if (c.satisfaction !== undefined) {
            check(
              Number.isInteger(c.satisfaction) && c.satisfaction >= 1 && c.satisfaction <= 5,
              `${c.externalId} satisfaction ${c.satisfaction}`,
            );
          }
        } else {
          open++;
          check(c.status === 'open', `${c.externalId} status`);
          check(c.resolvedAt === undefined && c.satisfaction === undefined, `${c.externalId} open but resolved`);
        }
      }
      let lastInvoice = 0;
      for (const s of spend) {
        addId(s.externalId);
        check(s.customerId === cid, `${s.externalId} customerId`);
        check(s.currency === 'USD', `${s.externalId} currency`);
        check(/^\d+\.\d{2}$/.test(s.amount) && Number(s.amount) > 0, `${s.externalId} amount ${s.amount}`);
        inRange(s.occurredAt, s.externalId);
        if (s.kind === 'invoice') lastInvoice = Number(s.amount);
        else if (s.kind === 'refund') check(Number(s.amount) < lastInvoice, `${s.externalId} refund >= invoice`);
        else check(s.kind === 'payment', `${s.externalId} kind`);
      }

      activityRows += activity.length;
      customerMonths += Math.max(0, endMs - lower) / (30.4375 * DAY);
    }

    expect(problems).toEqual([]);
    expect(ids.size).toBeGreaterThan(100_000); // the uniqueness check covered real volume
    expect(managers.size).toBeGreaterThanOrEqual(3);
    expect(managers.size).toBeLessThanOrEqual(50);
    expect(Math.abs(managers.size - 50)).toBeLessThanOrEqual(2); // 2000 customers / 40
    expect(resolved).toBeGreaterThan(open);
    expect(open).toBeGreaterThan(0);
    const rowsPerMonth = activityRows / customerMonths;
    expect(rowsPerMonth).toBeGreaterThanOrEqual(10);
    expect(rowsPerMonth).toBeLessThanOrEqual(20);
  });

  it('rejects invalid options', () => {
    expect(() => generateBook({ ...BASE, months: 0 }).next()).toThrow(RangeError);
    expect(() => generateBook({ ...BASE, customers: -1 }).next()).toThrow(RangeError);
    expect(() => generateBook({ ...BASE, asOf: new Date('nope') }).next()).toThrow(RangeError);
  });

  it('has a realistic book: churn rate, patterns, segments, revenue, seasonality', () => {
    const n = book.length;
    const churned = book.filter((g) => g.truth.churnedAt !== null).length;
    expect(churned / n).toBeGreaterThanOrEqual(0.15);
    expect(churned / n).toBeLessThanOrEqual(0.25);

    const count = (p: string) => book.filter((g) => g.truth.pattern === p).length;
    const declChurn = count('declining-churn');
    const silent = count('silent-churn');
    const declStays = count('declining-stays');
    // ~86 % of churners decline first, ~14 % churn silently
    expect(declChurn / churned).toBeGreaterThan(0.78);
    expect(declChurn / churned).toBeLessThan(0.93);
    expect(silent).toBeGreaterThan(0);
    expect(declStays / (n - churned)).toBeGreaterThan(0.06);
    expect(declStays / (n - churned)).toBeLessThan(0.14);

    const seg = (s: string) => book.filter((g) => g.customer.segment === s);
    expect(seg('enterprise').length / n).toBeGreaterThan(0.07);
    expect(seg('enterprise').length / n).toBeLessThan(0.13);
    expect(seg('mid-market').length / n).toBeGreaterThan(0.25);
    expect(seg('mid-market').length / n).toBeLessThan(0.35);
    expect(seg('smb').length / n).toBeGreaterThan(0.54);
    expect(seg('smb').length / n).toBeLessThan(0.66);

    const medRev = (s: string) => median(seg(s).map((g) => Number(g.customer.monthlyRevenue)));
    expect(medRev('enterprise')).toBeGreaterThan(2000);
    expect(medRev('enterprise')).toBeLessThan(30000);
    expect(medRev('smb')).toBeGreaterThan(20);
    expect(medRev('smb')).toBeLessThan(1000);
    expect(medRev('mid-market')).toBeGreaterThan(medRev('smb'));
    expect(medRev('enterprise')).toBeGreaterThan(medRev('mid-market'));

    // some customers signed up before the window, some inside it
    const before = book.filter((g) => Date.parse(g.customer.signupAt) < wsMs).length;
    expect(before / n).toBeGreaterThan(0.5);
    expect(before / n).toBeLessThan(0.95);

    // weekly seasonality: weekend days much quieter than weekdays for people,
    // less so for automated API traffic
    const perDay = { people: [0, 0], api: [0, 0] }; // [weekday, weekend] quantity
    for (const g of book) {
      for (const a of g.activity) {
        const dow = new Date(a.occurredAt).getUTCDay();
        const bucket = a.type === 'api_call' ? perDay.api : perDay.people;
        bucket[dow === 0 || dow === 6 ? 1 : 0]! += a.quantity;
      }
    }
    const weekendRatio = (b: number[]) => b[1]! / 2 / (b[0]! / 5);
    expect(weekendRatio(perDay.people)).toBeLessThan(0.3);
    expect(weekendRatio(perDay.api)).toBeLessThan(1);
    expect(weekendRatio(perDay.api)).toBeGreaterThan(weekendRatio(perDay.people));

    // healthy customers rarely complain (~0.1 per month)
    let stableComplaints = 0;
    let stableMonths = 0;
    for (const g of book) {
      if (g.truth.pattern !== 'stable') continue;
      stableComplaints += g.complaints.length;
      const lower = Math.max(Date.parse(g.customer.signupAt), wsMs);
      stableMonths += Math.max(0, asOfMs - lower) / (30.4375 * DAY);
    }
    const rate = stableComplaints / stableMonths;
    expect(rate).toBeGreaterThan(0.05);
    expect(rate).toBeLessThan(0.2);
  });

  it('has a learnable but not trivial activity signal', () => {
    // point-in-time feature: activity in the last 30 days vs the 30 before
    const ratioAt = (g: GeneratedCustomer, t: number): number => {
      let last = 0;
      let prev = 0;
      for (const a of g.activity) {
        const ts = Date.parse(a.occurredAt);
        if (ts > t) continue;
        if (ts > t - 30 * DAY) last += a.quantity;
        else if (ts > t - 60 * DAY) prev += a.quantity;
      }
      return (last + 1) / (prev + 1);
    };

    /** the ratio for churners `leadDays` before churn, and for stayers as of asOf */
    const ratios = (leadDays: number) => {
      const churners: number[] = [];
      const stayers: number[] = [];
      for (const g of book) {
        const signupMs = Date.parse(g.customer.signupAt);
        if (g.truth.churnedAt) {
          const t = g.truth.churnedAt.getTime() - leadDays * DAY;
          if (t - 60 * DAY < wsMs) continue; // both 30-day windows inside the history
          if (signupMs > t - 60 * DAY) continue;
          churners.push(ratioAt(g, t));
        } else {
          if (signupMs > asOfMs - 60 * DAY) continue;
          stayers.push(ratioAt(g, asOfMs));
        }
      }
      // lower ratio => more likely to churn, so score = -ratio
      const a = auc(
        churners.map((r) => -r),
        stayers.map((r) => -r),
      );
      return { churners, stayers, medChurn: median(churners), medStay: median(stayers), auc: a };
    };

    // the day before churn
    const late = ratios(1);
    expect(late.churners.length).toBeGreaterThan(150);
    expect(late.stayers.length).toBeGreaterThan(1000);
    expect(late.medChurn).toBeLessThan(late.medStay * 0.8);
    expect(late.auc).toBeGreaterThan(0.6);
    expect(late.auc).toBeLessThan(0.95);

    // two months before churn: declines start 8-20 weeks before churn, so the warning is
    // already visible (needed for a 90-day horizon), if weaker
    const early = ratios(60);
    expect(early.churners.length).toBeGreaterThan(150);
    expect(early.medChurn).toBeLessThan(early.medStay * 0.9);
    expect(early.auc).toBeGreaterThan(0.56);
    expect(early.auc).toBeLessThan(late.auc + 0.05);
  });
  it('declining churners also show complaint and spend symptoms before churn', () => {
    // as of the day before churn (churners) or asOf (everyone else), with 180 days of history
    const bad: Record<string, number[]> = {};
    const payRatio: Record<string, number[]> = {};
    for (const g of book) {
      const t = g.truth.churnedAt ? g.truth.churnedAt.getTime() - DAY : asOfMs;
      if (Date.parse(g.customer.signupAt) > t - 180 * DAY || t - 180 * DAY < wsMs) continue;
      let severeOrOpen = 0;
      for (const c of g.complaints) {
        const opened = Date.parse(c.openedAt);
        if (opened > t || opened <= t - 90 * DAY) continue;
        const open = c.resolvedAt === undefined || Date.parse(c.resolvedAt) > t;
        if (c.severity === 'high' || c.severity === 'critical' || open) severeOrOpen++;
      }
      let paidLast = 0;
      let paidPrev = 0;
      for (const s of g.spend) {
        const at = Date.parse(s.occurredAt);
        if (s.kind !== 'payment' || at > t) continue;
        if (at > t - 90 * DAY) paidLast += Number(s.amount);
        else if (at > t - 180 * DAY) paidPrev += Number(s.amount);
      }
      (bad[g.truth.pattern] ??= []).push(severeOrOpen);
      (payRatio[g.truth.pattern] ??= []).push((paidLast + 1) / (paidPrev + 1));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(bad['declining-churn']!.length).toBeGreaterThan(80);
    expect(bad['stable']!.length).toBeGreaterThan(800);
    // healthy customers: an occasional complaint, rarely severe or left open
    expect(mean(bad['stable']!)).toBeLessThan(0.3);
    expect(mean(bad['declining-churn']!)).toBeGreaterThan(5 * mean(bad['stable']!));
    // silent churners give no complaint warning
    expect(mean(bad['silent-churn']!)).toBeLessThan(3 * mean(bad['stable']!) + 0.1);
    // spend: payments fall (late, missing, downgraded) for declining churners only
    expect(median(payRatio['stable']!)).toBeGreaterThan(0.9);
    expect(median(payRatio['stable']!)).toBeLessThan(1.1);
    expect(median(payRatio['declining-churn']!)).toBeLessThan(0.85);
  });

  it('scales activity, payments and complaints by eventRate, and leaves the demo book as it is at 1', () => {
    const small: BookOptions = { ...BASE, customers: 300 };
    const totals = (eventRate?: number) => {
      let activity = 0;
      let payments = 0;
      let paid = 0;
      let complaints = 0;
      for (const g of generateBook({ ...small, eventRate })) {
        for (const a of g.activity) activity += a.quantity;
        for (const s of g.spend.filter((row) => row.kind === 'payment')) {
          payments++;
          paid += Number(s.amount);
        }
        complaints += g.complaints.length;
      }
      return { activity, payments, paid, complaints };
    };
    expect(JSON.stringify(take({ ...small, eventRate: 1 }))).toBe(JSON.stringify(take(small)));
    const demo = totals();
    for (const rate of [0.1, 10]) {
      const t = totals(rate);
      // the same customers and fates, ~rate times the events; the same revenue a month
      expect(t.activity / demo.activity).toBeGreaterThan(rate * 0.7);
      expect(t.activity / demo.activity).toBeLessThan(rate * 1.4);
      expect(t.complaints / demo.complaints).toBeGreaterThan(rate * 0.7);
      expect(t.complaints / demo.complaints).toBeLessThan(rate * 1.4);
      expect(t.payments / demo.payments).toBeGreaterThan(rate * 0.6);
      expect(t.payments / demo.payments).toBeLessThan(rate * 1.4);
      expect(t.paid / demo.paid).toBeGreaterThan(0.6);
      expect(t.paid / demo.paid).toBeLessThan(1.4);
    }
    expect(() => take({ ...small, eventRate: 0 })).toThrow(RangeError);
  });

  it('adds economics (channel, own costs, surveys, pooled costs) deterministically, leaving the signals as they are', () => {
    const small: BookOptions = { ...BASE, customers: 600 };
    const plain = take(small);
    const withEconomics = take({ ...small, economics: true });
    const signals = (g: GeneratedCustomer) => ({
      ...g,
      customer: { ...g.customer, acquisitionChannel: undefined },
      costs: [],
      surveys: [],
    });
    expect(JSON.stringify(withEconomics.map(signals))).toBe(JSON.stringify(plain.map(signals)));
    expect(plain.every((g) => g.costs.length === 0 && g.surveys.length === 0 && g.customer.acquisitionChannel === undefined)).toBe(true);
    expect(JSON.stringify(take({ ...small, economics: true }))).toBe(JSON.stringify(withEconomics));
    expect(withEconomics.every((g) => (CHANNELS as readonly string[]).includes(g.customer.acquisitionChannel ?? ''))).toBe(true);

    const wsMs = windowStart(AS_OF, small.months);
    for (const g of withEconomics) {
      const signup = Date.parse(g.customer.signupAt);
      const churn = g.customer.churnedAt ? Date.parse(g.customer.churnedAt) : Infinity;
      for (const c of g.costs) {
        const at = Date.parse(c.occurredAt);
        expect(c.customerId).toBe(g.customer.externalId);
        expect(at >= wsMs && at <= AS_OF.getTime() && at >= signup).toBe(true);
        expect(Number(c.amount)).toBeGreaterThan(0);
      }
      for (const v of g.surveys) {
        const at = Date.parse(v.respondedAt);
        expect(at >= signup && at < churn && at <= AS_OF.getTime()).toBe(true);
        expect(v.kind === 'nps' ? v.score >= 0 && v.score <= 10 : v.score >= 1 && v.score <= 5).toBe(true);
      }
      expect(new Set(g.surveys.map((v) => v.externalId)).size).toBe(g.surveys.length);
    }
    // Answers fall with a decline: churners who declined answer NPS lower in their last 90 days than stable customers.
    const lastNps = (p: GeneratedCustomer['truth']['pattern']) =>
      withEconomics
        .filter((g) => g.truth.pattern === p)
        .flatMap((g) =>
          g.surveys.filter(
            (v) => v.kind === 'nps' && (!g.truth.churnedAt || Date.parse(v.respondedAt) > g.truth.churnedAt.getTime() - 90 * DAY),
          ),
        )
        .map((v) => v.score);
    expect(median(lastNps('declining-churn'))).toBeLessThan(median(lastNps('stable')));

    // Pooled: one acquisition cost per channel and month, amounts following the month's sign-ups.
    const tally = economicsTally({ ...small, economics: true });
    for (const g of withEconomics) tally.add(g.customer);
    const pooled = tally.pooledCosts();
    expect(
      pooled.every((c) => c.customerId === undefined && Date.parse(c.occurredAt) >= wsMs && Date.parse(c.occurredAt) <= AS_OF.getTime()),
    ).toBe(true);
    expect(new Set(pooled.map((c) => c.externalId)).size).toBe(pooled.length);
    const acquisition = pooled.filter((c) => c.category === 'acquisition');
    expect(acquisition.length).toBe(CHANNELS.length * 13);
    const again = economicsTally({ ...small, economics: true });
    for (const g of withEconomics) again.add(g.customer);
    expect(again.pooledCosts()).toEqual(pooled);
  });
});
