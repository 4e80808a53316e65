import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerRow, iso } from '../support/factories';
import { FORMATS, encode, post } from '../support/formats';
import { TestApp, startTestApp } from '../support/test-app';

/** POST /v1/costs: the cost ledger, with the guarantees of the signal endpoints. */
let t: TestApp;
let n = 0;
const cost = (overrides: Record<string, unknown> = {}) => ({
  externalId: `cost-${++n}`,
  category: 'acquisition',
  amount: '1250.5000',
  occurredAt: iso(5),
  ...overrides,
});
const stored = (prefix: string) =>
  t.sql<{
    external_id: string;
    category: string;
    amount: string;
    currency: string;
    customer: string | null;
    channel: string | null;
    segment: string | null;
    note: string | null;
  }>(
    `SELECT k.external_id, k.category, k.amount::text AS amount, k.currency, c.external_id AS customer, k.channel, k.segment, k.note
       FROM costs k LEFT JOIN customers c ON c.id = k.customer_id WHERE k.external_id LIKE $1 || '%' ORDER BY k.external_id`,
    [prefix],
  );

beforeAll(async () => {
  t = await startTestApp();
  const res = await request(t.http)
    .post('/v1/customers')
    .set('Authorization', `Bearer ${t.keys.ingest}`)
    .send([customerRow({ externalId: 'acme' })]);
  expect(res.status).toBe(200);
});
afterAll(() => t?.close());

describe.each(FORMATS)('costs as %s', (format) => {
  it("stores a customer's cost and a pooled one exactly, and a re-send is a duplicate", async () => {
    const rows = [
      cost({ externalId: `${format}-a`, category: 'retention', amount: '300.25', customerId: 'acme', note: 'Executive call, 45 min' }),
      cost({ externalId: `${format}-b`, category: 'acquisition', amount: '25000', currency: 'eur', channel: 'search', segment: 'smb' }),
    ];
    const first = await post(t.http, '/v1/costs', t.keys.ingest, encode(rows, format), format);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ accepted: 2, duplicates: 0 });
    expect(await stored(`${format}-`)).toEqual([
      {
        external_id: `${format}-a`,
        category: 'retention',
        amount: '300.2500',
        currency: 'USD',
        customer: 'acme',
        channel: null,
        segment: null,
        note: 'Executive call, 45 min',
      },
      {
        external_id: `${format}-b`,
        category: 'acquisition',
        amount: '25000.0000',
        currency: 'EUR',
        customer: null,
        channel: 'search',
        segment: 'smb',
        note: null,
      },
    ]);
    const again = await post(t.http, '/v1/costs', t.keys.ingest, encode(rows, format), format);
    expect(again.body).toEqual({ accepted: 0, duplicates: 2 });
    expect(await stored(`${format}-`)).toHaveLength(2);
  });

  it('refuses the whole request naming each bad row and field, and stores nothing', async () => {
    const rows = [
      cost({ externalId: `${format}-ok` }),
      cost({ externalId: `${format}-x1`, category: 'marketing' }),
      cost({ externalId: `${format}-x2`, amount: '-5' }),
      cost({ externalId: `${format}-x3`, customerId: 'nobody' }),
      cost({ externalId: `${format}-x4`, occurredAt: undefined }),
    ];
    const res = await post(t.http, '/v1/costs', t.keys.ingest, encode(rows, format), format);
    expect(res.status).toBe(400);
    const errors = res.body.errors.map((e: { row: number; field: string }) => [e.row, e.field]);
    expect(errors).toEqual(
      expect.arrayContaining([
        [1, 'category'],
        [2, 'amount'],
        [4, 'occurredAt'],
      ]),
    );
    expect(await stored(`${format}-ok`)).toEqual([]);
    // The unknown customer is found once the rows' fields are fine.
    const unknown = await post(t.http, '/v1/costs', t.keys.ingest, encode([rows[0]!, rows[3]!], format), format);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ row: 1, field: 'customerId', message: "unknown customer 'nobody'" })]);
    expect(await stored(`${format}-ok`)).toEqual([]);
  });
});

describe('who may record costs', () => {
  it('takes ingest and admin keys, and refuses the others with 403', async () => {
    const body = [cost({ externalId: 'roles-1' })];
    for (const role of ['lead', 'manager', 'scheduler'] as const) {
      const res = await request(t.http).post('/v1/costs').set('Authorization', `Bearer ${t.keys[role]}`).send(body);
      expect(res.status, role).toBe(403);
    }
    expect((await request(t.http).post('/v1/costs').set('Authorization', `Bearer ${t.keys.admin}`).send(body)).status).toBe(200);
  });
});
