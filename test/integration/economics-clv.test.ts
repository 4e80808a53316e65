import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { customerRow } from '../support/factories';
import { TestApp, startTestApp } from '../support/test-app';

/**
 * GET /v1/economics/clv on a book worked out by hand. UTC months back from the current one
 * (M0): A = M0−3, B = M0−2. Config: monthly discount exactly 1 %, a 3-month CLV horizon,
 * pooled costs shared equally. Nobody has a score and nobody churned: survival from the
 * segment's churn rate is 1, so CLV = monthlyMargin × (q + q² + q³), q = 1 / 1.01.
 *
 *   s1  smb, search,  100/month, signed up in A (tenure 4 months), am1
 *   s2  smb, search,  300/month, signed up in A (4 months), am2
 *   p1  smb, partner, 200/month, signed up in B (3 months), am1
 *   x1  segment gone, search, churned: not an active customer, in no figure here (its own
 *       segment, so smb's churn rate stays 0)
 *
 * Costs: pooled acquisition 1,000 search in A → s1, s2 500 each; s1's own acquisition 200;
 * pooled acquisition 600 partner in B → p1; pooled retention 300 smb in B → s1, s2, p1 100
 * each (x1 churned before B); s2's own service 40.
 *
 *   s1  running 100 → margin 100 − 100/4 = 75;    CAC 700
 *   s2  running 140 → margin 300 − 140/4 = 265;   CAC 500
 *   p1  running 100 → margin 200 − 100/3 = 166.6667; CAC 600
 *
 * A manager (am1) sees s1 and p1 without pooled shares: margins 100 and 200, CAC 200 and 0.
 */
let t: TestApp;
const now = new Date();
const at = (back: number, day: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, day, 12)).toISOString();
const q = 1 / 1.01;
const annuity = q + q ** 2 + q ** 3;
const money = (x: number) => x.toFixed(4);
const get = (path: string, key: string) => request(t.http).get(path).set('Authorization', `Bearer ${key}`);

async function post(path: string, body: object[]): Promise<void> {
  const res = await request(t.http).post(path).set('Authorization', `Bearer ${t.keys.ingest}`).send(body);
  expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(200);
}

beforeAll(async () => {
  t = await startTestApp(
    {},
    { economics: { annualDiscountRate: 1.01 ** 12 - 1, horizonMonths: 3, allocationDriver: 'equal', lostValue: 'clv' } },
  );
  const am = (email: string) => ({ email, name: email.split('@')[0] });
  await post('/v1/customers', [
    customerRow({
      externalId: 's1',
      acquisitionChannel: 'search',
      monthlyRevenue: '100',
      signupAt: at(3, 10),
      accountManager: am('am1@example.com'),
    }),
    customerRow({
      externalId: 's2',
      acquisitionChannel: 'search',
      monthlyRevenue: '300',
      signupAt: at(3, 20),
      accountManager: am('am2@example.com'),
    }),
    customerRow({
      externalId: 'p1',
      acquisitionChannel: 'partner',
      monthlyRevenue: '200',
      signupAt: at(2, 5),
      accountManager: am('am1@example.com'),
    }),
    customerRow({
      externalId: 'x1',
      segment: 'gone',
      acquisitionChannel: 'search',
      monthlyRevenue: '900',
      signupAt: at(8, 5),
      churnedAt: at(6, 5),
      status: 'churned',
      accountManager: am('am1@example.com'),
    }),
  ]);
  await post('/v1/costs', [
    { externalId: 'k1', category: 'acquisition', amount: '1000', occurredAt: at(3, 12), channel: 'search' },
    { externalId: 'k2', category: 'acquisition', amount: '200', occurredAt: at(3, 15), customerId: 's1' },
    { externalId: 'k3', category: 'acquisition', amount: '600', occurredAt: at(2, 1), channel: 'partner' },
    { externalId: 'k4', category: 'retention', amount: '300', occurredAt: at(2, 20), segment: 'smb' },
    { externalId: 'k5', category: 'service', amount: '40', occurredAt: at(1, 8), customerId: 's2' },
  ]);
});
afterAll(() => t?.close());

describe('GET /v1/economics/clv', () => {
  it('sums each active customer’s CLV and CAC per channel, with CLV ÷ CAC and its formula', async () => {
    const res = await get('/v1/economics/clv?by=channel', t.keys.lead);
    expect(res.status).toBe(200);
    expect(res.body.scope).toEqual({ managerEmail: null, pooledCosts: true });
    const [partner, search] = res.body.groups;
    expect(res.body.groups.map((g: { group: string }) => g.group)).toEqual(['partner', 'search']);
    const clv = { s1: 75 * annuity, s2: 265 * annuity, p1: Number(money(200 - 100 / 3)) * annuity };
    expect(search).toMatchObject({ currency: 'USD', customers: 2, cac: { value: '1200.0000' } });
    expect(Number(search.clv.value)).toBeCloseTo(clv.s1 + clv.s2, 3);
    expect(search.clvToCac.value).toBeCloseTo((clv.s1 + clv.s2) / 1200, 3);
    expect(search.clvToCac).toMatchObject({
      formula: 'Σ clv ÷ Σ cac over the customers with an acquisition cost (null without any)',
      inputs: { cac: '1200.0000', customersWithCac: 2 },
    });
    expect(partner).toMatchObject({ customers: 1, cac: { value: '600.0000' } });
    expect(Number(partner.clv.value)).toBeCloseTo(clv.p1, 3);
    // The percentiles of the two search customers: p50 halfway between them.
    expect(Number(search.clvPercentiles.p50)).toBeCloseTo((clv.s1 + clv.s2) / 2, 3);
  });

  it('agrees with the customer pages, whose CLVs it adds up', async () => {
    const res = await get('/v1/economics/clv?by=segment', t.keys.lead);
    const pages = await Promise.all(['s1', 's2', 'p1'].map((id) => get(`/v1/customers/${id}`, t.keys.lead)));
    const sum = pages.reduce((s, p) => s + Number(p.body.economics.clv.value), 0);
    const cac = pages.reduce((s, p) => s + Number(p.body.economics.cac.value), 0);
    expect(res.body.groups).toHaveLength(1);
    expect(Number(res.body.groups[0].clv.value)).toBeCloseTo(sum, 3);
    expect(Number(res.body.groups[0].cac.value)).toBeCloseTo(cac, 4);
  });

  it('gives the CLV histogram: 10 bins of equal ratio from the lowest to the highest CLV (all positive), each customer in one', async () => {
    const res = await get('/v1/economics/clv?by=cohort', t.keys.lead);
    const bins = res.body.distribution;
    const [lo, hi] = [75 * annuity, 265 * annuity];
    expect(bins).toHaveLength(10);
    expect(Number(bins[0].from)).toBeCloseTo(lo, 3);
    expect(Number(bins[6].from)).toBeCloseTo(lo * (hi / lo) ** 0.6, 3);
    expect(Number(bins[9].to)).toBeCloseTo(hi, 3);
    // p1 (166.67): ln(166.67 / 75) ÷ ln(265 / 75) = 0.63 of the way: the 7th bin.
    expect(bins.map((b: { customers: number }) => b.customers)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 1]);
    // Cohorts: the signup months.
    expect(res.body.groups.map((g: { group: string; customers: number }) => [g.group, g.customers])).toEqual([
      [at(3, 1).slice(0, 7), 2],
      [at(2, 1).slice(0, 7), 1],
    ]);
  });

  it('shows a manager only its own customers, without shares of pooled costs', async () => {
    const { key } = await t.app.get(ApiKeysService).create({
      role: 'manager',
      name: 'am1',
      email: 'am1@example.com',
    });
    const res = await get('/v1/economics/clv?by=channel', key);
    expect(res.body.scope).toEqual({ managerEmail: 'am1@example.com', pooledCosts: false });
    const byGroup = Object.fromEntries(res.body.groups.map((g: { group: string }) => [g.group, g]));
    expect(byGroup.search).toMatchObject({ customers: 1, cac: { value: '200.0000' } });
    expect(Number(byGroup.search.clv.value)).toBeCloseTo(100 * annuity, 3);
    // p1 has no acquisition cost of its own: no ratio.
    expect(byGroup.partner).toMatchObject({
      customers: 1,
      cac: { value: '0.0000' },
      clvToCac: { value: null, inputs: { customersWithCac: 0 } },
    });
    expect(byGroup.search.clvToCac.value).toBeCloseTo((100 * annuity) / 200, 3);
    expect(Number(byGroup.partner.clv.value)).toBeCloseTo(200 * annuity, 3);
  });

  it('refuses a bad grouping or a period (a value as of now) with a 400 naming the field, and other roles', async () => {
    const bad = await get('/v1/economics/clv?by=plan', t.keys.lead);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('by');
    expect((await get('/v1/economics/clv?from=2026-01', t.keys.lead)).status).toBe(400);
    expect((await get('/v1/economics/clv', t.keys.ingest)).status).toBe(403);
    expect((await request(t.http).get('/v1/economics/clv')).status).toBe(401);
  });
});
