import request from 'supertest';
import type { TestApp } from './test-app';
import type { Json } from './json';

/** Polls a run until it has finished (succeeded or failed) and returns its last view. */
export async function waitForRun(t: TestApp, id: number, timeoutMs = 60_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(t.http).get(`/v1/scoring-runs/${id}`).set('Authorization', `Bearer ${t.keys.scheduler}`);
    if (res.status !== 200) throw new Error(`GET run ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    if (res.body.status === 'succeeded' || res.body.status === 'failed') return res.body;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${res.body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Triggers a run over HTTP and waits for it. */
export async function runScoring(t: TestApp, body: Record<string, unknown> = {}): Promise<Json> {
  const res = await request(t.http).post('/v1/scoring-runs').set('Authorization', `Bearer ${t.keys.scheduler}`).send(body);
  if (res.status !== 202) throw new Error(`POST run: ${res.status} ${JSON.stringify(res.body)}`);
  return waitForRun(t, res.body.id);
}

/** probability per customer id of one run's champion history. */
export async function runScores(t: TestApp, runId: number): Promise<Map<string, number>> {
  const rows = await t.sql<{ customer_id: string; probability: number }>(
    `SELECT customer_id, probability FROM score_history WHERE run_id = $1 AND role = 'champion'`,
    [runId],
  );
  return new Map(rows.map((r) => [r.customer_id, r.probability]));
}
