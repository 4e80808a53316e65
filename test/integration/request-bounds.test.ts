import type { INestApplication } from '@nestjs/common';
import { request as httpRequest } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { waitForSnapshot } from '../support/at-risk';
import { startPeer, TestApp, startTestApp } from '../support/test-app';
import { sleep, until } from '../support/wait';
import { tierOf, tierWithHysteresis, TierRule } from '../../src/thresholds/tier-policy';
import { TrainingService } from '../../src/model/training.service';

/** Ten tiers 0.95, 0.85, … 0.05: the default thresholds.preview.maxTiers. */
const TEN = Array.from({ length: 10 }, (_, i) => ({ name: `t${i}`, minProbability: Math.round((0.95 - 0.1 * i) * 100) / 100 }));
const RISKS = [0.02, 0.07, 0.12, 0.18, 0.25, 0.33, 0.349, 0.41, 0.46, 0.52, 0.55, 0.63, 0.66, 0.71, 0.74, 0.8, 0.849, 0.86, 0.91, 0.97];

describe('request bounds: preview tiers, filters, training parameters, statement timeouts, disconnects', () => {
  let t: TestApp;
  let peer: INestApplication;
  const lead = () => ({ Authorization: `Bearer ${t.keys.lead}` });
  const preview = (body: object, server: Server = t.http) => request(server).post('/v1/thresholds/preview').set(lead()).send(body);

  beforeAll(async () => {
    t = await startTestApp({}, ALERT_TEST_CONFIG);
    const book = new AlertBook(t);
    await book.add(RISKS.map((p, i) => ({ id: `c${i}`, p, segment: i % 2 ? 'enterprise' : 'smb' })));
    await book.run(100);
    // A second run with moved risks, so previous probabilities (and hysteresis) matter.
    await book.setRisk(
      Object.fromEntries(RISKS.map((p, i) => [`c${i}`, Math.min(0.99, Math.max(0.01, p + (i % 3 === 0 ? 0.04 : -0.03)))])),
    );
    const run = await book.run(110);
    await waitForSnapshot(t, run.id);
    // The same service on the same database with tiny timeouts for pages and previews.
    peer = await startPeer(
      t,
      {},
      { ...ALERT_TEST_CONFIG, database: { statementTimeouts: { page: 0.3, report: 0.3, preview: 0.3, export: 600, training: 0.3 } } },
    );
  });
  afterAll(async () => {
    await peer?.close();
    await t?.close();
  });

  /** Holds an ACCESS EXCLUSIVE lock on `table` from a connection of the test's own until release(). */
  async function lock(table: string): Promise<{ release(): Promise<void> }> {
    const c = new Client({ connectionString: t.db.url });
    await c.connect();
    await c.query('BEGIN');
    await c.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    return { release: async () => void (await c.query('ROLLBACK'), await c.end()) };
  }
  const waitingPreviews = async () =>
    (
      await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%width_bucket%' AND pid <> pg_backend_pid()`,
      )
    )[0]!.n;

  it('answers 400 naming tiers past thresholds.preview.maxTiers, and segments past maxSegments', async () => {
    const eleven = [...TEN, { name: 'last', minProbability: 0.01 }];
    const res = await preview({ tiers: eleven });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'tiers', message: expect.stringMatching(/at most 10 tiers/) })]);
    const thousand = Array.from({ length: 1000 }, (_, i) => ({ name: `n${i}`, minProbability: 1 - (i + 1) / 1001 }));
    expect((await preview({ tiers: thousand })).status).toBe(400);
    const segments = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`s${i}`, { critical: 0.8 }]));
    const many = await preview({ segments });
    expect(many.status).toBe(400);
    expect(many.body.errors[0].field).toBe('segments');
    // Segment thresholds that no longer decrease are refused as in the configuration.
    const crossed = await preview({ segments: { smb: { critical: 0.4 } } });
    expect(crossed.status).toBe(400);
    expect(crossed.body.errors[0].field).toBe('segments.smb');
  });

  it('the most tiers allowed answer the same counts as one tier at a time, and as the tier rules', async () => {
    const rows = await t.sql<{ p: number; prev: number | null; segment: string }>(
      `SELECT s.probability AS p, s.previous_probability AS prev, c.segment FROM customer_scores s JOIN customers c ON c.id = s.customer_id`,
    );
    expect(rows).toHaveLength(RISKS.length);
    const res = await preview({ tiers: TEN, hysteresis: 0 });
    expect(res.status).toBe(200);
    expect(res.body.customers).toBe(RISKS.length);
    const expected: Record<string, number> = { none: 0, ...Object.fromEntries(TEN.map((x) => [x.name, 0])) };
    for (const r of rows) expected[tierOf(r.p, TEN) ?? 'none']! += 1;
    expect(res.body.tiers).toEqual(expected);
    // One tier at a time: the customers reaching threshold i are tiers 0..i of the ten.
    let reached = 0;
    for (const tier of TEN) {
      reached += res.body.tiers[tier.name];
      const one = await preview({ tiers: [tier], hysteresis: 0 });
      expect(one.status).toBe(200);
      expect(one.body.tiers[tier.name], tier.name).toBe(reached);
    }
    // With hysteresis and a segment's own thresholds: each customer as TierPolicy tiers it.
    const enterprise: Record<string, number> = { t0: 0.9, t3: 0.6, t9: 0.02 };
    const withBoth = await preview({ tiers: TEN, hysteresis: 0.05, segments: { enterprise } });
    expect(withBoth.status).toBe(200);
    const tiersOf = (segment: string): TierRule[] =>
      segment === 'enterprise' ? TEN.map((x) => ({ name: x.name, minProbability: enterprise[x.name] ?? x.minProbability })) : TEN;
    const want: Record<string, number> = { none: 0, ...Object.fromEntries(TEN.map((x) => [x.name, 0])) };
    for (const r of rows) {
      const rules = tiersOf(r.segment);
      const held = r.prev === null ? null : tierOf(r.prev, rules);
      want[tierWithHysteresis(r.p, held, rules, 0.05) ?? 'none']! += 1;
    }
    expect(withBoth.body.tiers).toEqual(want);
  });

  it('answers 400 for list filters past their documented counts', async () => {
    const tiers = Array.from({ length: 21 }, () => 'critical')
      .map((x, i) => `${x}${i}`)
      .join(',');
    const tooManyTiers = await request(t.http).get(`/v1/at-risk?tier=${tiers}`).set(lead());
    expect(tooManyTiers.status).toBe(400);
    expect(tooManyTiers.body.errors[0].field).toBe('tier');
    const segments = Array.from({ length: 51 }, (_, i) => `s${i}`).join(',');
    for (const path of [`/v1/at-risk?segment=${segments}`, `/v1/at-risk.csv?segment=${segments}`]) {
      const res = await request(t.http).get(path).set(lead());
      expect(res.status, path).toBe(400);
      expect(res.body.errors[0].field).toBe('segment');
    }
  });

  it('model training refuses an asOf in the future or before the earliest signal, and out-of-range parameters', async () => {
    const train = (body: object) =>
      request(t.http)
        .post('/v1/models/train')
        .set({ Authorization: `Bearer ${t.keys.admin}` })
        .send(body);
    const before = (await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM models`))[0]!.n;
    for (const asOf of [
      '9999-12-31T00:00:00Z',
      '0000-01-01T00:00:00Z',
      new Date(Date.now() + 86_400_000).toISOString(),
      '2000-01-01T00:00:00Z',
    ]) {
      const res = await train({ asOf });
      expect(res.status, asOf).toBe(400);
      expect(res.body.errors, asOf).toEqual([expect.objectContaining({ field: 'asOf' })]);
    }
    for (const horizonDays of [0, 731, 1e9, 1.5]) {
      const res = await train({ horizonDays });
      expect(res.status, String(horizonDays)).toBe(400);
      expect(res.body.errors[0].field).toBe('horizonDays');
    }
    expect((await train({ l2: 1e9 })).status).toBe(400);
    // Nothing was recorded for any refused request.
    expect((await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM models`))[0]!.n).toBe(before);
  });

  it("model training's statements have their own timeout: past it the version fails with the reason, nothing left running", async () => {
    const held = await lock('activity_events');
    try {
      await expect(peer.get(TrainingService).trainNow({})).rejects.toThrow(/statement timeout/);
    } finally {
      await held.release();
    }
    const [failed] = await t.sql<{ status: string; error: string }>(`SELECT status, error FROM models ORDER BY id DESC LIMIT 1`);
    expect(failed).toEqual({ status: 'failed', error: expect.stringMatching(/statement timeout/) });
  });

  it('a statement past its timeout answers 503 with a JSON error; pages have their own timeout', async () => {
    const held = await lock('customer_scores');
    try {
      const res = await preview({}, peer.getHttpServer());
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'statement_timeout' });
    } finally {
      await held.release();
    }
    const entries = await lock('at_risk_entries');
    try {
      const res = await request(peer.getHttpServer()).get('/v1/at-risk').set(lead());
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'statement_timeout' });
    } finally {
      await entries.release();
    }
    // The same requests without the lock are answered.
    expect((await preview({}, peer.getHttpServer())).status).toBe(200);
  });

  it('the customer page, alert lists and the metrics summary answer 503 past their kind of timeout, then work again', async () => {
    const get = (path: string) => request(peer.getHttpServer()).get(path).set(lead());
    const reads = ['/v1/customers/c3', '/v1/alerts', '/v1/metrics/summary'];
    // Every one of them reads customers; held exclusively, each statement waits past its timeout.
    const held = await lock('customers');
    try {
      for (const path of reads) {
        const res = await get(path);
        expect(res.status, path).toBe(503);
        expect(res.body, path).toMatchObject({ code: 'statement_timeout' });
      }
    } finally {
      await held.release();
    }
    for (const path of reads) expect((await get(path)).status, path).toBe(200);
  });

  it('a client that disconnects cancels its preview statement in Postgres', async () => {
    const server = t.http;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const held = await lock('customer_scores');
    try {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/thresholds/preview',
        headers: { ...lead(), 'Content-Type': 'application/json' },
      });
      req.on('error', () => undefined);
      req.end(JSON.stringify({ tiers: TEN }));
      // The statement waits behind the lock (it would wait until the lock went, or for its 30 s timeout).
      await until('the preview statement waiting in Postgres', async () => (await waitingPreviews()) === 1, 10_000);
      req.destroy();
      await until('the preview statement cancelled', async () => (await waitingPreviews()) === 0, 5_000);
      await sleep(200);
      expect(await waitingPreviews()).toBe(0);
    } finally {
      await held.release();
    }
  });
});
