import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAndWait } from '../../src/cli/scoring-commands';
import { SnapshotBuilder } from '../../src/reporting/at-risk/snapshot-builder';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { waitForSnapshot } from '../support/at-risk';
import { runScoring, waitForRun } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';
import { sleep } from '../support/wait';

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

/**
 * A run as of an earlier time than the live runs is a backfill: score history only. The
 * book: customers the knob model puts in critical (alerts emailed at once) or in no tier.
 */
describe('backfill runs (asOf earlier than the live runs)', () => {
  let t: TestApp;
  let book: AlertBook;

  beforeAll(async () => {
    // The production rule too: older than 30 days is a backfill however new the book.
    t = await startTestApp({}, { ...ALERT_TEST_CONFIG, scoring: { ...ALERT_TEST_CONFIG.scoring, asOf: { liveWithinDays: 30 } } });
    book = new AlertBook(t);
    await book.add([
      { id: 'a', p: 0.9 },
      { id: 'b', p: 0.9 },
      { id: 'c', p: 0.9 },
      { id: 'd', p: 0.05 },
    ]);
  });
  afterAll(async () => {
    await t?.close();
  });

  const auth = () => ({ Authorization: `Bearer ${t.keys.scheduler}` });
  const post = (body: object) => request(t.http).post('/v1/scoring-runs').set(auth()).send(body);

  /** What users see of the present: current scores, alerts, the outbox, the story of each alert, the at-risk snapshot. */
  const present = async () => ({
    scores: await t.sql(`SELECT customer_id, run_id, as_of, probability, tier, tier_runs FROM customer_scores ORDER BY customer_id`),
    alerts: await t.sql(
      `SELECT id, customer_id, status, tier, current_tier, held_reason, last_run_id, latest_probability FROM alerts ORDER BY id`,
    ),
    outbox: await t.sql(`SELECT id, kind, alert_id, recipient FROM alert_deliveries ORDER BY id`),
    events: await t.sql(`SELECT id, kind FROM alert_events ORDER BY id`),
    snapshots: await t.sql(`SELECT id, run_id FROM at_risk_snapshots ORDER BY id`),
  });

  it('runs in order as of 14 days ago, 7 days ago and now (the demo) are live: they raise alerts', async () => {
    const first = await runScoring(t, { asOf: daysAgo(14) });
    expect(first).toMatchObject({ status: 'succeeded', backfill: false, alertsRaised: 3 });
    const second = await runScoring(t, { asOf: daysAgo(7) });
    expect(second).toMatchObject({ status: 'succeeded', backfill: false });
    // a customer entering critical now is alerted by the run as of now
    await book.setRisk({ d: 0.9 });
    const now = await runScoring(t, {});
    expect(now).toMatchObject({ status: 'succeeded', backfill: false, alertsRaised: 1 });
    await waitForSnapshot(t, now.id);
    const open = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE status = 'open'`);
    expect(open[0]?.n).toBe(4);
  });

  it('a run 200 days back writes history only: current scores, alerts, outbox and the at-risk list stay as they were', async () => {
    // What a rescore would change: a recovers, and e (new, never scored) is critical.
    await book.setRisk({ a: 0.05 });
    await book.add([{ id: 'e', p: 0.9 }]);
    // e's signals are 130 days old (AlertBook): the snapshot builder must not be why nothing moves.
    const before = await present();
    const run = await runScoring(t, { asOf: daysAgo(200) });
    expect(run).toMatchObject({ status: 'succeeded', backfill: true, alertsRaised: 0, customersScored: 5 });

    // Every customer's score as of then is in the history, for models and backtests.
    const history = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM score_history WHERE run_id = $1`, [run.id]);
    expect(history[0]?.n).toBe(5);
    // The snapshot builder finds nothing due (a backfill is no news for the at-risk list).
    expect(await t.app.get(SnapshotBuilder).buildIfDue()).toBe('up-to-date');
    await sleep(500); // the outbox dispatcher and a notified builder had their chance
    const after = await present();
    expect(after.scores).toEqual(before.scores);
    expect(after.alerts).toEqual(before.alerts);
    expect(after.outbox).toEqual(before.outbox);
    expect(after.events).toEqual(before.events);
    expect(after.snapshots).toEqual(before.snapshots);
    const atRisk = await request(t.http).get('/v1/at-risk?limit=10').set('Authorization', `Bearer ${t.keys.lead}`);
    expect(atRisk.body.snapshot.runId).not.toBe(run.id);
    expect(atRisk.body.items.map((i: { customerId: string }) => i.customerId).sort()).toEqual(['a', 'b', 'c', 'd']);

    // The run record says so, in the run and in the list.
    const one = await request(t.http).get(`/v1/scoring-runs/${run.id}`).set(auth());
    expect(one.body.backfill).toBe(true);
    const list = await request(t.http).get('/v1/scoring-runs?limit=50').set(auth());
    expect(list.body.map((r: { id: number; backfill: boolean }) => [r.id, r.backfill])).toEqual(
      list.body.map((r: { id: number }) => [r.id, r.id === run.id]),
    );
  });

  it('a run a day before the newest live run is a backfill too (within liveWithinDays)', async () => {
    const before = await present();
    const run = await runScoring(t, { asOf: daysAgo(1) });
    expect(run).toMatchObject({ status: 'succeeded', backfill: true, alertsRaised: 0 });
    expect(await t.app.get(SnapshotBuilder).buildIfDue()).toBe('up-to-date');
    const after = await present();
    expect(after.scores).toEqual(before.scores);
    expect(after.alerts).toEqual(before.alerts);
    expect(after.outbox).toEqual(before.outbox);
  });

  it('the next live run picks up what the backfills left alone', async () => {
    const run = await runScoring(t, {});
    expect(run).toMatchObject({ status: 'succeeded', backfill: false, alertsRaised: 1 });
    const scores = await t.sql<{ external_id: string; run_id: string }>(
      `SELECT c.external_id, s.run_id FROM customer_scores s JOIN customers c ON c.id = s.customer_id ORDER BY 1`,
    );
    expect(scores.map((s) => [s.external_id, Number(s.run_id)])).toEqual(['a', 'b', 'c', 'd', 'e'].map((id) => [id, run.id]));
    const alerts = await t.sql<{ external_id: string; status: string }>(
      `SELECT c.external_id, a.status FROM alerts a JOIN customers c ON c.id = a.customer_id ORDER BY 1`,
    );
    expect(alerts).toEqual([
      { external_id: 'a', status: 'closed' },
      { external_id: 'b', status: 'open' },
      { external_id: 'c', status: 'open' },
      { external_id: 'd', status: 'open' },
      { external_id: 'e', status: 'open' },
    ]);
  });

  it('asOf in the future, or before the earliest signal, is a 400 naming asOf (HTTP and the CLI)', async () => {
    const runs = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM scoring_runs`);
    for (const asOf of [
      new Date(Date.now() + 3_600_000).toISOString(),
      '9999-12-31T23:59:59Z',
      '2023-12-31T00:00:00Z',
      '0000-01-01T00:00:00Z',
    ]) {
      const res = await post({ asOf });
      expect(res.status, asOf).toBe(400);
      expect(
        res.body.errors?.map((e: { field: string }) => e.field),
        asOf,
      ).toEqual(['asOf']);
    }
    // The CLI's `score --as-of` triggers through the same service.
    await expect(runAndWait(t.app, {}, undefined, new Date('2023-12-31T00:00:00Z'))).rejects.toThrow(
      /asOf must not be before the earliest signal/,
    );
    await expect(runAndWait(t.app, {}, undefined, new Date(Date.now() + 3_600_000))).rejects.toThrow(/asOf must not be in the future/);
    // nothing was recorded
    expect(await t.sql(`SELECT count(*)::int AS n FROM scoring_runs`)).toEqual(runs);
    // the first customer's signup itself is fine
    const ok = await post({ asOf: '2024-01-15T00:00:00Z', customerIds: ['b'] });
    expect(ok.status).toBe(202);
    expect(ok.body.backfill).toBe(true);
    expect(await waitForRun(t, ok.body.id)).toMatchObject({ status: 'succeeded', backfill: true, alertsRaised: 0 });
  });
});
