import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityRow, complaintRow, customerRow, iso, spendRow } from '../support/factories';
import { FORMATS, Format, encode, post } from '../support/formats';
import { TestApp, startTestApp } from '../support/test-app';

let t: TestApp;
let key: string;
const count = async (table: string) => Number((await t.sql<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0].n);
const send = (path: string, rows: Record<string, unknown>[], format: Format) => post(t.http, path, key, encode(rows, format), format);

beforeAll(async () => {
  t = await startTestApp();
  key = t.keys.ingest;
});
afterAll(() => t?.close());

describe.each(FORMATS)('ingestion as %s', (format) => {
  it('upserts customers, nested account manager included', async () => {
    const row = customerRow({ monthlyRevenue: '1234.5678', currency: 'eur', email: 'Billing@Acme.Example' });
    const res = await send('/v1/customers', [row], format);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, updated: 0 });
    const [stored] = await t.sql(`SELECT * FROM customers WHERE external_id = $1`, [row.externalId]);
    expect(stored).toMatchObject({
      name: row.name,
      monthly_revenue: '1234.5678',
      currency: 'EUR',
      email: 'billing@acme.example',
      account_manager_email: 'am1@example.com',
      account_manager_name: 'Ann Manager',
      status: 'active',
      churned_at: null,
    });
  });

  it('reads mis-cased names as their fields and reports unknown ones as ignored, storing the rest', async () => {
    const row = customerRow();
    // Segment, renewalat, AccountManager.Email: a spreadsheet's header, a hand-written client.
    const { segment: _s, renewalAt: _r, accountManager: _a, ...rest } = row as typeof row & { renewalAt?: string };
    const renewal = iso(-30);
    const sent =
      format === 'csv'
        ? { ...rest, Segment: 'enterprise', renewalat: renewal, 'AccountManager.Email': 'am1@example.com', Colour: 'blue' }
        : { ...rest, Segment: 'enterprise', renewalat: renewal, AccountManager: { Email: 'am1@example.com' }, Colour: 'blue' };
    const res = await send('/v1/customers', [sent, { ...sent, externalId: `${row.externalId}-2`, Colour: 'red' }], format);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accepted: 2,
      duplicates: 0,
      updated: 0,
      warnings: [{ field: 'Colour', message: 'unknown field: ignored (nothing stored from it)', rows: 2, firstRow: 0 }],
    });
    const [stored] = await t.sql(`SELECT segment, renewal_at, account_manager_email FROM customers WHERE external_id = $1`, [
      row.externalId,
    ]);
    expect(stored).toEqual({ segment: 'enterprise', renewal_at: new Date(renewal), account_manager_email: 'am1@example.com' });
  });

  it('stores activity, complaints and spend for known customers', async () => {
    const customer = customerRow();
    await send('/v1/customers', [customer], format).expect(200);
    const activity = [activityRow(customer.externalId), activityRow(customer.externalId, { quantity: undefined })];
    const complaints = [
      complaintRow(customer.externalId),
      complaintRow(customer.externalId, { status: 'resolved', resolvedAt: iso(1), satisfaction: 4 }),
    ];
    const spend = [spendRow(customer.externalId), spendRow(customer.externalId, { kind: 'refund', amount: 0.1 })];

    expect((await send('/v1/signals/activity', activity, format)).body).toEqual({ accepted: 2, duplicates: 0 });
    expect((await send('/v1/signals/complaints', complaints, format)).body).toEqual({ accepted: 2, duplicates: 0, updated: 0 });
    expect((await send('/v1/signals/spend', spend, format)).body).toEqual({ accepted: 2, duplicates: 0 });

    const acts = await t.sql(
      `SELECT a.quantity FROM activity_events a JOIN customers c ON c.id = a.customer_id WHERE c.external_id = $1 ORDER BY a.external_id`,
      [customer.externalId],
    );
    expect(acts.map((a) => a.quantity)).toEqual([2, 1]); // quantity defaults to 1
    const refunds = await t.sql(`SELECT amount, currency FROM spend_events WHERE external_id = $1`, [spend[1].externalId]);
    expect(refunds).toEqual([{ amount: '0.1000', currency: 'USD' }]); // exact decimal, default currency
    const resolved = await t.sql(`SELECT status, satisfaction, resolved_at FROM complaints WHERE external_id = $1`, [
      complaints[1].externalId,
    ]);
    expect(resolved[0]).toMatchObject({ status: 'resolved', satisfaction: 4 });
  });

  it('counts re-sent rows as duplicates and stores them once', async () => {
    const customer = customerRow();
    await send('/v1/customers', [customer], format).expect(200);
    const rows = [activityRow(customer.externalId), activityRow(customer.externalId)];
    await send('/v1/signals/activity', rows, format).expect(200);
    const again = await send('/v1/signals/activity', [...rows, activityRow(customer.externalId)], format);
    expect(again.body).toEqual({ accepted: 1, duplicates: 2 });
    const inOneRequest = activityRow(customer.externalId);
    expect((await send('/v1/signals/activity', [inOneRequest, inOneRequest], format)).body).toEqual({ accepted: 1, duplicates: 1 });
    const stored = await t.sql(
      `SELECT count(*)::int AS n FROM activity_events a JOIN customers c ON c.id = a.customer_id WHERE c.external_id = $1`,
      [customer.externalId],
    );
    expect(stored[0].n).toBe(4);
  });

  it('applies complaint status updates on re-send, counting them as duplicates', async () => {
    const customer = customerRow();
    await send('/v1/customers', [customer], format).expect(200);
    const complaint = complaintRow(customer.externalId, { severity: 'critical' });
    await send('/v1/signals/complaints', [complaint], format).expect(200);
    const resolved = { ...complaint, severity: 'low', status: 'resolved', resolvedAt: iso(2), satisfaction: 2 };
    const res = await send('/v1/signals/complaints', [resolved], format);
    expect(res.body).toEqual({ accepted: 0, duplicates: 1, updated: 1 });
    const [row] = await t.sql(`SELECT severity, status, satisfaction, resolved_at FROM complaints WHERE external_id = $1`, [
      complaint.externalId,
    ]);
    expect(row).toMatchObject({ severity: 'critical', status: 'resolved', satisfaction: 2 });
    expect((row.resolved_at as Date).toISOString()).toBe(resolved.resolvedAt);
    // The same status once more changes nothing.
    expect((await send('/v1/signals/complaints', [resolved], format)).body).toEqual({ accepted: 0, duplicates: 1, updated: 0 });
  });

  it('updates a changed customer profile and leaves identical re-sends alone', async () => {
    const customer = customerRow();
    await send('/v1/customers', [customer], format).expect(200);
    expect((await send('/v1/customers', [customer], format)).body).toEqual({ accepted: 0, duplicates: 1, updated: 0 });
    const churned = { ...customer, monthlyRevenue: '99.00', churnedAt: iso(1) };
    expect((await send('/v1/customers', [churned], format)).body).toEqual({ accepted: 0, duplicates: 1, updated: 1 });
    const [row] = await t.sql(`SELECT status, monthly_revenue FROM customers WHERE external_id = $1`, [customer.externalId]);
    expect(row).toEqual({ status: 'churned', monthly_revenue: '99.0000' });
  });
});

describe('bad input answers 400 naming row and field, and stores nothing', () => {
  let customerId: string;
  beforeAll(async () => {
    const customer = customerRow();
    customerId = customer.externalId;
    await send('/v1/customers', [customer], 'json').expect(200);
  });

  const cases: Array<[string, string, (c: string) => Record<string, unknown>, string, RegExp]> = [
    ['missing field', '/v1/signals/activity', (c) => activityRow(c, { occurredAt: undefined }), 'occurredAt', /required/],
    ['wrong type', '/v1/signals/activity', (c) => activityRow(c, { quantity: 'lots' }), 'quantity', /number/],
    [
      'bad enum',
      '/v1/signals/complaints',
      (c) => complaintRow(c, { severity: 'apocalyptic' }),
      'severity',
      /one of low, medium, high, critical/,
    ],
    ['bad date', '/v1/signals/spend', (c) => spendRow(c, { occurredAt: '2026-02-30T10:00:00Z' }), 'occurredAt', /calendar date/],
    ['date without offset', '/v1/signals/spend', (c) => spendRow(c, { occurredAt: '2026-01-10T10:00:00' }), 'occurredAt', /UTC offset/],
    ['future date', '/v1/signals/activity', (c) => activityRow(c, { occurredAt: iso(-1) }), 'occurredAt', /future/],
    ['unknown customer', '/v1/signals/spend', () => spendRow('no-such-customer'), 'customerId', /unknown customer 'no-such-customer'/],
    ['negative quantity', '/v1/signals/activity', (c) => activityRow(c, { quantity: -3 }), 'quantity', /at least 0/],
    ['negative amount', '/v1/signals/spend', (c) => spendRow(c, { amount: '-5.00' }), 'amount', /at least 0/],
    [
      'resolvedAt before openedAt',
      '/v1/signals/complaints',
      (c) => complaintRow(c, { status: 'resolved', openedAt: iso(5), resolvedAt: iso(6) }),
      'resolvedAt',
      /before openedAt/,
    ],
    [
      'satisfaction out of range',
      '/v1/signals/complaints',
      (c) => complaintRow(c, { status: 'resolved', resolvedAt: iso(1), satisfaction: 9 }),
      'satisfaction',
      /at most 5/,
    ],
    ['churned without date', '/v1/customers', () => customerRow({ status: 'churned' }), 'churnedAt', /required when status is churned/],
    [
      'bad manager email',
      '/v1/customers',
      () => customerRow({ accountManager: { email: 'not-an-email' } }),
      'accountManager.email',
      /email/,
    ],
  ];

  describe.each(FORMATS)('as %s', (format) => {
    it.each(cases)('%s', async (_name, path, makeBad, field, message) => {
      const table = path.endsWith('customers')
        ? 'customers'
        : { activity: 'activity_events', complaints: 'complaints', spend: 'spend_events' }[path.split('/').pop()!]!;
      const before = await count(table);
      const good = path.endsWith('customers')
        ? customerRow()
        : path.endsWith('activity')
          ? activityRow(customerId)
          : path.endsWith('complaints')
            ? complaintRow(customerId)
            : spendRow(customerId);
      const res = await send(path, [good, makeBad(customerId)], format);
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0]).toMatchObject({ row: 1, field });
      expect(res.body.errors[0].message).toMatch(message);
      if (format !== 'json') expect(res.body.errors[0].line).toBe(format === 'csv' ? 3 : 2);
      expect(await count(table)).toBe(before); // the good row was not stored either
    });
  });

  it('reports every bad field of every row, in row order', async () => {
    const rows = [activityRow(customerId, { type: undefined, quantity: -1 }), activityRow(customerId), activityRow('ghost')];
    const res = await send('/v1/signals/activity', rows, 'json');
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
      [0, 'type'],
      [0, 'quantity'],
      [2, 'customerId'],
    ]);
    expect(res.body.errorCount).toBe(3);
  });

  it('caps the error list and says how many there were', async () => {
    const rows = Array.from({ length: 250 }, () => activityRow(customerId, { quantity: -1 }));
    const res = await send('/v1/signals/activity', rows, 'ndjson');
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(t.config.ingest.maxErrors);
    expect(res.body.truncated).toBe(true);
  });

  it('rejects a malformed NDJSON line with its row and line', async () => {
    const before = await count('activity_events');
    const body = `${JSON.stringify(activityRow(customerId))}\n\n{"externalId": "x", oops\n`;
    const res = await post(t.http, '/v1/signals/activity', key, body, 'ndjson');
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ row: 1, line: 3, field: null });
    expect(res.body.errors[0].message).toMatch(/malformed JSON/);
    expect(await count('activity_events')).toBe(before);
  });

  it('rejects a malformed CSV line', async () => {
    const before = await count('activity_events');
    const ok = activityRow(customerId);
    const body = `externalId,customerId,type,occurredAt\n${ok.externalId},${customerId},login,${ok.occurredAt}\nx,${customerId},"unterminated,${ok.occurredAt}\n`;
    const res = await post(t.http, '/v1/signals/activity', key, body, 'csv');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toMatch(/malformed CSV/);
    expect(await count('activity_events')).toBe(before);
  });

  it('names a required column missing from the CSV header', async () => {
    const res = await post(t.http, '/v1/signals/spend', key, `externalId,customerId,amount\ns1,${customerId},10\n`, 'csv');
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ row: null, field: 'occurredAt', message: 'column is missing from the CSV header' });
    expect(res.body.errors).toContainEqual({ row: null, field: 'kind', message: 'column is missing from the CSV header' });
  });

  it('says a semicolon-separated CSV needs commas, and stores nothing', async () => {
    const before = await count('spend_events');
    const res = await post(
      t.http,
      '/v1/signals/spend',
      key,
      `externalId;customerId;kind;amount;occurredAt\ns1;${customerId};payment;10;${iso(1)}\n`,
      'csv',
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        row: null,
        field: null,
        message: 'the header row is one column separated by semicolons (;): CSV columns must be separated by commas (,)',
      },
    ]);
    expect(await count('spend_events')).toBe(before);
  });

  it('accepts required CSV columns in any case', async () => {
    const ok = spendRow(customerId);
    const body = `EXTERNALID,CustomerId,Kind,AMOUNT,occurredat\n${ok.externalId},${customerId},${ok.kind},${ok.amount},${ok.occurredAt}\n`;
    const res = await post(t.http, '/v1/signals/spend', key, body, 'csv');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('rejects malformed JSON and a non-array body', async () => {
    const malformed = await post(t.http, '/v1/signals/activity', key, '[{"externalId": ', 'json');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].message).toMatch(/malformed JSON/);
    const object = await post(t.http, '/v1/signals/activity', key, JSON.stringify(activityRow(customerId)), 'json');
    expect(object.status).toBe(400);
    expect(object.body.errors[0].message).toMatch(/JSON array/);
  });

  it('answers 413 to a JSON body over the limit, pointing to NDJSON/CSV', async () => {
    const filler = 'x'.repeat(400);
    const rows = Array.from({ length: 30_000 }, () => activityRow(customerId, { type: filler }));
    const before = await count('activity_events');
    const res = await send('/v1/signals/activity', rows, 'json');
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/NDJSON|x-ndjson/i);
    expect(await count('activity_events')).toBe(before);
  });

  it('answers 415 to an unsupported content type', async () => {
    const res = await post(t.http, '/v1/signals/activity', key, 'a,b', 'csv').set('Content-Type', 'text/plain');
    expect(res.status).toBe(415);
  });
});

describe('streamed uploads', () => {
  it('takes an NDJSON stream of 60,000 rows in one request', async () => {
    const customers = Array.from({ length: 300 }, () => customerRow());
    await send('/v1/customers', customers, 'ndjson').expect(200);
    const rows = Array.from({ length: 60_000 }, (_, i) =>
      activityRow(customers[i % customers.length].externalId, { occurredAt: iso(1 + (i % 300)) }),
    );
    const res = await send('/v1/signals/activity', rows, 'ndjson');
    expect(res.body).toEqual({ accepted: 60_000, duplicates: 0 });
    const perCustomer = await t.sql(
      `SELECT count(*)::int AS n FROM activity_events a JOIN customers c ON c.id = a.customer_id WHERE c.external_id = $1`,
      [customers[0].externalId],
    );
    expect(perCustomer[0].n).toBe(200);
  });
});
