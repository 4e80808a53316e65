import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeedService } from '../../src/demo/seed.service';
import { TrainingService } from '../../src/model/training.service';
import { unpackFeatures } from '../../src/features/feature-vector';
import { sigmoid } from '../../src/model/logistic-model';
import { gbmLogit, type GbmModelSpec } from '../../src/model/gbm/gbm-model';
import { shapBaseValue, treeShap } from '../../src/model/gbm/tree-shap';
import { runScoring } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';
import type { Json } from '../support/json';

/**
 * Boosted trees through the service's paths: trained on labelled history with early
 * stopping on a later snapshot, held to the "worse needs force" rule, scored in the chunk's
 * SQL statement (checked against the Node trees on every customer) and explained by TreeSHAP.
 */
describe('gbm model kind', () => {
  let t: TestApp;
  const admin = () => ({ Authorization: `Bearer ${t.keys.admin}` });
  let gbm: Json;
  let spec: GbmModelSpec;

  async function train(body: Record<string, unknown>): Promise<Json> {
    const res = await request(t.http).post('/v1/models/train').set(admin()).send(body);
    expect(res.status).toBe(202);
    for (let i = 0; i < 1200; i++) {
      const model = await request(t.http).get(`/v1/models/${res.body.id}`).set(admin());
      if (model.body.status !== 'training') return model.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`model ${res.body.id} still training`);
  }

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.get(SeedService).seed({ customers: 1500, months: 12, seed: 3, asOf: new Date(Date.now() - 3_600_000) });
  }, 120_000);
  afterAll(() => t?.close());

  it('trains trees early-stopped on a later snapshot than it fits on, and evaluates on a later one still', async () => {
    gbm = await train({ kind: 'gbm', horizonDays: 90 });
    expect(gbm).toMatchObject({ status: 'ready', kind: 'gbm', intercept: null });
    const { training, metrics } = gbm;
    const day = 86_400_000;
    const stop = Date.parse(training.earlyStopping.asOf);
    // fitted on older snapshots than the stopping one; every label either saw is settled before the evaluation slice
    for (const at of training.trainAsOf) {
      expect(Date.parse(at)).toBeLessThan(stop);
      expect(Date.parse(at) + 90 * day).toBeLessThanOrEqual(Date.parse(training.evaluationAsOf));
    }
    expect(stop + 90 * day).toBeLessThanOrEqual(Date.parse(training.evaluationAsOf));
    expect(training.earlyStopping.rounds).toBeGreaterThanOrEqual(training.earlyStopping.trees);
    expect(gbm.gbm.trees).toBe(training.earlyStopping.trees);
    expect(gbm.gbm.trees).toBeGreaterThan(0);
    expect(metrics.auc).toBeGreaterThan(0.7);
    expect(Math.abs(training.shuffledAuc - 0.5)).toBeLessThan(0.12);
    const complaints = gbm.features.find((f: { key: string }) => f.key === 'complaints_open');
    expect(complaints.monotone).toBe(1); // from config model.gbm.monotone
    const [row] = await t.sql<{ spec: GbmModelSpec }>(`SELECT spec FROM models WHERE id = $1`, [gbm.id]);
    spec = (row as { spec: GbmModelSpec }).spec;
    expect(spec.trees).toHaveLength(gbm.gbm.trees);
    // the default kind is unchanged
    expect(await train({ horizonDays: 90 })).toMatchObject({ status: 'ready', kind: 'logistic', gbm: null });
    expect((await request(t.http).post('/v1/models/train').set(admin()).send({ kind: 'forest' })).status).toBe(400);
  });

  it('trains the same trees in this process, as `model train --kind gbm` does', async () => {
    const again = await t.app
      .get(TrainingService)
      .trainNow({ kind: 'gbm', horizonDays: 90, asOf: new Date(Date.parse(gbm.training.evaluationAsOf) + 90 * 86_400_000) });
    expect(again).toMatchObject({ status: 'ready', kind: 'gbm' });
    expect(again.spec).toEqual(spec); // same book, same as-of: the same trees to the last bit
  });

  it('a worse gbm needs force to become active', async () => {
    // the same trees with every leaf negated rank customers backwards
    const reversed = { ...spec, trees: spec.trees.map((tree) => ({ ...tree, value: tree.value.map((v) => -v) })) };
    const [{ id }] = await t.sql<{ id: string }>(
      `INSERT INTO models (source, kind, status, spec, horizon_days, training, metrics, finished_at)
       SELECT 'trained', 'gbm', 'ready', $2::jsonb, horizon_days, training, jsonb_set(metrics, '{auc}', to_jsonb(1 - (metrics->>'auc')::float8)), now()
         FROM models WHERE id = $1 RETURNING id`,
      [gbm.id, JSON.stringify(reversed)],
    );
    const refused = await request(t.http).post(`/v1/models/${id}/activate`).set(admin()).send({});
    expect(refused.status).toBe(409);
    expect(refused.body.comparison.active.auc).toBeGreaterThan(refused.body.comparison.candidate.auc);
  });

  it('scores every customer in SQL exactly as the Node trees do, as challenger and champion, and explains them by TreeSHAP', async () => {
    // first the default logistic model scores, with the trees in its shadow
    expect((await request(t.http).post(`/v1/models/${gbm.id}/challenger`).set(admin())).status).toBe(200);
    const shadowRun = await runScoring(t);
    expect(shadowRun).toMatchObject({ status: 'succeeded', challengerModelVersion: gbm.id });
    const shadow = await t.sql<{ probability: number; features: Buffer }>(
      `SELECT h.probability, s.features FROM score_history h JOIN customer_scores s ON s.customer_id = h.customer_id AND s.run_id = h.run_id
        WHERE h.run_id = $1 AND h.role = 'challenger'`,
      [shadowRun.id],
    );
    expect(shadow.length).toBe(shadowRun.customersScored);
    for (const s of shadow) {
      const features = unpackFeatures(s.features);
      expect(
        Math.abs(
          s.probability -
            sigmoid(
              gbmLogit(
                spec,
                spec.features.map((f) => features[f.key as keyof typeof features]),
              ),
            ),
        ),
      ).toBeLessThan(1e-9);
    }
    const activated = await request(t.http).post(`/v1/models/${gbm.id}/activate`).set(admin()).send({ force: true });
    expect(activated.status).toBe(200);
    const run = await runScoring(t);
    expect(run).toMatchObject({ status: 'succeeded', modelVersion: gbm.id });
    const scores = await t.sql<{ external_id: string; probability: number; features: Buffer }>(
      `SELECT c.external_id, s.probability, s.features FROM customer_scores s JOIN customers c ON c.id = s.customer_id WHERE s.run_id = $1`,
      [run.id],
    );
    expect(scores.length).toBe(run.customersScored);
    expect(scores.length).toBeGreaterThan(1000);
    const base = shapBaseValue(spec);
    let spread = 0;
    let worst = { externalId: '', contribution: 0 };
    for (const s of scores) {
      const features = unpackFeatures(s.features);
      const row = spec.features.map((f) => features[f.key as keyof typeof features]);
      const logit = gbmLogit(spec, row);
      expect(Math.abs(s.probability - sigmoid(logit))).toBeLessThan(1e-9);
      const phi = treeShap(spec, row);
      expect(Math.abs(base + phi.reduce((a, v) => a + v, 0) - logit)).toBeLessThan(1e-9);
      spread = Math.max(spread, Math.abs(s.probability - (scores[0] as { probability: number }).probability));
      const top = Math.max(...phi);
      if (top > worst.contribution) worst = { externalId: s.external_id, contribution: top };
    }
    expect(spread).toBeGreaterThan(0.2); // the trees tell customers apart

    // the customer page reads the drivers off the same TreeSHAP values, in the same sentences
    const page = await request(t.http)
      .get(`/v1/customers/${worst.externalId}`)
      .set({ Authorization: `Bearer ${t.keys.lead}` });
    expect(page.status).toBe(200);
    const { drivers, changes } = page.body.score;
    expect(drivers[0].contribution).toBeCloseTo(worst.contribution, 4);
    for (const d of drivers) expect(d.text).toEqual(expect.any(String));
    // the previous score was the logistic model's: what changed compares contributions across the kinds
    expect(changes.length).toBeGreaterThan(0);
    for (const c of changes) expect(c.text).toMatch(/(raised|lowered) the risk by .* points since the previous score \(now: /);
  });
});

describe('gbm with a single fitting snapshot', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { model: { training: { snapshots: 1 } } });
  }, 120_000);
  afterAll(() => t?.close());

  it('is refused with a 400 naming kind (it has no later snapshot to stop on); logistic still trains', async () => {
    const res = await request(t.http)
      .post('/v1/models/train')
      .set({ Authorization: `Bearer ${t.keys.admin}` })
      .send({ kind: 'gbm' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('gbm needs model.training.snapshots of 2 or more (configured: 1)');
    const [{ n }] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM models WHERE kind = 'gbm'`);
    expect(n).toBe(0);
    expect(
      (
        await request(t.http)
          .post('/v1/models/train')
          .set({ Authorization: `Bearer ${t.keys.admin}` })
          .send({})
      ).status,
    ).toBe(202);
  });
});
