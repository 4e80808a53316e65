import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Pool, PoolClient } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgPool } from '../../src/database/data-source';
import { activityRow, customerRow } from '../support/factories';
import { runScoring } from '../support/scoring';
import { waitForSnapshot } from '../support/at-risk';
import { TestApp, startTestApp } from '../support/test-app';
import { sleep, until } from '../support/wait';
import type { Json } from '../support/json';

/**
 * Issue 18 item 2: slow uploads (bytes trickling in) must not starve anyone. The bound on
 * page reads is deliberately generous (a read that queued behind the uploads, as before,
 * took as long as the uploads); figures are printed by `npm run bench:slow-clients`.
 */
const READ_BOUND_MS = 2000;
const SLOW_UPLOADS = 12;
const ROWS_PER_UPLOAD = 20;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Json;
}

/** POSTs `body` in pieces of `piece` bytes every `everyMs`; resolves with the answer, even one sent before the body ended. */
function trickle(t: TestApp, path: string, body: string, piece: number, everyMs: number, stopAfter = Infinity): Promise<Answer> {
  const { port } = t.http.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { Authorization: `Bearer ${t.keys.ingest}`, 'Content-Type': 'application/x-ndjson' },
      },
      (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : null });
        });
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err); // a write after the answer may fail: the answer is what counts
    });
    void (async () => {
      for (let at = 0, sent = 0; at < body.length; at += piece, sent++) {
        if (answered || req.destroyed) return;
        if (sent >= stopAfter) return; // a client that stops sending, connection left open
        req.write(body.slice(at, at + piece));
        await sleep(everyMs);
      }
      req.end();
    })();
  });
}

const ndjson = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function inProgress(t: TestApp): Promise<number> {
  const text = (await request(t.http).get('/metrics')).text;
  const match = /^churnwatch_ingest_in_progress\{stage="requests"\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

describe('slow uploads beside page reads', () => {
  let t: TestApp;
  const lead = () => ({ Authorization: `Bearer ${t.keys.lead}` });

  beforeAll(async () => {
    // Small spool memory, so the slow bodies go through temporary files as large ones do.
    t = await startTestApp({}, { ingest: { maxConcurrent: SLOW_UPLOADS, bodyIdleTimeoutSeconds: 2, spool: { memoryBytes: '1kb' } } });
    await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
    const customers = [customerRow({ externalId: 'reader-1' }), ...Array.from({ length: 30 }, () => customerRow())];
    const stored = await request(t.http)
      .post('/v1/customers')
      .set({ Authorization: `Bearer ${t.keys.ingest}` })
      .send(customers);
    expect(stored.status).toBe(200);
    const signals = customers.map((c) => activityRow(c.externalId));
    expect(
      (
        await request(t.http)
          .post('/v1/signals/activity')
          .set({ Authorization: `Bearer ${t.keys.ingest}` })
          .send(signals)
      ).status,
    ).toBe(200);
    const run = await runScoring(t);
    expect(run.status).toBe('succeeded');
    await waitForSnapshot(t, run.id);
  });
  afterAll(() => t?.close());

  it(`answers customer pages, at-risk pages and readiness promptly while ${SLOW_UPLOADS} uploads trickle in; a 13th upload gets 429`, async () => {
    const bodies = Array.from({ length: SLOW_UPLOADS }, (_, i) =>
      Array.from({ length: ROWS_PER_UPLOAD }, (_, j) => customerRow({ externalId: `slow-${i}-${j}` })),
    );
    // The last upload's last row is bad: that whole upload must be refused, none of it stored.
    bodies[SLOW_UPLOADS - 1]![ROWS_PER_UPLOAD - 1] = customerRow({ externalId: `slow-${SLOW_UPLOADS - 1}-bad`, monthlyRevenue: 'lots' });
    // About 5 s per upload: ~4 KB in 40-byte pieces every 50 ms.
    const uploads = bodies.map((rows) => trickle(t, '/v1/customers', ndjson(rows), 40, 50));
    let done = false;
    void Promise.allSettled(uploads).then(() => (done = true));

    await until('all slow uploads admitted', async () => (await inProgress(t)) === SLOW_UPLOADS, 10_000);
    const extra = await trickle(t, '/v1/customers', ndjson([customerRow({ externalId: 'extra-1' })]), 1 << 20, 0);
    expect(extra.status).toBe(429);
    expect(extra.headers['retry-after']).toBe('5');
    expect(extra.body).toMatchObject({ code: 'too_many_uploads' });

    const reads: Array<{ what: string; status: number; ms: number }> = [];
    let openTransactions = 0; // most seen at once
    const timed = async (what: string, call: () => PromiseLike<{ status: number }>) => {
      const started = performance.now();
      const res = await call();
      reads.push({ what, status: res.status, ms: performance.now() - started });
    };
    while (!done) {
      await timed('customer page', () => request(t.http).get('/v1/customers/reader-1').set(lead()));
      await timed('at-risk page', () => request(t.http).get('/v1/at-risk?limit=50').set(lead()));
      await timed('readiness', () => request(t.http).get('/health/ready'));
      // Uploads receiving hold no transaction: only those merging do (ingest.maxConcurrentMerges).
      const [row] = await t.sql<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL AND application_name = 'churnwatch-ingest'`,
      );
      openTransactions = Math.max(openTransactions, Number(row!.n));
    }

    expect(reads.length).toBeGreaterThanOrEqual(9);
    for (const read of reads) {
      expect(read.status, read.what).toBe(200);
      expect(read.ms, `${read.what} took ${Math.round(read.ms)} ms`).toBeLessThan(READ_BOUND_MS);
    }
    expect(openTransactions).toBeLessThanOrEqual(t.config.ingest.maxConcurrentMerges);

    const answers = await Promise.all(uploads);
    for (const answer of answers.slice(0, -1))
      expect(answer).toMatchObject({ status: 200, body: { accepted: ROWS_PER_UPLOAD, duplicates: 0 } });
    expect(answers.at(-1)).toMatchObject({
      status: 400,
      body: {
        code: 'validation_failed',
        errorCount: 1,
        errors: [{ row: ROWS_PER_UPLOAD - 1, line: ROWS_PER_UPLOAD, field: 'monthlyRevenue' }],
      },
    });
    const stored = await t.sql<{ prefix: string; n: string }>(
      `SELECT split_part(external_id, '-', 2) AS prefix, count(*) AS n FROM customers WHERE external_id LIKE 'slow-%' OR external_id LIKE 'extra-%' GROUP BY 1 ORDER BY 1`,
    );
    // Every good upload in full, nothing of the refused one (index 11) nor of the 429'd one.
    expect(stored.map((r) => [r.prefix, Number(r.n)])).toEqual(
      Array.from({ length: SLOW_UPLOADS - 1 }, (_, i) => [String(i), ROWS_PER_UPLOAD]).sort(),
    );
    // Slots are free again: the next upload is taken.
    const after = await trickle(t, '/v1/customers', ndjson([customerRow({ externalId: 'extra-2' })]), 1 << 20, 0);
    expect(after).toMatchObject({ status: 200, body: { accepted: 1 } });
  });

  it('answers 408 to an upload that stops sending, closes it and stores nothing', async () => {
    const rows = Array.from({ length: 10 }, (_, j) => customerRow({ externalId: `stalled-${j}` }));
    // Two pieces of 200 bytes, then silence (bodyIdleTimeoutSeconds is 2 here).
    const answer = await trickle(t, '/v1/customers', ndjson(rows), 200, 10, 2);
    expect(answer.status).toBe(408);
    expect(answer.headers.connection).toBe('close');
    expect(answer.body).toMatchObject({ code: 'request_timeout' });
    expect(answer.body.message).toMatch(/ingest\.bodyIdleTimeoutSeconds/);
    expect(await t.sql(`SELECT 1 FROM customers WHERE external_id LIKE 'stalled-%'`)).toEqual([]);
    expect((await request(t.http).get('/metrics')).text).toMatch(/^churnwatch_ingest_refused_total\{reason="idle"\} 1$/m);
  });

  it('stays ready while every connection of the main pool is taken', async () => {
    const pool: Pool = pgPool(t.app.get(DataSource));
    const held: PoolClient[] = await Promise.all(Array.from({ length: t.config.database.poolSize }, () => pool.connect()));
    try {
      const res = await request(t.http).get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
    } finally {
      for (const client of held) client.release();
    }
  });

  it('stays ready after its own database connection is closed by the server', async () => {
    await t.sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'churnwatch-health'`,
    );
    const res = await request(t.http).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.checks.postgres).toBe('up');
  });
});
