import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_CATALOG, type FeatureKey } from '../../src/features/feature-catalog';
import { unpackFeatures } from '../../src/features/feature-vector';
import { predict } from '../../src/model/logistic-model';
import { robustSpec, type RunFeatureStatistics } from '../../src/model/robust-standardisation';
import { activityRow, customerRow, iso, spendRow } from '../support/factories';
import { runScoring } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';

/**
 * Survey features in the default model, end to end: responses sent through the API, a
 * scoring run, and the customer page's explanation. Every customer has the same activity
 * and payments, so what sets them apart is their survey answers alone.
 */
let t: TestApp;
let runId: number;
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const CUSTOMERS = ['detractor', 'unhappy-csat', 'plain-1', 'plain-2'];

async function send(path: string, rows: unknown[]): Promise<void> {
  const res = await request(t.http).post(path).set(auth(t.keys.ingest)).send(rows);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

const page = async (id: string) => {
  const res = await request(t.http).get(`/v1/customers/${id}`).set(auth(t.keys.lead));
  expect(res.status).toBe(200);
  return res.body as { score: { probability: number; drivers: Array<{ key: string; text: string; contribution: number }> } };
};

beforeAll(async () => {
  t = await startTestApp();
  // One instant per signal for everyone: a millisecond apart would already be a spread to standardise by.
  const [active, paid] = [iso(3), iso(20)];
  await send(
    '/v1/customers',
    CUSTOMERS.map((externalId) => customerRow({ externalId })),
  );
  await send(
    '/v1/signals/activity',
    CUSTOMERS.map((id) => activityRow(id, { occurredAt: active, quantity: 5 })),
  );
  await send(
    '/v1/signals/spend',
    CUSTOMERS.map((id) => spendRow(id, { kind: 'payment', occurredAt: paid })),
  );
  await send('/v1/signals/surveys', [
    { externalId: 'n1', customerId: 'detractor', kind: 'nps', score: 9, respondedAt: iso(120) },
    { externalId: 'n2', customerId: 'detractor', kind: 'nps', score: 3, respondedAt: iso(6), comment: 'support never answers' },
    { externalId: 'c1', customerId: 'unhappy-csat', kind: 'csat', score: 2, respondedAt: iso(70) },
    { externalId: 'c2', customerId: 'unhappy-csat', kind: 'csat', score: 2, respondedAt: iso(40) },
    { externalId: 'c3', customerId: 'unhappy-csat', kind: 'csat', score: 3, respondedAt: iso(10) },
  ]);
  const run = await runScoring(t);
  expect(run.status).toBe('succeeded');
  runId = run.id;
});
afterAll(() => t?.close());

describe('survey features in the default model', () => {
  it('explains a detractor by its NPS drop on the customer page', async () => {
    const { score } = await page('detractor');
    const texts = score.drivers.map((d) => d.text);
    expect(texts).toContain('NPS fell from 9 to 3 in the last survey');
    expect(texts).toContain('a detractor: NPS 3 in the last survey (0–6 are detractors)');
    expect(score.drivers.find((d) => d.key === 'nps_change')?.contribution).toBeCloseTo(0.25 * (6 / 3), 4);
  });

  it('explains a low CSAT average by its mean over 90 days', async () => {
    const { score } = await page('unhappy-csat');
    const csat = score.drivers.find((d) => d.key === 'csat_mean_90d');
    expect(csat?.text).toBe('CSAT averaged 2.3 over the last 90 days (3 responses)');
    expect(csat?.contribution).toBeCloseTo(0.25 * (3 - 7 / 3), 4);
  });

  it('scores unhappy respondents above the same customers without a survey', async () => {
    const plain = (await page('plain-1')).score.probability;
    expect((await page('plain-2')).score.probability).toBe(plain);
    expect((await page('detractor')).score.probability).toBeGreaterThan(plain);
    expect((await page('unhappy-csat')).score.probability).toBeGreaterThan(plain);
    expect((await page('plain-1')).score.drivers.map((d) => d.key).filter((k) => FEATURE_CATALOG[k as FeatureKey]?.absoluteScale)).toEqual(
      [],
    );
  });

  it('leaves a customer without a survey exactly as the model without survey features scores it', async () => {
    const [stored] = await t.sql<{ s: RunFeatureStatistics; features: Buffer; probability: number }>(
      `SELECT r.feature_statistics AS s, cs.features, cs.probability FROM customer_scores cs
         JOIN scoring_runs r ON r.id = cs.run_id JOIN customers c ON c.id = cs.customer_id
        WHERE c.external_id = 'plain-1' AND r.id = $1`,
      [runId],
    );
    const model = t.config.model.default;
    const withoutSurveys = { ...model, features: model.features.filter((f) => !FEATURE_CATALOG[f.key as FeatureKey].absoluteScale) };
    expect(withoutSurveys.features.length).toBe(model.features.length - 5);
    const spec = robustSpec(withoutSurveys, stored!.s);
    const features = unpackFeatures(stored!.features);
    const expected = predict(
      spec,
      spec.features.map((f) => features[f.key as FeatureKey]),
    );
    expect(stored!.probability).toBeCloseTo(expected, 12);
  });
});
