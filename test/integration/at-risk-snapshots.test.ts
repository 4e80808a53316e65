import request from 'supertest';
import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotBuilder } from '../../src/reporting/at-risk/snapshot-builder';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { waitForSnapshot } from '../support/at-risk';
import { startPeer, TestApp, startTestApp } from '../support/test-app';

/**
 * When the at-risk list's snapshots are built: only from finished runs (never from a run
 * half-written), once per finished run however many processes try, and caught up by any
 * worker process if the notification was lost.
 */
describe('at-risk snapshots', () => {
  let t: TestApp;
  let peer: INestApplication;
  let book: AlertBook;
  const lead = () => ({ Authorization: `Bearer ${t.keys.lead}` });
  /** The builder's answer once no other build (e.g. the one a run's end started) holds the lock. */
  const settled = async (builder: SnapshotBuilder) => {
    for (;;) {
      const outcome = await builder.buildIfDue();
      if (outcome !== 'locked') return outcome;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const snapshots = () => t.sql<{ id: string; run_id: string }>(`SELECT id, run_id FROM at_risk_snapshots ORDER BY id`);

  beforeAll(async () => {
    // The timer is off (a long interval), so the test decides when builders look.
    const overrides = { ...ALERT_TEST_CONFIG, reporting: { atRisk: { keepSnapshots: 3, checkIntervalSeconds: 3600 } } };
    t = await startTestApp({}, overrides);
    peer = await startPeer(t, {}, overrides);
    book = new AlertBook(t);
    await book.add([
      { id: 'a', p: 0.9 },
      { id: 'b', p: 0.6 },
      { id: 'c', p: 0.1 },
    ]);
  });
  afterAll(async () => {
    await peer?.close();
    await t?.close();
  });

  it('is built once a run finishes, holding only customers in a tier', async () => {
    const run = await book.run(1);
    const snapshot = await waitForSnapshot(t, run.id);
    expect(snapshot).toMatchObject({ runId: run.id, customers: 2, byTier: { critical: 1, high: 1 } });
    expect(await snapshots()).toHaveLength(1);
  });

  it('waits while a run is half-written, and follows it once it has finished', async () => {
    const builder = t.app.get(SnapshotBuilder);
    // A run that has committed one of its two chunks, as a worker would mid-run. (The fake
    // runs' asOf lies before the book's timeline: one as of now would make every later book
    // run a backfill, which no snapshot follows.)
    const [{ id }] = await t.sql<{ id: string }>(
      `INSERT INTO scoring_runs (status, scope, full_run, trigger, as_of, chunks_total, chunks_done, started_at)
       VALUES ('running', '{"kind":"segment","segment":"x"}', false, 'api', now() - interval '1 year', 2, 1, now()) RETURNING id`,
    );
    const other = await book.run(2); // finishes while the fake run is still running
    expect(await settled(builder)).toBe('busy');
    expect((await request(t.http).get('/v1/at-risk').set(lead())).body.snapshot.runId).toBeLessThan(other.id);

    await t.sql(`UPDATE scoring_runs SET status = 'succeeded', chunks_done = 2, finished_at = now() WHERE id = $1`, [id]);
    expect(await builder.buildIfDue()).toBe('built');
    expect(await builder.buildIfDue()).toBe('up-to-date');
    expect((await request(t.http).get('/v1/at-risk').set(lead())).body.snapshot.runId).toBe(Number(id));
  });

  it('stops waiting for a run that has written chunks but stopped moving (its jobs lost)', async () => {
    const builder = t.app.get(SnapshotBuilder);
    expect(await settled(builder)).toBe('up-to-date');
    await t.sql(`INSERT INTO scoring_runs (status, scope, full_run, trigger, as_of, chunks_total, chunks_done, started_at)
                 VALUES ('running', '{"kind":"segment","segment":"x"}', false, 'api', now() - interval '1 year', 2, 1, now() - interval '11 minutes')`);
    await t.sql(`INSERT INTO scoring_runs (status, scope, full_run, trigger, as_of, chunks_total, chunks_done, finished_at)
                 VALUES ('succeeded', '{"kind":"segment","segment":"y"}', false, 'api', now() - interval '1 year', 1, 1, now())`);
    expect(await builder.buildIfDue()).toBe('built'); // reporting.atRisk.stalledRunMinutes is 10
  });

  it('two processes asking at once build one snapshot', async () => {
    await book.setRisk({ c: 0.95 });
    const run = await book.run(3);
    await waitForSnapshot(t, run.id);
    expect(await settled(t.app.get(SnapshotBuilder))).toBe('up-to-date'); // the build after the run is over, pruning included
    const count = (await snapshots()).length;
    // A run nobody announced (its process died after committing): both catch it up, one builds.
    const [{ id: unannounced }] = await t.sql<{ id: string }>(
      `INSERT INTO scoring_runs (status, scope, full_run, trigger, as_of, chunks_total, chunks_done, finished_at)
       VALUES ('succeeded', '{"kind":"segment","segment":"x"}', false, 'api', now() - interval '1 year', 1, 1, now()) RETURNING id`,
    );
    const outcomes = await Promise.all([t.app.get(SnapshotBuilder).buildIfDue(), peer.get(SnapshotBuilder).buildIfDue()]);
    expect(outcomes.filter((o) => o === 'built')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'built')).toEqual([expect.stringMatching(/^(locked|up-to-date)$/)]);
    expect(await snapshots()).toHaveLength(count + 1);
    // Whichever process built it, every process reads it within a second.
    await waitForSnapshot(t, Number(unannounced), 5_000);
    const list = await request(t.http).get('/v1/at-risk').set(lead());
    expect(list.body.items.map((i: { customerId: string }) => i.customerId)).toEqual(['c', 'a', 'b']);
  });

  it('keeps the newest snapshots only and drops the tables of older ones', async () => {
    for (const n of [4, 5]) await waitForSnapshot(t, (await book.run(n)).id);
    const kept = await t.sql<{ id: string; status: string }>(`SELECT id, status FROM at_risk_snapshots WHERE status = 'ready'`);
    expect(kept).toHaveLength(3);
    const tables = await t.sql<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE tablename ~ '^at_risk_s[0-9]+$' ORDER BY tablename`,
    );
    expect(tables.map((r) => r.tablename).sort()).toEqual(kept.map((k) => `at_risk_s${k.id}`).sort());
  });
});
