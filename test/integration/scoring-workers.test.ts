import { once } from 'node:events';
import request from 'supertest';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SeedService } from '../../src/demo/seed.service';
import { QueueName } from '../../src/jobs/job-catalogue';
import { JobQueue } from '../../src/jobs/job-queue.service';
import { SCORE_STATEMENT_TAG } from '../../src/scoring/score-statement';
import { runScores, waitForRun } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';
import { WorkerProcesses } from '../support/workers';

const AS_OF = new Date(Date.now() - 3_600_000).toISOString();

describe('scoring runs shared by worker processes', () => {
  let t: TestApp;
  const workers = new WorkerProcesses(() => t);
  const startWorker = () => workers.start();
  const stopWorkers = () => workers.stopAll();
  const trigger = async () => {
    const res = await request(t.http).post('/v1/scoring-runs').set('Authorization', `Bearer ${t.keys.scheduler}`).send({ asOf: AS_OF });
    expect(res.status).toBe(202);
    return res.body.id as number;
  };

  beforeAll(async () => {
    // API only: every chunk is scored by the spawned worker processes.
    t = await startTestApp({ CHURNWATCH_PROCESS: 'api' });
    await t.app.get(SeedService).seed({ customers: 400, months: 8, seed: 5, asOf: new Date(AS_OF) });
  });
  afterEach(stopWorkers);
  afterAll(async () => {
    await stopWorkers();
    await t?.close();
  });

  let reference: Map<string, number>;

  it('a run with 2 worker processes gives exactly the scores of a run with 1', async () => {
    const first = startWorker();
    const one = await waitForRun(t, await trigger());
    expect(one.status).toBe('succeeded');
    expect(one.chunks.total).toBeGreaterThan(4);
    first.kill('SIGTERM'); // a worker drains and exits 0
    expect((await once(first, 'exit'))[0]).toBe(0);

    startWorker();
    startWorker();
    const two = await waitForRun(t, await trigger());
    expect(two.status).toBe('succeeded');
    reference = await runScores(t, one.id);
    expect(reference.size).toBe(one.customersScored);
    expect(await runScores(t, two.id)).toEqual(reference);
  });

  it("a killed worker's chunk is retried by another worker to the same result", async () => {
    const lock = new Client({ connectionString: t.db.url });
    await lock.connect();
    try {
      // Hold the worker inside its first chunk's write, then kill it there.
      await lock.query(`BEGIN; LOCK TABLE customer_scores IN SHARE MODE`);
      const victim = startWorker();
      const runId = await trigger();
      for (let i = 0; ; i++) {
        const [row] = await t.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE $2`,
          [t.db.name, `${SCORE_STATEMENT_TAG}%`],
        );
        if (row!.n > 0) break;
        if (i > 300) throw new Error('the worker never reached its write');
        await new Promise((r) => setTimeout(r, 50));
      }
      victim.kill('SIGKILL');
      await once(victim, 'exit');
      await lock.query('ROLLBACK');

      startWorker();
      const run = await waitForRun(t, runId);
      expect(run.status).toBe('succeeded');
      const [{ attempts }] = await t.sql<{ attempts: number }>(`SELECT max(attempts) AS attempts FROM scoring_chunks WHERE run_id = $1`, [
        runId,
      ]);
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(await runScores(t, runId)).toEqual(reference);
      const [{ n }] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM score_history WHERE run_id = $1`, [runId]);
      expect(n).toBe(reference.size);
    } finally {
      await lock.end();
    }
  });

  it('a full run whose queue jobs were lost is failed as abandoned by the next trigger', async () => {
    // no worker is running: the run waits on the queue, and a second trigger is refused
    const stuck = await trigger();
    const refused = await request(t.http).post('/v1/scoring-runs').set('Authorization', `Bearer ${t.keys.scheduler}`).send({});
    expect(refused.status).toBe(409);
    expect(refused.body.id).toBe(stuck);
    await t.app.get(JobQueue).queue(QueueName.Scoring).obliterate({ force: true }); // as if Redis were flushed
    const early = await request(t.http).post('/v1/scoring-runs').set('Authorization', `Bearer ${t.keys.scheduler}`).send({});
    expect(early.status).toBe(409); // too young to call abandoned: its jobs may just not be queued yet
    await new Promise((r) => setTimeout(r, t.config.scoring.abandonedAfterSeconds * 1000 + 200));
    const next = await request(t.http).post('/v1/scoring-runs').set('Authorization', `Bearer ${t.keys.scheduler}`).send({});
    expect(next.status).toBe(202);
    const old = await request(t.http).get(`/v1/scoring-runs/${stuck}`).set('Authorization', `Bearer ${t.keys.scheduler}`);
    expect(old.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/^abandoned/) });
  });
});
