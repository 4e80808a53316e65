import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_TEST_CONFIG, AlertBook } from '../support/alert-book';
import { complaintRow, customerRow, spendRow } from '../support/factories';
import { TestApp, startTestApp } from '../support/test-app';

/**
 * GET /v1/economics and the customer page's economics on a small book worked out by hand.
 *
 * Months are UTC months counted back from the current one (M0): A = M0−3, B = M0−2,
 * C = M0−1, and O = M0−5 for the old customers. Config: monthly discount exactly 1 %
 * (annual rate 1.01¹² − 1), a 3-month CLV horizon, complaint handling low 10, medium 20,
 * high 50, critical 100; pooled costs shared equally.
 *
 * Segment smb (all USD):
 *   s1  signed up A, channel search, 100/month, am1
 *   s2  signed up A, channel search, 300/month, am2
 *   p1  signed up B, channel partner, 200/month, am1
 *   o1  signed up O, no channel, 100/month, am1, churned in B
 * Segment ent: e1 signed up O, 1,000/month, am2, active.
 *
 * Costs:
 *   pooled acquisition 1,000 search in A   → s1, s2 (search sign-ups in A): 500 each
 *   s1's own acquisition 200 in A          → s1
 *   pooled acquisition 600 partner in B    → p1
 *   pooled acquisition 300 search in B     → no search sign-up in B: unallocated
 *   pooled retention 400 smb in B          → active smb in B: s1, s2, p1, o1: 100 each
 *   pooled service 90 smb in C             → active smb in C: s1, s2, p1: 30 each
 *   pooled win-back 50 smb in C            → smb churned within 12 months: o1
 *   p1's own service 25 in C               → p1
 *   complaints: s2 low in B → 10; s1 high in C → 50; p1 critical in C → none (p1 has its
 *   own service cost in C, which stands for its complaints that month)
 */
let t: TestApp;
let alertId = 0;
const now = new Date();
const y = now.getUTCFullYear();
const m = now.getUTCMonth();
const at = (back: number, day: number) => new Date(Date.UTC(y, m - back, day, 12)).toISOString();
const ym = (back: number) => new Date(Date.UTC(y, m - back, 1)).toISOString().slice(0, 7);
const [A, B, C, M0] = [ym(3), ym(2), ym(1), ym(0)];
const auth = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });
const get = (path: string, role: keyof TestApp['keys'] = 'lead') => request(t.http).get(path).set(auth(role));

async function post(path: string, body: object[]): Promise<void> {
  const res = await request(t.http).post(path).set(auth('ingest')).send(body);
  expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(200);
}

/** smb's S = 1 − churned ÷ customer-months = 1 − 1/15 (s1 A..M0 4, s2 4, p1 B..M0 3, o1 O..B 4); q = S / 1.01. */
const q = 14 / 15 / 1.01;
/** Σ_{t=1..3} qᵗ ≈ 2.567165 */
const annuity = q + q ** 2 + q ** 3;
const money = (x: number) => x.toFixed(4);

type Month = Record<'cac' | 'crc' | 'csc' | 'ccc', { value: string | null; formula: string; inputs: Record<string, unknown> }> & {
  month: string;
};
type Group = { group: string | null; currency: string; months: Month[] };
const monthOf = (body: { groups: Group[] }, group: string | null, month: string): Month | undefined =>
  body.groups.find((g) => g.group === group)?.months.find((x) => x.month === month);

beforeAll(async () => {
  t = await startTestApp(
    {},
    {
      ...ALERT_TEST_CONFIG,
      economics: {
        annualDiscountRate: 1.01 ** 12 - 1,
        horizonMonths: 3,
        complaintHandlingCost: { low: 10, medium: 20, high: 50, critical: 100 },
        allocationDriver: 'equal',
        lostValue: 'clv',
      },
    },
  );
  // An alerted customer of its own segment, scored before the hand book exists (so the
  // book's customers have no score and take their segment's churn rate).
  const alerts = new AlertBook(t);
  await alerts.add([{ id: 'alerted', manager: 'am2@example.com', p: 0.9, segment: 'alerts' }]);
  await alerts.run(1);
  const [a] = await t.sql<{ id: string }>(
    `SELECT a.id FROM alerts a JOIN customers c ON c.id = a.customer_id WHERE c.external_id = 'alerted'`,
  );
  alertId = Number(a!.id);

  const am = (email: string) => ({ email, name: email.split('@')[0] });
  await post('/v1/customers', [
    customerRow({
      externalId: 's1',
      segment: 'smb',
      acquisitionChannel: 'search',
      monthlyRevenue: '100',
      signupAt: at(3, 10),
      accountManager: am('am1@example.com'),
    }),
    customerRow({
      externalId: 's2',
      segment: 'smb',
      acquisitionChannel: 'search',
      monthlyRevenue: '300',
      signupAt: at(3, 20),
      accountManager: am('am2@example.com'),
    }),
    customerRow({
      externalId: 'p1',
      segment: 'smb',
      acquisitionChannel: 'partner',
      monthlyRevenue: '200',
      signupAt: at(2, 5),
      accountManager: am('am1@example.com'),
    }),
    customerRow({
      externalId: 'o1',
      segment: 'smb',
      monthlyRevenue: '100',
      signupAt: at(5, 10),
      churnedAt: at(2, 15),
      accountManager: am('am1@example.com'),
    }),
    customerRow({ externalId: 'e1', segment: 'ent', monthlyRevenue: '1000', signupAt: at(5, 10), accountManager: am('am2@example.com') }),
  ]);
  await post('/v1/costs', [
    { externalId: 'k1', category: 'acquisition', amount: '1000', occurredAt: at(3, 12), channel: 'search' },
    { externalId: 'k2', category: 'acquisition', amount: '200', occurredAt: at(3, 15), customerId: 's1' },
    { externalId: 'k3', category: 'acquisition', amount: '600', occurredAt: at(2, 1), channel: 'partner' },
    { externalId: 'k4', category: 'acquisition', amount: '300', occurredAt: at(2, 3), channel: 'search' },
    { externalId: 'k5', category: 'retention', amount: '400', occurredAt: at(2, 20), segment: 'smb' },
    { externalId: 'k6', category: 'service', amount: '90', occurredAt: at(1, 5), segment: 'smb' },
    { externalId: 'k7', category: 'winback', amount: '50', occurredAt: at(1, 10), segment: 'smb' },
    { externalId: 'k8', category: 'service', amount: '25', occurredAt: at(1, 8), customerId: 'p1' },
  ]);
  await post('/v1/signals/complaints', [
    complaintRow('s2', { openedAt: at(2, 11), severity: 'low' }),
    complaintRow('s1', { openedAt: at(1, 12), severity: 'high' }),
    complaintRow('p1', { openedAt: at(1, 14), severity: 'critical' }),
  ]);
  // s1 paid 100 twice and got 20 back: 180 of revenue to date.
  await post('/v1/signals/spend', [
    spendRow('s1', { occurredAt: at(3, 20), amount: '100', kind: 'payment' }),
    spendRow('s1', { occurredAt: at(2, 20), amount: '100', kind: 'payment' }),
    spendRow('s1', { occurredAt: at(1, 1), amount: '20', kind: 'refund' }),
  ]);
}, 120_000);
afterAll(() => t?.close());

describe('GET /v1/economics', () => {
  it('by segment: CAC, CRC, CSC with severity costs and CCC with discounted lost value', async () => {
    const res = await get(`/v1/economics?from=${A}&to=${C}&by=segment`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.period).toEqual({ from: A, to: C, months: 3 });
    // A: s1 and s2 signed up; 1,000 pooled + 200 of s1's own = 1,200 → CAC 600. o1 was retained, for nothing.
    const a = monthOf(res.body, 'smb', A)!;
    expect(a.cac).toEqual({
      value: '600.0000',
      formula: 'acquisitionSpend ÷ customersAcquired',
      inputs: { acquisitionSpend: '1200.0000', customersAcquired: 2 },
    });
    expect(a.crc).toMatchObject({ value: '0.0000', inputs: { retentionSpend: '0.0000', customersRetained: 1 } });
    // Served: every customer active in the month (s1, s2, o1), none with service costs yet.
    expect(a.csc).toMatchObject({ value: '0.0000', inputs: { serviceSpend: '0.0000', customersServed: 3 } });
    // B: p1 signed up (600 partner; search's 300 found nobody). 400 retention ÷ s1, s2 retained (o1 churned, p1 is new) = 200.
    const b = monthOf(res.body, 'smb', B)!;
    expect(b.cac.inputs).toEqual({ acquisitionSpend: '600.0000', customersAcquired: 1 });
    expect(b.crc).toMatchObject({ value: '200.0000', inputs: { retentionSpend: '400.0000', customersRetained: 2 } });
    // s2's low complaint: 10 ÷ 4 served (active in B: s1, s2, p1, o1).
    expect(b.csc).toMatchObject({ value: '2.5000', inputs: { serviceSpend: '10.0000', customersServed: 4 } });
    // o1 churned: margin 100 − 100 retention ÷ 4 months = 75 a month; lost value 75 × Σ qᵗ ≈ 192.5374.
    expect(b.ccc).toEqual({
      value: money(75 * annuity),
      formula: 'lostValue (Σ over churned customers) + winbackSpend',
      inputs: { lostValue: money(75 * annuity), customersChurned: 1, winbackSpend: '0.0000', lostValueBasis: 'clv' },
    });
    // C: service 30 × 3 pooled + s1's high complaint 50 + p1's own 25 (its critical complaint not charged) = 165 over
    // the 3 active (s1, s2, p1) → 55.
    const c = monthOf(res.body, 'smb', C)!;
    expect(c.csc).toMatchObject({ value: '55.0000', inputs: { serviceSpend: '165.0000', customersServed: 3 } });
    expect(c.cac.value).toBeNull();
    expect(c.crc.inputs).toEqual({ retentionSpend: '0.0000', customersRetained: 3 });
    // Nobody churned in C; the win-back 50 went to o1.
    expect(c.ccc).toMatchObject({ value: '50.0000', inputs: { lostValue: '0.0000', customersChurned: 0, winbackSpend: '50.0000' } });
    // ent: e1 retained every month, no costs.
    expect(monthOf(res.body, 'ent', B)!.crc.inputs).toEqual({ retentionSpend: '0.0000', customersRetained: 1 });
    // Pooled costs, and what found no customer: search's 300 in B.
    expect(res.body.pooled).toEqual(
      expect.arrayContaining([
        { month: B, category: 'acquisition', currency: 'USD', amount: '900.0000', unallocated: '300.0000' },
        { month: A, category: 'acquisition', currency: 'USD', amount: '1000.0000', unallocated: '0.0000' },
      ]),
    );
    expect(res.body.scope).toEqual({ managerEmail: null, pooledCosts: true });
  });

  it('by channel and by cohort', async () => {
    const channel = await get(`/v1/economics?from=${A}&to=${C}&by=channel`);
    expect(channel.status).toBe(200);
    expect(monthOf(channel.body, 'search', A)!.cac).toMatchObject({ value: '600.0000', inputs: { customersAcquired: 2 } });
    // search's 300 in B found nobody: no spend, nobody acquired. Its B retention: 100 each for s1, s2.
    expect(monthOf(channel.body, 'search', B)!.cac).toMatchObject({ value: null, inputs: { acquisitionSpend: '0.0000' } });
    expect(monthOf(channel.body, 'search', B)!.crc).toMatchObject({ value: '100.0000', inputs: { retentionSpend: '200.0000' } });
    expect(monthOf(channel.body, 'partner', B)!.cac).toMatchObject({ value: '600.0000', inputs: { customersAcquired: 1 } });
    const cohort = await get(`/v1/economics?from=${A}&to=${C}&by=cohort`);
    expect(monthOf(cohort.body, A, A)!.cac).toMatchObject({ value: '600.0000', inputs: { acquisitionSpend: '1200.0000' } });
    expect(monthOf(cohort.body, B, B)!.cac).toMatchObject({ value: '600.0000', inputs: { acquisitionSpend: '600.0000' } });
    // The O cohort (o1, e1): o1's lost value in B.
    expect(monthOf(cohort.body, ym(5), B)!.ccc.value).toBe(money(75 * annuity));
  });

  it("a manager key sees only its customers' figures and no pooled costs, in JSON and CSV", async () => {
    const res = await get(`/v1/economics?from=${A}&to=${C}&by=segment`, 'manager');
    expect(res.status).toBe(200);
    expect(res.body.scope).toEqual({ managerEmail: 'am1@example.com', pooledCosts: false });
    expect(res.body.pooled).toBeNull();
    // am1 has s1, p1 and o1: no ent group.
    expect(res.body.groups.map((g: Group) => g.group)).toEqual(['smb']);
    // A: only s1's own 200 for s1 acquired.
    expect(monthOf(res.body, 'smb', A)!.cac).toMatchObject({
      value: '200.0000',
      inputs: { acquisitionSpend: '200.0000', customersAcquired: 1 },
    });
    // C: s1's complaint 50 + p1's own 25 over 2 served.
    expect(monthOf(res.body, 'smb', C)!.csc).toMatchObject({ value: '37.5000', inputs: { serviceSpend: '75.0000', customersServed: 2 } });
    // o1 without pooled costs: margin 100 a month.
    expect(monthOf(res.body, 'smb', B)!.ccc.value).toBe(money(100 * annuity));

    const csv = await get(`/v1/economics.csv?from=${A}&to=${C}&by=segment`, 'manager');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe(
      'group,currency,month,customersAcquired,acquisitionSpend,cac,customersRetained,retentionSpend,crc,customersServed,serviceSpend,csc,customersChurned,lostValue,winbackSpend,ccc,otherSpend',
    );
    expect(lines.slice(1).every((l) => l.startsWith('smb,USD,'))).toBe(true);
    expect(lines).toContain(`smb,USD,${C},0,0.0000,,2,0.0000,0.0000,2,75.0000,37.5000,0,0.0000,0.0000,0.0000,0.0000`);
    const leadCsv = await get(`/v1/economics.csv?from=${A}&to=${C}&by=segment`);
    expect(leadCsv.text).toContain(`smb,USD,${A},2,1200.0000,600.0000,`);
    expect(leadCsv.text).toContain('ent,USD,');
  });

  it('answers 400 naming the field for bad parameters', async () => {
    const cases: Array<[string, string]> = [
      ['from=2024-13', 'from'],
      ['by=week', 'by'],
      [`from=${C}&to=${A}`, 'from'],
      ['from=2020-01&to=2023-12', 'from'],
      ['to=2999-01', 'to'],
      ['limit=5', '(body)'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/v1/economics?${query}`);
      expect(res.status, query).toBe(400);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        query,
      ).toContain(field);
      expect((await get(`/v1/economics.csv?${query}`)).status, query).toBe(400);
    }
    expect((await get(`/v1/economics`, 'ingest')).status).toBe(403);
  });
});

describe('alert outcomes book their action as retention spend', () => {
  const outcome = (body: object) => request(t.http).post(`/v1/alerts/${alertId}/outcome`).set(auth('lead')).send(body);
  const retention = async () => {
    const res = await get(`/v1/economics?from=${M0}&to=${M0}`);
    return monthOf(res.body, 'alerts', M0)!.crc.inputs.retentionSpend;
  };

  it('once per alert: a re-sent outcome books nothing more; a changed one replaces it; an actual cost stands in for it', async () => {
    expect((await outcome({ outcome: 'retained', action: 'executive_call' })).status).toBe(200);
    // executive_call costs 400 in the playbook config.
    expect(await retention()).toBe('400.0000');
    expect((await outcome({ outcome: 'retained', action: 'executive_call' })).status).toBe(200);
    expect(await retention()).toBe('400.0000');
    const page = await get('/v1/customers/alerted');
    expect(page.body.economics.costsToDate.retention).toBe('400.0000');
    // plan_review costs 100.
    expect((await outcome({ outcome: 'retained', action: 'plan_review' })).status).toBe(200);
    expect(await retention()).toBe('100.0000');
    // What the call really cost, sent to the ledger under the alert's key, replaces the configured cost.
    await post('/v1/costs', [
      { externalId: `outcome:${alertId}`, category: 'retention', amount: '130', occurredAt: now.toISOString(), customerId: 'alerted' },
    ]);
    expect(await retention()).toBe('130.0000');
  });

  it("a scored customer's survival comes from its score as a constant monthly hazard", async () => {
    const page = await get('/v1/customers/alerted');
    const p = page.body.score.probability as number;
    // 90-day horizon (model.training.horizonDays): S = (1 − p)^(30.4375 / 90)
    expect(page.body.economics.monthlySurvival).toMatchObject({ inputs: { source: 'score', probability: p, horizonDays: 90 } });
    expect(page.body.economics.monthlySurvival.value).toBeCloseTo((1 - p) ** (30.4375 / 90), 12);
  });
});

describe('the customer page', () => {
  it('adds economics: revenue, costs by category, margin, CLV, CLV ÷ CAC and payback', async () => {
    const res = await get('/v1/customers/s1');
    expect(res.status).toBe(200);
    expect(res.body.customer).toMatchObject({ externalId: 's1', acquisitionChannel: 'search' });
    const e = res.body.economics;
    expect(e.revenueToDate.value).toBe('180.0000');
    // 500 pooled + 200 own; 100 retention share; 30 service share + 50 for its high complaint.
    expect(e.costsToDate).toEqual({
      acquisition: '700.0000',
      retention: '100.0000',
      service: '80.0000',
      winback: '0.0000',
      other: '0.0000',
    });
    expect(e.marginToDate).toMatchObject({ value: '-700.0000', inputs: { revenueToDate: '180.0000', costsToDate: '880.0000' } });
    // 100 − 180 running costs ÷ 4 months (A..M0) = 55 a month.
    expect(e.monthlyMargin).toMatchObject({
      value: '55.0000',
      inputs: { monthlyRevenue: '100.0000', runningCosts: '180.0000', tenureMonths: 4 },
    });
    expect(e.monthlySurvival).toMatchObject({ inputs: { source: 'segment', segmentChurned: 1, segmentCustomerMonths: 15 } });
    // CLV = 55 × Σ qᵗ ≈ 141.1941; ÷ 700 ≈ 0.2017; payback 700 ÷ 55 ≈ 12.73 months.
    expect(e.clv.value).toBe(money(55 * annuity));
    expect(e.clv.inputs).toMatchObject({ monthlyMargin: '55.0000', horizonMonths: 3 });
    expect(e.clvToCac.value).toBeCloseTo((55 * annuity) / 700, 4);
    expect(e.cacPaybackMonths).toMatchObject({ value: 12.73, formula: 'cac ÷ monthlyMargin' });

    // A manager's page leaves pooled shares out: only s1's own 200 of acquisition.
    const mine = await get('/v1/customers/s1', 'manager');
    expect(mine.body.economics).toMatchObject({
      includesPooledCosts: false,
      costsToDate: { acquisition: '200.0000', retention: '0.0000', service: '50.0000' },
    });
  });
});

describe('the other rules: pooled costs by revenue, lost value as annual revenue', () => {
  let t2: TestApp;
  beforeAll(async () => {
    t2 = await startTestApp({}, { economics: { allocationDriver: 'revenue', lostValue: 'annualRevenue' } });
    const send = async (path: string, body: object[]) =>
      expect((await request(t2.http).post(path).set('Authorization', `Bearer ${t2.keys.ingest}`).send(body)).status).toBe(200);
    await send('/v1/customers', [
      customerRow({ externalId: 'r1', segment: 'smb', monthlyRevenue: '100', signupAt: at(5, 10) }),
      customerRow({ externalId: 'r2', segment: 'smb', monthlyRevenue: '300', signupAt: at(5, 10) }),
      customerRow({ externalId: 'r3', segment: 'smb', monthlyRevenue: '200', signupAt: at(5, 10), churnedAt: at(2, 25) }),
    ]);
    // 600 for smb in B, shared 100 : 300 : 200 by monthly revenue (r3 was still active in B).
    await send('/v1/costs', [{ externalId: 'pool', category: 'retention', amount: '600', occurredAt: at(2, 20), segment: 'smb' }]);
  }, 60_000);
  afterAll(() => t2?.close());

  it('shares by revenue and counts a churner at 12 × its monthly revenue', async () => {
    const res = await request(t2.http).get(`/v1/economics?from=${B}&to=${B}`).set('Authorization', `Bearer ${t2.keys.lead}`);
    expect(res.status).toBe(200);
    const b = monthOf(res.body, 'smb', B)!;
    // 600 ÷ r1, r2 retained = 300
    expect(b.crc).toMatchObject({ value: '300.0000', inputs: { retentionSpend: '600.0000', customersRetained: 2 } });
    // r3: 12 × 200
    expect(b.ccc).toMatchObject({
      value: '2400.0000',
      inputs: { lostValue: '2400.0000', customersChurned: 1, lostValueBasis: 'annualRevenue' },
    });
    const page = await request(t2.http).get('/v1/customers/r2').set('Authorization', `Bearer ${t2.keys.lead}`);
    expect(page.body.economics.costsToDate.retention).toBe('300.0000');
  });
});
