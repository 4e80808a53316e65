import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeedService } from '../../src/demo/seed.service';
import { JobName, QueueName } from '../../src/jobs/job-catalogue';
import { JobQueue } from '../../src/jobs/job-queue.service';
import { ChunkScorer } from '../../src/scoring/chunk-scorer';
import { runScores, runScoring, waitForRun } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';
import { until } from '../support/wait';
import type { Json } from '../support/json';

const AS_OF = new Date(Date.now() - 3_600_000);

describe('scoring runs through BullMQ chunks', () => {
  let t: TestApp;
  const auth = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });

  beforeAll(async () => {
    t = await startTestApp({}, { scoring: { chunkSize: 40 } });
    await t.app.get(SeedService).seed({ customers: 200, months: 8, seed: 11, asOf: AS_OF });
  });
  afterAll(() => t?.close());

  let first: Json;

  it('scores every active customer, writes current scores and history, and reports the run', async () => {
    // a month back, so the next test's run has a different past to compare with
    const asOf = new Date(AS_OF.getTime() - 30 * 86_400_000);
    const run = (first = await runScoring(t, { asOf: asOf.toISOString() }));
    const [{ n: active }] = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM customers WHERE signup_at <= $1 AND (churned_at IS NULL OR churned_at > $1)`,
      [asOf],
    );
    expect(active).toBeGreaterThan(100);
    expect(run).toMatchObject({
      status: 'succeeded',
      progress: 1,
      customersScored: active,
      customersTotal: active,
      scope: { kind: 'all' },
    });
    expect(run.chunks.total).toBe(Math.ceil(active / 40));
    expect(run.modelVersion).toBeGreaterThan(0);
    expect(run.distribution.count).toBe(active);
    expect(run.distribution.counts.reduce((s: number, c: number) => s + c, 0)).toBe(active);
    expect(run.drift).toBeNull(); // nothing to compare with yet
    const [{ n: current }] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM customer_scores WHERE run_id = $1`, [run.id]);
    expect(current).toBe(active);
    expect((await runScores(t, run.id)).size).toBe(active);
    const bad = await t.sql(`SELECT 1 FROM customer_scores WHERE probability < 0 OR probability > 1 OR probability = 'NaN'`);
    expect(bad).toHaveLength(0);
    // every row was rewritten: the worker vacuums the table after a full run
    await until(
      'customer_scores vacuumed',
      async () =>
        (await t.sql<{ n: number }>(`SELECT vacuum_count::int AS n FROM pg_stat_user_tables WHERE relname = 'customer_scores'`))[0]!.n > 0,
    );
  });

  it('a second run keeps the previous probability, explains what changed and reports drift', async () => {
    const second = await runScoring(t);
    expect(second.drift).toEqual(expect.any(Number));
    // the riskiest customer whose probability moved by a point or more since the first run
    const [row] = await t.sql<{ external_id: string }>(
      `SELECT c.external_id FROM customer_scores s JOIN customers c ON c.id = s.customer_id
        WHERE s.run_id = $1 AND abs(s.probability - s.previous_probability) >= 0.01 ORDER BY s.probability DESC LIMIT 1`,
      [second.id],
    );
    const res = await request(t.http).get(`/v1/customers/${row!.external_id}`).set(auth('lead'));
    expect(res.status).toBe(200);
    expect(res.body.score.runId).toBe(second.id);
    expect(res.body.score.previousProbability).toEqual(expect.any(Number));
    expect(res.body.score.changes[0]).toMatchObject({ key: expect.any(String), text: expect.stringMatching(/risk by/) });
    expect(res.body.score.drivers.length).toBeGreaterThan(0);
    expect(res.body.history.map((h: { runId: number }) => h.runId).slice(0, 2)).toEqual([second.id, first.id]);
  });

  it("a chunk job handed out again after its chunk was written leaves the chunk's scores, history and counts as they were", async () => {
    // as if the worker had died between COMMIT and acknowledging the job, while the run went on
    const run = first;
    const [chunk] = await t.sql<{ from_id: string; to_id: string }>(
      `SELECT from_id, to_id FROM scoring_chunks WHERE run_id = $1 AND chunk_no = 0`,
      [run.id],
    );
    const written = () =>
      t.sql<{ n: number; at: string }>(
        `SELECT count(*)::int AS n, max(scored_at)::text AS at FROM score_history WHERE run_id = $1 AND customer_id BETWEEN $2 AND $3`,
        [run.id, chunk!.from_id, chunk!.to_id],
      );
    const before = await written();
    await t.sql(`UPDATE scoring_runs SET status = 'running' WHERE id = $1`, [run.id]);
    try {
      expect(await t.app.get(ChunkScorer).handleChunk({ runId: run.id, chunkNo: 0 })).toBe('skipped');
      expect(await written()).toEqual(before);
      const [counts] = await t.sql<{ chunks_done: number; customers_scored: number }>(
        `SELECT chunks_done, customers_scored FROM scoring_runs WHERE id = $1`,
        [run.id],
      );
      expect(counts).toEqual({ chunks_done: run.chunks.total, customers_scored: run.customersScored });
    } finally {
      await t.sql(`UPDATE scoring_runs SET status = 'succeeded' WHERE id = $1`, [run.id]);
    }
  });

  it('concurrent full-run triggers give one run; the others answer 409 with its id', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => request(t.http).post('/v1/scoring-runs').set(auth('scheduler')).send({})),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(r.body.id).toBe(accepted[0]!.body.id);
    await waitForRun(t, accepted[0]!.body.id);
  });

  it('a segment run touches only that segment', async () => {
    const segments = await t.sql<{ segment: string; n: number }>(
      `SELECT segment, count(*)::int AS n FROM customers WHERE status = 'active' GROUP BY segment ORDER BY n DESC`,
    );
    const segment = segments[0]!.segment;
    const run = await runScoring(t, { segment });
    expect(run).toMatchObject({ status: 'succeeded', scope: { kind: 'segment', segment }, customersScored: segments[0]!.n });
    const touched = await t.sql<{ segment: string }>(
      `SELECT DISTINCT c.segment FROM score_history h JOIN customers c ON c.id = h.customer_id WHERE h.run_id = $1`,
      [run.id],
    );
    expect(touched).toEqual([{ segment }]);
  });

  it('a list run scores exactly the listed customers; unknown ids are a 400 naming them', async () => {
    const ids = (
      await t.sql<{ external_id: string }>(`SELECT external_id FROM customers WHERE status = 'active' ORDER BY id DESC LIMIT 3`)
    ).map((r) => r.external_id);
    const run = await runScoring(t, { customerIds: ids });
    expect(run.customersScored).toBe(3);
    expect(run.scope).toEqual({ kind: 'customers', customerIds: ids });
    const bad = await request(t.http)
      .post('/v1/scoring-runs')
      .set(auth('scheduler'))
      .send({ customerIds: [ids[0], 'nope-1'] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'customerIds', message: "unknown customer 'nope-1'" }]);
  });

  it('validates the trigger body and the roles', async () => {
    const bad = await request(t.http)
      .post('/v1/scoring-runs')
      .set(auth('scheduler'))
      .send({ segment: 'smb', customerIds: ['x'] });
    expect(bad.status).toBe(400);
    const extra = await request(t.http).post('/v1/scoring-runs').set(auth('scheduler')).send({ everyone: true });
    expect(extra.status).toBe(400);
    expect((await request(t.http).post('/v1/scoring-runs').set(auth('lead')).send({})).status).toBe(403);
    expect((await request(t.http).get('/v1/scoring-runs').set(auth('ingest'))).status).toBe(403);
    const list = await request(t.http).get('/v1/scoring-runs?limit=2').set(auth('lead'));
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(2);
    expect(list.body[0].id).toBeGreaterThan(list.body[1].id);
  });

  it("a manager reads only their own customers' pages", async () => {
    const [mine] = await t.sql<{ external_id: string }>(`SELECT external_id FROM customers LIMIT 1`);
    // make the manager key's email the account manager of exactly one customer
    await t.sql(`UPDATE customers SET account_manager_email = 'am1@example.com' WHERE external_id = $1`, [mine!.external_id]);
    const [other] = await t.sql<{ external_id: string }>(
      `SELECT external_id FROM customers WHERE account_manager_email <> 'am1@example.com' LIMIT 1`,
    );
    expect((await request(t.http).get(`/v1/customers/${mine!.external_id}`).set(auth('manager'))).status).toBe(200);
    expect((await request(t.http).get(`/v1/customers/${other!.external_id}`).set(auth('manager'))).status).toBe(404);
    expect((await request(t.http).get(`/v1/customers/no-such`).set(auth('lead'))).status).toBe(404);
  });

  it('counts jobs and scored customers in Prometheus metrics', async () => {
    const [{ n }] = await t.sql<{ n: number }>(`SELECT sum(customers_scored)::int AS n FROM scoring_runs`);
    const metrics = (await request(t.http).get('/metrics')).text;
    expect(metrics).toContain(`churnwatch_customers_scored_total ${n}`);
    // job_name, not job: Prometheus would rename a "job" label exported_job.
    expect(metrics).toMatch(/churnwatch_jobs_total\{job_name="scoring-chunk",outcome="done"\} \d+/);
    expect(metrics).toMatch(/churnwatch_job_duration_seconds_count\{job_name="scoring-plan"\} \d+/);
    expect(metrics).toMatch(/churnwatch_jobs_total\{job_name="model-train",outcome="failed"\} 0/);
    // The newest successful full run, as stored: when it finished and how long it took.
    const [last] = await t.sql<{ at: number; took: number }>(
      `SELECT extract(epoch FROM finished_at)::float8 AS at, extract(epoch FROM finished_at - started_at)::float8 AS took
         FROM scoring_runs WHERE full_run AND NOT backfill AND status = 'succeeded' ORDER BY id DESC LIMIT 1`,
    );
    const gauge = (name: string) => Number(metrics.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
    expect(gauge('churnwatch_scoring_last_success_timestamp_seconds')).toBeCloseTo(last!.at, 3);
    expect(gauge('churnwatch_scoring_last_success_duration_seconds')).toBeCloseTo(last!.took, 3);
  });

  it('records signal freshness from ingestion and marks a run stale for the kinds that are too old', async () => {
    const [c] = await t.sql<{ external_id: string }>(`SELECT external_id FROM customers WHERE status = 'active' LIMIT 1`);
    const at = new Date(Date.now() - 60_000).toISOString();
    const sent = await request(t.http)
      .post('/v1/signals/activity')
      .set(auth('ingest'))
      .send([{ externalId: 'fresh-1', customerId: c!.external_id, type: 'login', occurredAt: at }]);
    expect(sent.status).toBe(200);
    const [fresh] = await t.sql<{ newest_at: Date }>(`SELECT newest_at FROM signal_freshness WHERE kind = 'activity'`);
    expect(fresh!.newest_at.toISOString()).toBe(at);
    const fresh1 = await runScoring(t);
    expect(fresh1.stale).toEqual([]);
    expect(fresh1.freshness.activity).toBe(at);

    // activity stops arriving for three days (the limit is 48 hours)
    await t.sql(`UPDATE signal_freshness SET newest_at = now() - interval '3 days' WHERE kind = 'activity'`);
    const stale = await runScoring(t);
    expect(stale.stale).toEqual(['activity']);
  });

  it('a job with a bad payload fails at once, without retries and without reaching its handler', async () => {
    const queue = t.app.get(JobQueue).queue(QueueName.Scoring);
    const job = await queue.add(JobName.ScoringChunk, { runId: 'not-a-number' }, { jobId: 'bad-payload-1' });
    for (let i = 0; i < 100 && !(await job.isFailed()); i++) await new Promise((r) => setTimeout(r, 50));
    const failed = await queue.getJob('bad-payload-1');
    expect(failed!.failedReason).toMatch(/bad payload/);
    expect(failed!.attemptsMade).toBe(1);
  });
});
