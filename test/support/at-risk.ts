import request from 'supertest';
import type { TestApp } from './test-app';
import { until } from './wait';
import type { Json } from './json';

/** Waits until the at-risk list reads a snapshot that includes the given run; returns that snapshot. */
export async function waitForSnapshot(t: TestApp, runId: number, timeoutMs = 30_000): Promise<Json> {
  return until(
    `the at-risk snapshot of run ${runId}`,
    async () => {
      const res = await request(t.http).get('/v1/at-risk?limit=1').set('Authorization', `Bearer ${t.keys.lead}`);
      if (res.status !== 200) throw new Error(`GET /v1/at-risk: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.snapshot && res.body.snapshot.runId >= runId ? res.body.snapshot : null;
    },
    timeoutMs,
  );
}
