import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { SeedService } from '../../src/demo/seed.service';
import { runScoring } from '../support/scoring';
import { startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';
import type { Json } from '../support/json';

const DAY = 86_400_000;

export interface DashboardBook {
  t: TestApp;
  /** http://127.0.0.1:<port> of the listening service. */
  origin: string;
  /** The newest run (its snapshot is built). */
  lastRunId: number;
  /** A manager key of one of the book's account managers, and that manager's email. */
  manager: { key: string; email: string };
}

/**
 * The real service, listening, with a synthetic book of a few hundred customers scored as
 * the nightly run would have (two weeks ago, a week ago, now) so that scores have a history,
 * alerts exist and the at-risk list has its snapshot.
 */
export async function startDashboardBook(customers = 300): Promise<DashboardBook> {
  const t = await startTestApp();
  await t.app.get(SeedService).seed({ customers, months: 6, seed: 5, asOf: new Date(Date.now() - 3_600_000) });
  let run: Json = {};
  for (const daysAgo of [14, 7, 0]) {
    run = await runScoring(t, daysAgo ? { asOf: new Date(Date.now() - daysAgo * DAY).toISOString() } : {});
    if (run.status !== 'succeeded') throw new Error(`run ${run.id} ${run.status}: ${run.error}`);
  }
  await waitForSnapshot(t, run.id);
  const [busiest] = await t.sql<{ email: string }>(
    `SELECT c.account_manager_email AS email FROM customer_scores s JOIN customers c ON c.id = s.customer_id
      WHERE s.tier IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
  );
  if (!busiest) throw new Error('the book has no customer in a tier');
  const { key } = await t.app.get(ApiKeysService).create({ role: 'manager', name: 'browser manager', email: busiest.email });
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.http.address() as AddressInfo;
  return { t, origin: `http://127.0.0.1:${port}`, lastRunId: run.id, manager: { key, email: busiest.email } };
}

/** Waits until the at-risk list reads the snapshot of the given run. */
export async function waitForSnapshot(t: TestApp, runId: number): Promise<void> {
  await until(
    `the at-risk snapshot of run ${runId}`,
    async () => {
      const res = await request(t.http).get('/v1/at-risk?limit=1').set('Authorization', `Bearer ${t.keys.lead}`);
      return res.status === 200 && res.body.snapshot?.runId === runId;
    },
    60_000,
  );
}
