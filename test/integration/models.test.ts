import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeedService } from '../../src/demo/seed.service';
import { runScoring } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';
import type { Json } from '../support/json';

describe('model training, activation and the challenger', () => {
  let t: TestApp;
  const admin = () => ({ Authorization: `Bearer ${t.keys.admin}` });

  async function waitForModel(id: number): Promise<Json> {
    for (let i = 0; i < 600; i++) {
      const res = await request(t.http).get(`/v1/models/${id}`).set(admin());
      if (res.body.status !== 'training') return res.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`model ${id} still training`);
  }

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.get(SeedService).seed({ customers: 1500, months: 12, seed: 3, asOf: new Date(Date.now() - 3_600_000) });
  }, 120_000);
  afterAll(() => t?.close());

  let trained: Json;

  it('trains on past snapshots, evaluates on a later slice and stores honest metrics', async () => {
    const res = await request(t.http).post('/v1/models/train').set(admin()).send({ horizonDays: 90 });
    expect(res.status).toBe(202);
    trained = await waitForModel(res.body.id);
    expect(trained.status).toBe('ready');
    const { metrics, training } = trained;
    // every fitting snapshot's labels are settled before the evaluation slice begins
    for (const at of training.trainAsOf) expect(Date.parse(at) + 90 * 86_400_000).toBeLessThanOrEqual(Date.parse(training.evaluationAsOf));
    expect(metrics.auc).toBeGreaterThan(0.7);
    expect(Math.abs(training.shuffledAuc - 0.5)).toBeLessThan(0.12);
    expect(metrics.calibration).toHaveLength(10);
    expect(metrics.liftAt10).toBeGreaterThan(1.5);
    expect(metrics.brier).toBeGreaterThan(0);
    expect(training.comparedWith.modelId).toEqual(expect.any(Number));
    expect(trained.features.map((f: { key: string }) => f.key)).toContain('activity_trend_12w');
  });

  it('refuses to activate a worse model without force, and activates it with force', async () => {
    // the trained model with its weights reversed ranks customers backwards
    const [{ id }] = await t.sql<{ id: string }>(
      `INSERT INTO models (source, status, spec, horizon_days, training, metrics, finished_at)
       SELECT 'trained', 'ready',
              jsonb_build_object('intercept', spec->'intercept', 'features',
                (SELECT jsonb_agg(f || jsonb_build_object('weight', -(f->>'weight')::float8)) FROM jsonb_array_elements(spec->'features') f)),
              horizon_days, training, jsonb_set(metrics, '{auc}', to_jsonb(1 - (metrics->>'auc')::float8)), now()
         FROM models WHERE id = $1 RETURNING id`,
      [trained.id],
    );
    const refused = await request(t.http).post(`/v1/models/${id}/activate`).set(admin()).send({});
    expect(refused.status).toBe(409);
    expect(refused.body.comparison.active.auc).toBeGreaterThan(refused.body.comparison.candidate.auc);
    const forced = await request(t.http).post(`/v1/models/${id}/activate`).set(admin()).send({ force: true });
    expect(forced.status).toBe(200);
    expect(forced.body.active).toBe(true);
    const good = await request(t.http).post(`/v1/models/${trained.id}/activate`).set(admin()).send({});
    expect(good.status).toBe(200);
    const list = await request(t.http)
      .get('/v1/models')
      .set({ Authorization: `Bearer ${t.keys.lead}` });
    expect(list.body.filter((m: { active: boolean }) => m.active).map((m: { id: number }) => m.id)).toEqual([trained.id]);
  });

  it('a challenger is scored in the shadow of a run without touching current scores', async () => {
    const config = await request(t.http).get('/v1/models').set(admin());
    const shadow = config.body.find((m: { source: string }) => m.source === 'config');
    expect((await request(t.http).post(`/v1/models/${shadow.id}/challenger`).set(admin())).status).toBe(200);
    const run = await runScoring(t);
    expect(run).toMatchObject({ status: 'succeeded', modelVersion: trained.id, challengerModelVersion: shadow.id });
    const rows = await t.sql<{ role: string; model_id: string; n: number }>(
      `SELECT role, model_id, count(*)::int AS n FROM score_history WHERE run_id = $1 GROUP BY role, model_id ORDER BY role`,
      [run.id],
    );
    expect(rows).toEqual([
      { role: 'challenger', model_id: String(shadow.id), n: run.customersScored },
      { role: 'champion', model_id: String(trained.id), n: run.customersScored },
    ]);
    const current = await t.sql<{ model_id: string }>(`SELECT DISTINCT model_id FROM customer_scores WHERE run_id = $1`, [run.id]);
    expect(current).toEqual([{ model_id: String(trained.id) }]);
    expect((await request(t.http).post(`/v1/models/${trained.id}/challenger`).set(admin())).status).toBe(409);
  });

  it('training and activation are admin-only; unknown models are 404', async () => {
    expect(
      (
        await request(t.http)
          .post('/v1/models/train')
          .set({ Authorization: `Bearer ${t.keys.lead}` })
          .send({})
      ).status,
    ).toBe(403);
    expect((await request(t.http).get('/v1/models/999999').set(admin())).status).toBe(404);
    expect((await request(t.http).post('/v1/models/train').set(admin()).send({ horizonDays: 0 })).status).toBe(400);
  });
});
