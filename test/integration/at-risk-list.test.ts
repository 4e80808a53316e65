import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaintRow, customerRow } from '../support/factories';
import { day } from '../support/alert-book';
import { waitForSnapshot } from '../support/at-risk';
import { runScoring } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';
import { PassThrough, Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { pgPool } from '../../src/database/data-source';
import { ClientGoneError, streamCopy } from '../../src/reporting/at-risk/at-risk-csv';
import type { Json } from '../support/json';

/**
 * A model with two knobs the test sets: monthly revenue lowers the risk (so value at risk,
 * probability × 12 × revenue, is not in the order of the risk) and each open complaint
 * raises it (the only positive contribution, so the only driver).
 *   logit = 5 − 0.01 × revenue + 0.8 × open complaints
 */
const MODEL = {
  default: {
    intercept: 5,
    features: [
      { key: 'monthly_revenue', mean: 0, std: 1, weight: -0.01 },
      { key: 'complaints_open', mean: 0, std: 1, weight: 0.8 },
    ],
  },
  // the probabilities above exactly, not standardised by each run's book
  defaultStandardisation: 'fixed',
};
const revenueFor = (p: number, complaints: number) => ((5 + 0.8 * complaints - Math.log(p / (1 - p))) / 0.01).toFixed(4);
const probabilityOf = (revenue: string, complaints: number) => 1 / (1 + Math.exp(-(5 - 0.01 * Number(revenue) + 0.8 * complaints)));
const tierOf = (p: number) => (p >= 0.7 ? 'critical' : p >= 0.5 ? 'high' : p >= 0.3 ? 'watch' : null);

interface Planned {
  id: string;
  manager: string;
  segment: string;
  p: number;
  complaints: number;
  name?: string;
}

const AM1 = 'am1@example.com';
const AM2 = 'am2@example.com';
const BOOK: Planned[] = [
  { id: 'c1', manager: AM1, segment: 'enterprise', p: 0.95, complaints: 0, name: 'Acme, "The" Co' },
  { id: 'c2', manager: AM2, segment: 'smb', p: 0.9, complaints: 1 },
  { id: 'c3', manager: AM1, segment: 'smb', p: 0.85, complaints: 0 },
  { id: 'c4', manager: AM2, segment: 'enterprise', p: 0.8, complaints: 0, name: '=HYPERLINK("http://x")' },
  { id: 'c5', manager: AM1, segment: 'smb', p: 0.75, complaints: 1 },
  { id: 'h1', manager: AM1, segment: 'enterprise', p: 0.65, complaints: 0 },
  { id: 'h2', manager: AM2, segment: 'smb', p: 0.6, complaints: 1 },
  { id: 'h3', manager: AM1, segment: 'smb', p: 0.55, complaints: 0 },
  { id: 't1', manager: AM2, segment: 'smb', p: 0.55, complaints: 0 }, // ties h3 exactly
  { id: 'w1', manager: AM2, segment: 'smb', p: 0.45, complaints: 0 },
  { id: 'w2', manager: AM1, segment: 'enterprise', p: 0.4, complaints: 1 },
  { id: 'w3', manager: AM2, segment: 'smb', p: 0.35, complaints: 0 },
  { id: 'n1', manager: AM1, segment: 'smb', p: 0.1, complaints: 0 },
  { id: 'n2', manager: AM2, segment: 'smb', p: 0.2, complaints: 0 },
];

describe('at-risk list: filters, sorts, cursors, CSV and manager scoping', () => {
  let t: TestApp;
  const ids = new Map<string, number>();
  const revenue = new Map<string, string>();
  const auth = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });
  const get = (path: string, role: keyof TestApp['keys'] = 'lead') => request(t.http).get(path).set(auth(role));
  const post = async (path: string, body: object) => {
    const res = await request(t.http).post(path).set(auth('admin')).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };
  const customers = (plan: Planned[]) =>
    plan.map((c) => {
      revenue.set(c.id, revenueFor(c.p, c.complaints));
      return customerRow({
        externalId: c.id,
        name: c.name ?? `Customer ${c.id}`,
        segment: c.segment,
        monthlyRevenue: revenue.get(c.id),
        accountManager: { email: c.manager, name: c.manager.split('@')[0] },
      });
    });

  /** What the list must hold for a book: tiered customers, highest probability first, ties by newest customer first. */
  const expected = (plan: Planned[]) =>
    plan
      .map((c) => ({ ...c, probability: probabilityOf(revenue.get(c.id)!, c.complaints), internal: ids.get(c.id)! }))
      .filter((c) => tierOf(c.probability) !== null)
      .sort((a, b) => b.probability - a.probability || b.internal - a.internal);
  const valueAtRisk = (c: { id: string; probability: number }) => c.probability * 12 * Number(revenue.get(c.id));

  /** Every page of a list, following nextCursor. */
  async function walk(query: string, role: keyof TestApp['keys'] = 'lead'): Promise<Array<Json>> {
    const items: Array<Json> = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/at-risk?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, role);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    t = await startTestApp(
      {},
      {
        model: MODEL,
        scoring: { staleAfterHours: { activity: 1e7, complaints: 1e7, spend: 1e7 } },
        alerts: { escalation: [] },
        reporting: { atRisk: { keepSnapshots: 2, checkIntervalSeconds: 1 } },
      },
    );
    await post('/v1/customers', customers(BOOK));
    const opened = new Date(Date.now() - 130 * 86_400_000).toISOString();
    await post(
      '/v1/signals/complaints',
      BOOK.filter((c) => c.complaints > 0).map((c) => complaintRow(c.id, { openedAt: opened, status: 'open' })),
    );
    for (const r of await t.sql<{ external_id: string; id: string }>(`SELECT external_id, id FROM customers`))
      ids.set(r.external_id, Number(r.id));
  });
  afterAll(() => t?.close());

  it('is empty, with no snapshot, before any run has finished (JSON and CSV)', async () => {
    const res = await get('/v1/at-risk');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], nextCursor: null, snapshot: null });
    const csv = await get('/v1/at-risk.csv');
    expect(csv.status).toBe(200);
    expect(csv.text.trim().split('\n')).toHaveLength(1);
  });

  let run1: Json;

  it('lists every customer in a tier, highest risk first, with the score, drivers, alert and actions', async () => {
    run1 = await runScoring(t, { asOf: day(10) });
    const snapshot = await waitForSnapshot(t, run1.id);
    const want = expected(BOOK);
    expect(snapshot).toMatchObject({ runId: run1.id, customers: want.length, byTier: { critical: 5, high: 4, watch: 3 } });

    const res = await get('/v1/at-risk?limit=500');
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items.map((i: { customerId: string }) => i.customerId)).toEqual(want.map((c) => c.id));
    const byId = new Map(res.body.items.map((i: Json) => [i.customerId, i]));
    for (const c of want) {
      const item = byId.get(c.id) as Json;
      expect(item.probability).toBeCloseTo(c.probability, 12);
      expect(item.tier).toBe(tierOf(c.probability));
      expect(Number(item.valueAtRisk)).toBeCloseTo(valueAtRisk(c), 3);
      expect(item).toMatchObject({
        segment: c.segment,
        accountManager: { email: c.manager },
        previousProbability: null,
        change: null,
        runId: run1.id,
        currency: 'USD',
      });
      // The open complaint is the only thing raising the risk, so it is the only driver.
      expect(item.drivers.map((d: { key: string }) => d.key)).toEqual(c.complaints > 0 ? ['complaints_open'] : []);
    }
    // Critical customers are alerted at once; their list rows carry the alert and its ranked actions.
    const [alerted] = await t.sql<{
      id: string;
      actions: Array<{ key: string; text: string }>;
      action_keys: string[];
      actions_text: string;
    }>(`SELECT id, actions, action_keys, actions_text FROM alerts WHERE customer_id = $1`, [ids.get('c1')]);
    expect(byId.get('c1')).toMatchObject({
      alert: { id: Number(alerted!.id), status: 'open', tier: 'critical' },
      actions: alerted!.actions,
    });
    // What exports and metrics read instead of the json, written with the alert.
    expect(alerted!.action_keys).toEqual(alerted!.actions.map((a) => a.key));
    expect(alerted!.actions_text).toBe(alerted!.actions.map((a) => a.text).join(' | '));
    expect((byId.get('w1') as Json).alert).toBeNull();
  });

  it('filters by tier, segment, manager and driver, alone and together', async () => {
    const want = expected(BOOK);
    const ids = async (query: string) => (await walk(query)).map((i) => i.customerId);
    expect(await ids('tier=critical')).toEqual(want.filter((c) => tierOf(c.probability) === 'critical').map((c) => c.id));
    // Several tiers are merged from one index range each; pages of 2 cross from one tier into the next.
    expect(await ids('tier=high,watch&limit=2')).toEqual(
      want.filter((c) => ['high', 'watch'].includes(tierOf(c.probability)!)).map((c) => c.id),
    );
    expect(await ids('tier=watch,critical&sort=valueAtRisk&limit=3')).toEqual(
      want
        .filter((c) => ['critical', 'watch'].includes(tierOf(c.probability)!))
        .sort((a, b) => valueAtRisk(b) - valueAtRisk(a) || b.internal - a.internal)
        .map((c) => c.id),
    );
    expect(await ids('segment=enterprise')).toEqual(want.filter((c) => c.segment === 'enterprise').map((c) => c.id));
    expect(await ids(`manager=${AM2.toUpperCase()}`)).toEqual(want.filter((c) => c.manager === AM2).map((c) => c.id));
    expect(await ids('driver=complaints')).toEqual(want.filter((c) => c.complaints > 0).map((c) => c.id));
    expect(await ids('driver=complaints_open')).toEqual(want.filter((c) => c.complaints > 0).map((c) => c.id));
    expect(await ids('driver=activity')).toEqual([]);
    expect(await ids(`tier=critical&segment=smb&manager=${AM1}&driver=complaints`)).toEqual(['c5']);
  });

  it('sorts by value at risk, highest first', async () => {
    const want = expected(BOOK).sort((a, b) => valueAtRisk(b) - valueAtRisk(a) || b.internal - a.internal);
    const items = await walk('sort=valueAtRisk&limit=5');
    expect(items.map((i) => i.customerId)).toEqual(want.map((c) => c.id));
    // Not the risk order: the knob model makes the middle of the book worth the most.
    expect(items.map((i) => i.customerId)).not.toEqual(expected(BOOK).map((c) => c.id));
  });

  it('pages with cursors: every row once, in order, ties split across a page boundary', async () => {
    const want = expected(BOOK).map((c) => c.id);
    // h3 and t1 tie at 0.55, 8th and 9th: limit 4 puts the boundary between them.
    expect(want.slice(7, 9).sort()).toEqual(['h3', 't1']);
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/at-risk?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(res.body.items.map((i: { customerId: string }) => i.customerId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual([want.slice(0, 4), want.slice(4, 8), want.slice(8, 12)]);
  });

  it('rejects bad filters and foreign cursors with a 400 naming the field', async () => {
    const field = async (query: string) => {
      const res = await get(`/v1/at-risk?${query}`);
      expect(res.status, query).toBe(400);
      return res.body.errors.map((e: { field: string }) => e.field);
    };
    expect(await field('tier=urgent')).toEqual(['tier']);
    expect(await field('driver=mood')).toEqual(['driver']);
    expect(await field('manager=not-an-email')).toEqual(['manager']);
    expect(await field('sort=name')).toEqual(['sort']);
    expect(await field('limit=501')).toEqual(['limit']);
    expect(await field('cursor=nonsense')).toEqual(['cursor']);
    const page = await get('/v1/at-risk?tier=critical&limit=2');
    expect(await field(`tier=high&limit=2&cursor=${page.body.nextCursor}`)).toEqual(['cursor']);
    expect(await field(`sort=change&tier=critical&limit=2&cursor=${page.body.nextCursor}`)).toEqual(['cursor']);
    expect((await get('/v1/at-risk?colour=red')).status).toBe(400);
    // The export is every row of the newest snapshot: paging parameters are refused, not ignored.
    for (const query of ['limit=10', `cursor=${page.body.nextCursor}`]) {
      const res = await get(`/v1/at-risk.csv?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers['content-disposition']).toBeUndefined();
    }
  });

  it('a manager key sees only its own customers, whatever it asks for', async () => {
    const mine = expected(BOOK)
      .filter((c) => c.manager === AM1)
      .map((c) => c.id);
    expect((await walk('limit=3', 'manager')).map((i) => i.customerId)).toEqual(mine);
    // Even the snapshot's counts are the manager's own, never the whole book's.
    const counts = (await get('/v1/at-risk?limit=1', 'manager')).body.snapshot;
    const tiersOfMine = expected(BOOK)
      .filter((c) => c.manager === AM1)
      .map((c) => tierOf(c.probability));
    expect(counts.customers).toBe(mine.length);
    expect(counts.byTier).toEqual({
      critical: tiersOfMine.filter((t) => t === 'critical').length,
      high: tiersOfMine.filter((t) => t === 'high').length,
      watch: tiersOfMine.filter((t) => t === 'watch').length,
    });
    expect(await walk(`manager=${AM2}`, 'manager')).toEqual([]);
    const csv = await get('/v1/at-risk.csv', 'manager');
    expect(
      csv.text
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).toEqual(mine);
    expect((await get('/v1/at-risk', 'ingest')).status).toBe(403);
    expect((await get('/v1/at-risk', 'scheduler')).status).toBe(403);
    expect((await request(t.http).get('/v1/at-risk')).status).toBe(401);
  });

  it('starts the CSV with a UTF-8 byte order mark on ?bom=true (for spreadsheet programs), and only then', async () => {
    const plain = await get('/v1/at-risk.csv');
    const marked = await get('/v1/at-risk.csv?bom=true');
    expect(marked.status).toBe(200);
    expect(plain.text.charCodeAt(0)).not.toBe(0xfeff);
    expect(marked.text.charCodeAt(0)).toBe(0xfeff);
    expect(marked.text.slice(1)).toBe(plain.text);
    const bad = await get('/v1/at-risk.csv?bom=yes');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'bom' })]);
  });

  it('exports the same rows as CSV, quoted, with formulas defused', async () => {
    const res = await get('/v1/at-risk.csv?sort=valueAtRisk');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="at-risk-run-${run1.id}.csv"`);
    const list = await walk('sort=valueAtRisk');
    const lines = res.text.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'customerId,name,segment,accountManagerEmail,tier,probability,previousProbability,change,valueAtRisk,currency,drivers,actions,alertId,alertStatus,scoredAt,stage',
    );
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(list.map((i) => i.customerId));
    const c1 = lines.find((l) => l.startsWith('c1,'))!;
    const item = list.find((i) => i.customerId === 'c1')!;
    const actions = item.actions.map((a: { text: string }) => a.text).join(' | ');
    expect(actions).toMatch(/^[^,"]+$/); // nothing to quote
    expect(c1).toBe(
      [
        'c1',
        '"Acme, ""The"" Co"',
        'enterprise',
        AM1,
        'critical',
        String(Math.round(item.probability * 1e4) / 1e4),
        '',
        '',
        item.valueAtRisk,
        'USD',
        '',
        actions,
        String(item.alert.id),
        'open',
        item.scoredAt,
        // critical is one of lifecycle.atRiskTiers
        'at_risk',
      ].join(','),
    );
    expect(lines.find((l) => l.startsWith('c4,'))).toContain(`,"'=HYPERLINK(""http://x"")",`);
    expect(lines.find((l) => l.startsWith('c2,'))).toContain(`,${list.find((i) => i.customerId === 'c2')!.drivers[0].text},`);
  });

  it('stops an export whose client has gone, before or during the copy, and gives its connection back', async () => {
    const pool = pgPool(t.app.get(DataSource));
    const before = new PassThrough();
    before.destroy();
    await expect(
      streamCopy(
        pool,
        () => 'COPY (SELECT 1) TO STDOUT',
        before,
        '4MB',
        () => undefined,
      ),
    ).rejects.toThrow(ClientGoneError);
    let begun = 0;
    const during = new Writable({
      write(_chunk, _enc, done) {
        this.destroy(); // the browser gives up after the first batch
        done();
      },
    });
    const big = `COPY (SELECT g, repeat('x', 100) FROM generate_series(1, 100000) g) TO STDOUT`;
    await expect(
      streamCopy(
        pool,
        () => big,
        during,
        '4MB',
        () => begun++,
      ),
    ).rejects.toThrow(ClientGoneError);
    expect(begun).toBe(1);
    // Both connections went back: the pool still serves as many clients as it has.
    await Promise.all(Array.from({ length: t.config.database.poolSize }, () => pool.query('SELECT pg_sleep(0.05)')));
  });

  it('keeps a cursor on its snapshot while newer scores arrive, then answers 410 once it is dropped', async () => {
    const before = expected(BOOK).map((c) => c.id);
    const first = await get('/v1/at-risk?limit=4');
    expect(first.body.items.map((i: { customerId: string }) => i.customerId)).toEqual(before.slice(0, 4));

    // New scores: the top of the book recovers, the bottom becomes critical, a new customer arrives.
    const changed: Planned[] = BOOK.map((c) => (c.id === 'c1' ? { ...c, p: 0.31 } : c.id === 'w3' ? { ...c, p: 0.99 } : c));
    const added: Planned = { id: 'x1', manager: AM1, segment: 'smb', p: 0.98, complaints: 0 };
    await post('/v1/customers', customers([...changed, added]));
    ids.set('x1', Number((await t.sql<{ id: string }>(`SELECT id FROM customers WHERE external_id = 'x1'`))[0]!.id));
    const run2 = await runScoring(t, { asOf: day(11) });
    await waitForSnapshot(t, run2.id);

    const second = await get(`/v1/at-risk?limit=4&cursor=${first.body.nextCursor}`);
    expect(second.body.snapshot.runId).toBe(run1.id);
    expect(second.body.items.map((i: { customerId: string }) => i.customerId)).toEqual(before.slice(4, 8));
    const third = await get(`/v1/at-risk?limit=4&cursor=${second.body.nextCursor}`);
    expect(third.body.items.map((i: { customerId: string }) => i.customerId)).toEqual(before.slice(8, 12));
    expect(third.body.nextCursor).toBeNull();

    // A fresh first page reads the new scores.
    const now = await get('/v1/at-risk?limit=500');
    expect(now.body.snapshot.runId).toBe(run2.id);
    expect(now.body.items.map((i: { customerId: string }) => i.customerId)).toEqual(expected([...changed, added]).map((c) => c.id));

    // Biggest rise first; x1 has no previous score, so no change, and comes last.
    const byChange = await walk('sort=change&limit=3');
    expect(byChange[0]).toMatchObject({ customerId: 'w3', change: expect.closeTo(0.99 - 0.35, 9) });
    expect(byChange[byChange.length - 1]).toMatchObject({ customerId: 'x1', change: null, previousProbability: null });
    const changes = byChange.slice(0, -1).map((i) => i.change as number);
    expect(changes).toEqual([...changes].sort((a, b) => b - a));

    // A third run: with two snapshots kept, the first one's cursor has nothing to read.
    const run3 = await runScoring(t, { asOf: day(12) });
    await waitForSnapshot(t, run3.id);
    const gone = await get(`/v1/at-risk?limit=4&cursor=${second.body.nextCursor}`);
    expect(gone.status).toBe(410);
    expect(gone.body.message).toMatch(/start again from the first page/);
    const [{ n }] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'at_risk_s' || $1`, [
      first.body.snapshot.id,
    ]);
    expect(n).toBe(0);
  });

  it('follows a customer handed to another manager at once, though the snapshot is older', async () => {
    const c3 = BOOK.find((c) => c.id === 'c3')!;
    await post('/v1/customers', customers([{ ...c3, manager: AM2 }]));
    const ofAm1 = (await walk('limit=50', 'manager')).map((i) => i.customerId);
    expect(ofAm1).not.toContain('c3');
    expect((await walk(`manager=${AM2}`)).map((i) => i.customerId)).toContain('c3');
  });
});
