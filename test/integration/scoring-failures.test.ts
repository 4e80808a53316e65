import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ACTIVITY_QUANTITY, MAX_MONEY } from '../../src/ingestion/value-limits';
import { activityRow, complaintRow, customerRow, iso, spendRow } from '../support/factories';
import { FORMATS, encode, post } from '../support/formats';
import { runScoring } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';
import type { Json } from '../support/json';

/**
 * Issue 18 item 1: ingestion accepts only numbers every later column and computation can
 * hold, and a customer whose stored values still break scoring (stored before those limits)
 * is skipped and reported by the run instead of failing it, until an operator fixes it.
 */
let t: TestApp;
const CHUNK = 10;

beforeAll(async () => {
  t = await startTestApp({}, { scoring: { chunkSize: CHUNK } });
});
afterAll(() => t?.close());

const ingest = (path: string, rows: Array<Record<string, unknown>>, format: (typeof FORMATS)[number] = 'json') =>
  post(t.http, path, t.keys.ingest, encode(rows, format), format);
const scheduler = () => ({ Authorization: `Bearer ${t.keys.scheduler}` });

/** A metric's value in /metrics (one line without labels). */
async function metric(name: string): Promise<number | undefined> {
  const res = await request(t.http).get('/metrics');
  const line = (res.text as string).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** A customer who looks like leaving: no activity, open critical complaints, no payments. */
async function riskyCustomer(externalId: string, monthlyRevenue: string) {
  await ingest('/v1/customers', [customerRow({ externalId, monthlyRevenue })]).expect(200);
  await ingest('/v1/signals/complaints', [
    complaintRow(externalId, { severity: 'critical' }),
    complaintRow(externalId, { severity: 'critical', openedAt: iso(30) }),
  ]).expect(200);
}

const scoredIn = async (runId: number) =>
  new Set(
    (
      await t.sql<{ external_id: string }>(
        `SELECT c.external_id FROM score_history h JOIN customers c ON c.id = h.customer_id WHERE h.run_id = $1 AND h.role = 'champion'`,
        [runId],
      )
    ).map((r) => r.external_id),
  );

describe('numeric limits at ingestion', () => {
  it('the largest accepted value of every numeric field goes through a full run', async () => {
    const id = 'max-everything';
    const max = String(MAX_MONEY);
    await ingest('/v1/customers', [
      customerRow({ externalId: id, monthlyRevenue: max }),
      customerRow({ externalId: 'max-as-number', monthlyRevenue: MAX_MONEY }),
    ]).expect(200);
    await ingest('/v1/signals/activity', [
      ...[3, 10, 20, 40, 50, 70].map((days) => activityRow(id, { occurredAt: iso(days), quantity: MAX_ACTIVITY_QUANTITY })),
      activityRow('max-as-number', { quantity: MAX_ACTIVITY_QUANTITY }),
    ]).expect(200);
    await ingest('/v1/signals/spend', [
      ...[5, 35, 65, 100, 130].map((days) => spendRow(id, { kind: 'payment', occurredAt: iso(days), amount: max })),
      spendRow(id, { kind: 'invoice', amount: max }),
      spendRow(id, { kind: 'refund', occurredAt: iso(8), amount: max }),
      spendRow('max-as-number', { kind: 'payment', amount: MAX_MONEY }),
    ]).expect(200);
    await ingest('/v1/signals/complaints', [
      complaintRow(id, { status: 'resolved', openedAt: iso(20), resolvedAt: iso(15), satisfaction: 5 }),
      complaintRow(id, { status: 'resolved', openedAt: iso(12), resolvedAt: iso(11), satisfaction: 1 }),
      complaintRow(id, { severity: 'critical' }),
    ]).expect(200);

    const run = await runScoring(t);
    expect(run).toMatchObject({ status: 'succeeded', failedCustomers: { count: 0, sample: [] } });
    expect(await scoredIn(run.id)).toEqual(new Set([id, 'max-as-number']));
    const page = await request(t.http).get(`/v1/customers/${id}`).set('Authorization', `Bearer ${t.keys.lead}`);
    expect(page.status).toBe(200);
    // probability × 12 × monthly revenue, exact to the cent of what the columns hold
    expect(Number(page.body.score.valueAtRisk)).toBeCloseTo(page.body.score.probability * 12 * MAX_MONEY, -2);
  });

  describe.each(FORMATS)('as %s', (format) => {
    it.each([
      ['monthlyRevenue', '/v1/customers', () => customerRow({ monthlyRevenue: `${MAX_MONEY}.0001` })],
      ['monthlyRevenue', '/v1/customers', () => customerRow({ monthlyRevenue: '99999999999999.9999' })],
      ['amount', '/v1/signals/spend', () => spendRow('max-everything', { amount: MAX_MONEY + 1 })],
      ['quantity', '/v1/signals/activity', () => activityRow('max-everything', { quantity: MAX_ACTIVITY_QUANTITY + 1 })],
      ['quantity', '/v1/signals/activity', () => activityRow('max-everything', { quantity: 1.7e308 })],
    ] as const)('past the documented maximum, %s is a 400 naming the row and field (%s)', async (field, path, bad) => {
      const good =
        path === '/v1/customers'
          ? customerRow()
          : path === '/v1/signals/spend'
            ? spendRow('max-everything')
            : activityRow('max-everything');
      const res = await ingest(path, [good, bad()], format);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        expect.objectContaining({ row: 1, field, message: expect.stringMatching(/must be at most 1000000000(000)?$/) }),
      ]);
      const external = (good as { externalId: string }).externalId;
      const table = path === '/v1/customers' ? 'customers' : path === '/v1/signals/spend' ? 'spend_events' : 'activity_events';
      expect(await t.sql(`SELECT 1 FROM ${table} WHERE external_id = $1`, [external])).toHaveLength(0);
    });
  });
});

/** Revenues stored before ingestion had its limits (up to the largest the column holds, which ingestion took). */
const POISON = [
  ['poison-revenue', '99999999999999.9999'],
  ['poison-second', '50000000000000.0000'],
] as const;

describe('a customer whose values break scoring', () => {
  let poisoned: Json;

  beforeAll(async () => {
    // A small book; the two poisoned customers side by side, in one chunk.
    const others = Array.from({ length: 25 }, (_, i) => `book-${String(i).padStart(2, '0')}`);
    await ingest(
      '/v1/customers',
      others.map((externalId) => customerRow({ externalId })),
    ).expect(200);
    await ingest(
      '/v1/signals/activity',
      others.map((c) => activityRow(c)),
    ).expect(200);
    for (const [id] of POISON) await riskyCustomer(id, '500');
    await ingest(
      '/v1/customers',
      Array.from({ length: 8 }, (_, i) => customerRow({ externalId: `after-${i}` })),
    ).expect(200);
    for (const [id, revenue] of POISON) await t.sql(`UPDATE customers SET monthly_revenue = $2 WHERE external_id = $1`, [id, revenue]);
  });

  it('a full run succeeds, scores everyone else and reports the poisoned customers with the reason', async () => {
    const alive = (await t.sql<{ external_id: string }>(`SELECT external_id FROM customers`)).map((r) => r.external_id);
    poisoned = await runScoring(t);
    expect(poisoned.status).toBe('succeeded');
    expect(poisoned.customersScored).toBe(alive.length - 2);
    expect(poisoned.failedCustomers).toEqual({
      count: 2,
      sample: POISON.map(([customerId, revenue]) => ({
        customerId,
        reason: expect.stringContaining(`monthlyRevenue ${revenue} is above the maximum ${MAX_MONEY}: numeric field overflow`),
      })),
    });
    const scored = await scoredIn(poisoned.id);
    expect([...scored].sort()).toEqual(alive.filter((c) => !c.startsWith('poison-')).sort());

    const failures = await request(t.http).get(`/v1/scoring-runs/${poisoned.id}/failures`).set(scheduler());
    expect(failures.status).toBe(200);
    expect(failures.body).toEqual(
      POISON.map(([customerId]) => ({ customerId, chunkNo: expect.any(Number), sqlstate: '22003', reason: expect.any(String) })),
    );
    expect((await request(t.http).get('/v1/scoring-runs?limit=1').set(scheduler())).body[0].failedCustomers.count).toBe(2);
    expect(await metric('churnwatch_scoring_last_full_run_failed_customers')).toBe(2);
    expect(await metric('churnwatch_scoring_customers_failed_total')).toBe(2);
  });

  it('a run scoped to a poisoned customer succeeds and reports it', async () => {
    const run = await runScoring(t, { customerIds: ['poison-revenue', 'book-00'] });
    expect(run).toMatchObject({
      status: 'succeeded',
      customersScored: 1,
      failedCustomers: { count: 1, sample: [{ customerId: 'poison-revenue' }] },
    });
    expect(await scoredIn(run.id)).toEqual(new Set(['book-00']));
    expect(await metric('churnwatch_scoring_customers_failed_total')).toBe(3);
  });

  it('after an operator re-sends the real revenues, the next run scores the customers and reports no failure', async () => {
    await ingest(
      '/v1/customers',
      POISON.map(([externalId]) => customerRow({ externalId, monthlyRevenue: '500' })),
    ).expect(200);
    const run = await runScoring(t);
    expect(run).toMatchObject({ status: 'succeeded', failedCustomers: { count: 0, sample: [] } });
    const scored = await scoredIn(run.id);
    expect(POISON.filter(([id]) => scored.has(id))).toHaveLength(2);
    expect(await metric('churnwatch_scoring_last_full_run_failed_customers')).toBe(0);
    // The stored revenues would indeed have overflowed value at risk at these probabilities.
    for (const [id, revenue] of POISON) {
      const [score] = await t.sql<{ probability: number }>(
        `SELECT s.probability FROM customer_scores s JOIN customers c ON c.id = s.customer_id WHERE c.external_id = $1`,
        [id],
      );
      expect(score!.probability * 12 * Number(revenue)).toBeGreaterThan(1e14);
    }
    // The earlier run keeps its record of what it skipped.
    expect((await request(t.http).get(`/v1/scoring-runs/${poisoned.id}`).set(scheduler())).body.failedCustomers.count).toBe(2);
  });
});

describe('a customer whose stored activity quantity overflows the feature sums', () => {
  const id = 'poison-quantity';

  beforeAll(async () => {
    await ingest('/v1/customers', [customerRow({ externalId: id })]).expect(200);
    await ingest('/v1/signals/activity', [activityRow(id), activityRow(id, { occurredAt: iso(4) })]).expect(200);
    // the largest float8, as ingestion took it before its limits: the sum of two overflows
    await t.sql(`UPDATE activity_events SET quantity = 1.7e308 WHERE customer_id = (SELECT id FROM customers WHERE external_id = $1)`, [
      id,
    ]);
  });

  it('neither the run plan (the book’s feature statistics) nor its chunk fails: the customer is reported', async () => {
    const run = await runScoring(t);
    expect(run).toMatchObject({
      status: 'succeeded',
      failedCustomers: {
        count: 1,
        sample: [
          {
            customerId: id,
            reason: expect.stringContaining('activity quantity 1.7e+308 is above the maximum 1000000000: value out of range: overflow'),
          },
        ],
      },
    });
    expect((await scoredIn(run.id)).has(id)).toBe(false);
    expect(await metric('churnwatch_scoring_last_full_run_failed_customers')).toBe(1);
  });

  it('after the operator corrects the rows in the database, the next run scores it', async () => {
    await t.sql(
      `UPDATE activity_events SET quantity = 1 WHERE quantity > $2 AND customer_id = (SELECT id FROM customers WHERE external_id = $1)`,
      [id, MAX_ACTIVITY_QUANTITY],
    );
    const run = await runScoring(t);
    expect(run).toMatchObject({ status: 'succeeded', failedCustomers: { count: 0 } });
    expect((await scoredIn(run.id)).has(id)).toBe(true);
  });
});
