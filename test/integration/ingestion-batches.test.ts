import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityRow, complaintRow, customerRow, iso } from '../support/factories';
import { FORMATS, encode, post } from '../support/formats';
import { TestApp, startTestApp } from '../support/test-app';

// Tiny batches, so one request is merged in many batches while the next ones are parsed.
const BATCH = 4;
let t: TestApp;
const count = async (table: string) => Number((await t.sql<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0].n);

beforeAll(async () => {
  t = await startTestApp({}, { ingest: { mergeBatchRows: BATCH } });
});
afterAll(() => t?.close());

describe.each(FORMATS)('a request spanning many batches (%s)', (format) => {
  const send = (path: string, rows: Record<string, unknown>[]) => post(t.http, path, t.keys.ingest, encode(rows, format), format);

  it('stores every batch and counts duplicates across batches', async () => {
    const customers = Array.from({ length: 9 }, () => customerRow());
    expect((await send('/v1/customers', customers)).body).toEqual({ accepted: 9, duplicates: 0, updated: 0 });
    const rows = Array.from({ length: 21 }, (_, i) => activityRow(customers[i % 9].externalId));
    const withRepeats = [...rows, rows[0], rows[5], rows[20]];
    expect((await send('/v1/signals/activity', withRepeats)).body).toEqual({ accepted: 21, duplicates: 3 });
    const ids = rows.map((r) => r.externalId);
    const stored = await t.sql(`SELECT count(*)::int AS n FROM activity_events WHERE external_id = ANY($1)`, [ids]);
    expect(stored[0].n).toBe(21);
  });

  it('rolls back batches already merged when a later batch names an unknown customer', async () => {
    const customer = customerRow();
    await send('/v1/customers', [customer]).expect(200);
    const before = await count('activity_events');
    const rows = Array.from({ length: 13 }, () => activityRow(customer.externalId));
    rows[11] = activityRow('nobody-here');
    const res = await send('/v1/signals/activity', rows);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ row: 11, field: 'customerId', message: "unknown customer 'nobody-here'" })]);
    expect(await count('activity_events')).toBe(before);
  });

  it('rolls back merged batches when a later row is invalid, and still reports later unknown customers', async () => {
    const customer = customerRow();
    await send('/v1/customers', [customer]).expect(200);
    const before = await count('complaints');
    const rows = Array.from({ length: 14 }, () => complaintRow(customer.externalId));
    rows[9] = complaintRow(customer.externalId, { openedAt: iso(-2) });
    rows[13] = complaintRow('ghost');
    const res = await send('/v1/signals/complaints', rows);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
      [9, 'openedAt'],
      [13, 'customerId'],
    ]);
    expect(await count('complaints')).toBe(before);
  });
});
